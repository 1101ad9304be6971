package retrieval

import (
	"context"
	"math/big"
	"testing"

	"github.com/briefbot/briefbot/article"
)

// TestArtNorms checks the articles' norms that the article step takes
// from the snapshot: the same float64 values as computed per posting, a
// bound of a text frequency of 1 that is above the exact one and no more
// than a hair looser, and one computation per snapshot and tuning.
func TestArtNorms(t *testing.T) {
	arts, _ := multiHop(t)
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:200])
	tunings := []struct {
		name          string
		k1, b, titleB float64
		artK1, artB   float64
	}{
		{name: "default"},
		{name: "no length normalisation", b: 0, titleB: 0, artB: 0, k1: 1.2, artK1: 1.2},
		{name: "full length normalisation", b: 1, titleB: 1, artB: 1, k1: 3, artK1: 0.5},
	}
	for _, tt := range tunings {
		t.Run(tt.name, func(t *testing.T) {
			tu := DefaultTuning()
			if tt.name != "default" {
				tu.K1, tu.B, tu.TitleB, tu.ArticleK1, tu.ArticleB = tt.k1, tt.b, tt.titleB, tt.artK1, tt.artB
			}
			s := ix.current()
			lx := s.lex
			pc, pa := tu.bm25f()
			nm := lx.artNorms(pa, pc)
			if again := lx.artNorms(pa, pc); again != nm {
				t.Errorf("got a second computation of the norms, want the snapshot's")
			}
			for a := range lx.nArts {
				norm := (1 - pa.b) + pa.b*float64(lx.artLen[a])/lx.avgArt
				title := (1 - pa.titleB) + pa.titleB*float64(lx.titleLen[a])/lx.avgTitle
				if nm.text[a] != norm || nm.one[a] != float32(float64(1)/norm) || nm.title[a] != title {
					t.Fatalf("article %d: got norms %v %v %v, want %v %v %v", a, nm.text[a], nm.one[a], nm.title[a], norm, float32(1/norm), title)
				}
			}
			q := newLexQuery(s, []qterm{{id: 0, weight: 1}, {id: 1, weight: 2.5}}, tu, nil, 10)
			cl, _ := lx.levels(&q)
			tc := newTermCaps(&cl, []float64{1e9, 1e9})
			for i := range q.terms {
				for a := range lx.nArts {
					if lx.artFirst[a] == lx.artFirst[a+1] {
						continue
					}
					got := tc.weightUp(i) * float64(nm.cap1[a])
					want := exactCapOne(tc.w[i], pc, lx.avgChunk, lx.minChunk[a])
					if g := new(big.Float).SetFloat64(got); g.Cmp(want) < 0 {
						t.Fatalf("term %d, article %d: got the bound %v, want at least %v", i, a, got, want)
					}
					if w, _ := want.Float64(); got > w*(1+1e-6) {
						t.Fatalf("term %d, article %d: got the bound %v, want at most %v", i, a, got, w*(1+1e-6))
					}
				}
			}
		})
	}
	t.Run("new snapshot", func(t *testing.T) {
		tu := DefaultTuning()
		pc, pa := tu.bm25f()
		old := ix.current().lex
		before := old.artNorms(pa, pc)
		if _, err := ix.Add(context.Background(), []article.Article{arts[200]}); err != nil {
			t.Fatal(err)
		}
		lx := ix.current().lex
		nm := lx.artNorms(pa, pc)
		if nm == before || nm.n != lx.nArts || nm.avgArt != lx.avgArt {
			t.Errorf("got the norms of %d articles at average %v, want the new snapshot's: %d at %v", nm.n, nm.avgArt, lx.nArts, lx.avgArt)
		}
		if old.artNorms(pa, pc) != before {
			t.Errorf("got new norms for the old snapshot, want its own")
		}
	})
}

// exactCapOne returns w/(k1*norm+1), norm the chunk level's length norm
// of a chunk of length l, in exact arithmetic (to 200 bits).
func exactCapOne(w float64, pc bm25f, avg float64, l float32) *big.Float {
	f := func(x float64) *big.Float { return new(big.Float).SetPrec(200).SetFloat64(x) }
	norm := f(pc.b)
	norm.Mul(norm, f(float64(l)))
	norm.Quo(norm, f(avg))
	norm.Add(norm, f(1-pc.b))
	d := f(pc.k1)
	d.Mul(d, norm)
	d.Add(d, f(1))
	return f(w).Quo(f(w), d)
}
