package citation

import (
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
)

func TestSetCite(t *testing.T) {
	text := "Menu | Home\nThe council approved the budget. Repairs cost £4.2m."
	a := &article.Article{ID: "a.txt", Outlet: "Alpha", Text: text, Body: []article.Span{{Start: strings.Index(text, "The"), End: len(text)}}}
	set := NewSet(nil)
	tests := []struct {
		quote       string
		wantN       int
		wantOK      bool
		wantLen     int
		wantDropped int64
	}{
		{"The council approved the budget.", 1, true, 1, 0},
		{"Repairs cost £4.2m.", 2, true, 2, 0},
		{"The council  approved\nthe budget.", 1, true, 2, 0}, // same place: same number
		{"The council approved a budget.", 0, false, 2, 1},    // altered
		{"Menu | Home", 0, false, 2, 2},                       // page chrome, not body
	}
	for _, tc := range tests {
		t.Run(tc.quote, func(t *testing.T) {
			n, ok := set.Cite(a, tc.quote)
			if n != tc.wantN || ok != tc.wantOK {
				t.Errorf("Cite = %d, %v; want %d, %v", n, ok, tc.wantN, tc.wantOK)
			}
			if got := set.Len(); got != tc.wantLen {
				t.Errorf("got Len %d, want %d", got, tc.wantLen)
			}
			if got := set.Dropped(); got != tc.wantDropped {
				t.Errorf("got Dropped %d, want %d", got, tc.wantDropped)
			}
		})
	}
	list := set.List()
	for i, c := range list {
		if c.N != i+1 || c.Quote != text[c.Start:c.End] || c.Outlet != "Alpha" {
			t.Errorf("citation %d = %+v, want number %d quoting its article", i, c, i+1)
		}
	}
	list[0].Quote = "changed"
	if got := set.List()[0].Quote; got != "The council approved the budget." {
		t.Errorf("List shares its slice with the set: got %q after a change to a copy", got)
	}
	set.Truncate(1)
	if n, ok := set.Cite(a, "Repairs cost £4.2m."); !ok || n != 2 || set.Len() != 2 {
		t.Errorf("after Truncate(1): Cite = %d, %v, Len %d; want 2, true, 2", n, ok, set.Len())
	}
}
