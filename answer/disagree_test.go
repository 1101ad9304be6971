package answer

import (
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// sentenceCand makes a candidate of one whole sentence, as its own
// article.
func sentenceCand(tb testing.TB, id, text string) *candidate {
	tb.Helper()
	a := &article.Article{ID: id, Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	cd := &candidate{art: a, start: 0, end: len(text), terms: retrieval.Analyze(text), set: map[string]bool{}}
	for _, t := range cd.terms {
		cd.set[t] = true
	}
	return cd
}

// TestFigureConflicts checks that two outlets giving the same fact as
// different percentages, counts or sums are caught, with the unit kept and
// a label that is a phrase of the sentence, and that different facts are
// not.
func TestFigureConflicts(t *testing.T) {
	tests := []struct {
		name       string
		a, b       string
		sides      []string // want; nil: no conflict
		aboutHolds string   // a phrase the label must hold
	}{
		{"percent",
			"Support for the peace plan rose to 12% among voters in the poll.",
			"Support for the peace plan rose to 15% among voters, the poll found.",
			[]string{"12%", "15%"}, "peace plan"},
		{"per cent",
			"Turnout in the regional election reached 61 per cent on Sunday.",
			"Turnout in the regional election reached 58 per cent, officials said.",
			[]string{"61 per cent", "58 per cent"}, "election"},
		{"count keeps its noun",
			"The minister deleted 6 posts about the summit on Tuesday.",
			"The minister deleted 8 posts about the summit after the backlash.",
			[]string{"6 posts", "8 posts"}, "deleted"},
		{"money keeps its unit",
			"The club agreed a fee of £3.9m for the striker on Monday.",
			"The club agreed a fee of £4.2m for the striker, sources said.",
			[]string{"£3.9m", "£4.2m"}, "fee"},
		{"different facts",
			"The minister deleted 6 posts about the summit on Tuesday.",
			"Inflation in the eurozone rose to 8 percent in March.",
			nil, ""},
		{"same figure",
			"Support for the peace plan rose to 12% among voters in the poll.",
			"Support for the peace plan rose to 12 percent among voters.",
			nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := figureConflicts(sentenceCand(t, "a", tc.a), sentenceCand(t, "b", tc.b))
			if tc.sides == nil {
				if len(got) > 0 {
					t.Fatalf("got %d conflicts (%+v), want none", len(got), got[0])
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("got no conflict, want %q", tc.sides)
			}
			d := got[0]
			if d.sides[0].says != tc.sides[0] || d.sides[1].says != tc.sides[1] {
				t.Errorf("got sides %q and %q, want %q", d.sides[0].says, d.sides[1].says, tc.sides)
			}
			if !strings.Contains(d.about, tc.aboutHolds) || !strings.Contains(tc.a, strings.Trim(strings.Split(d.about, " …")[0], " ")) {
				t.Errorf("got label %q, want a phrase of the sentence holding %q", d.about, tc.aboutHolds)
			}
		})
	}
}
