package retrieval

import (
	"context"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
)

// TestHugeCandidatesKeepTheResults checks that a Tuning.Candidates far
// above the chunk count gives the results of a pool of every chunk: such a
// pool overflowed the vector scan's k+slack (the vector side dropped, a
// vector-only search found nothing) or its 4k candidates (a few hundred
// rescored instead of all).
func TestHugeCandidatesKeepTheResults(t *testing.T) {
	g := synthetic.New(5)
	arts := make([]article.Article, 150) // about 1,000 chunks: the shared scan
	for i := range arts {
		arts[i] = g.Article(i)
	}
	ix := newTestIndex(t, Config{}, arts)
	if ix.current().vecs.slots <= minRescore {
		t.Fatalf("%d vectors, want more than %d for the shared scan", ix.current().vecs.slots, minRescore)
	}
	search := func(candidates int, lexical float64) []Hit {
		t.Helper()
		tu := DefaultTuning()
		tu.Candidates = candidates
		tu.LexicalWeight = lexical
		ix.SetTuning(tu)
		hits, err := ix.Search(context.Background(), Query{Text: g.Question(3, 8), K: 10})
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	for _, lexical := range []float64{-1, 0} { // vector side alone; both
		want := search(ix.ChunkCount(), lexical)
		if len(want) != 10 {
			t.Fatalf("lexical weight %v: %d hits with every chunk a candidate, want 10", lexical, len(want))
		}
		for _, c := range []int{math.MaxInt / 4, math.MaxInt - 10, math.MaxInt} {
			got := search(c, lexical)
			if !slices.EqualFunc(got, want, func(a, b Hit) bool {
				return a.Chunk.ID == b.Chunk.ID && a.Score == b.Score && a.Vector == b.Vector
			}) {
				t.Errorf("lexical weight %v, Candidates %d: got %v, want %v", lexical, c, hitSummary(got), hitSummary(want))
			}
		}
	}
}

// hitSummary gives the hits' chunks and scores, for messages.
func hitSummary(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Chunk.ID + "@" + strconv.FormatFloat(h.Score, 'g', 6, 64)
	}
	return out
}
