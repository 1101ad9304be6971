package retrieval

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestHugeSaturationRefused: a K1, ArticleK1 or TitleWeight so large
// that a term's contribution overflows (float32 for a title's, float64
// for a term's weight) turned the scores NaN, and the pruned search
// returned other chunks than the exhaustive scorer for 46-49 of 50
// questions; check now refuses them, naming the parameter, and at its
// edge (maxSaturation) the pruned search is still the exhaustive one,
// with finite scores. Checked to fail without the refusal.
func TestHugeSaturationRefused(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, Config{MergeIdle: -1}, edgeArticles(700))
	qs := edgeQuestions()
	for _, tt := range []struct {
		set  func(*Tuning)
		name string // the parameter the error names; "" for none
	}{
		{func(t *Tuning) { t.TitleWeight = 1e39 }, "TitleWeight"},
		{func(t *Tuning) { t.TitleWeight = 1e300 }, "TitleWeight"},
		{func(t *Tuning) { t.K1 = 1e308 }, "K1"},
		{func(t *Tuning) { t.ArticleK1 = 1e308 }, "ArticleK1"},
		{func(t *Tuning) { t.K1 = math.MaxFloat64 }, "K1"},
		{func(t *Tuning) { t.K1, t.ArticleK1, t.TitleWeight = maxSaturation, maxSaturation, maxSaturation }, ""},
	} {
		tu := DefaultTuning()
		tt.set(&tu)
		err := ix.SetTuning(tu)
		if tt.name != "" {
			if err == nil || !strings.Contains(err.Error(), tt.name+" is") {
				t.Errorf("SetTuning with %s out of range: got error %v, want one naming %s", tt.name, err, tt.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SetTuning at the edge: %v", err)
		}
		s := ix.current()
		matched := 0
		for _, text := range qs {
			q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, 10)
			if len(q.terms) == 0 {
				continue
			}
			got, want := s.lex.search(&q), ix.exhaustive(s, q, 0, tu)
			if !slices.Equal(got, want) {
				t.Errorf("%q at the edge: got %s, want %s", text, itemsText(got), itemsText(want))
			}
			for _, x := range got {
				if math.IsNaN(x.Score) || math.IsInf(x.Score, 0) {
					t.Errorf("%q at the edge: score %v", text, x.Score)
				}
			}
			matched += len(got)
		}
		if matched == 0 {
			t.Fatal("no question matched anything")
		}
		hits, err := ix.Search(ctx, Query{Text: qs[0], K: 10})
		if err != nil || len(hits) == 0 {
			t.Errorf("Search at the edge: %d hits, %v", len(hits), err)
		}
	}
}
