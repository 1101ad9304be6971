package retrieval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/seeds"
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

// TestDamagedManifestNumberLosesNothing damages the manifest's next file
// number (one bit of "next":3 turns it into 2, the number of the log in
// use) and checks that a writer that opens the index, closes it and adds
// again loses no acknowledged article: the new log took the number of the
// one in use and truncated it.
func TestDamagedManifestNumberLosesNothing(t *testing.T) {
	seedArts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, next := range []int{0, 1, 2, 3} {
		t.Run(fmt.Sprintf("next %d", next), func(t *testing.T) {
			dir := t.TempDir()
			// A base of two articles, then a log of two records.
			ix := newTestIndex(t, Config{Dir: dir, MergeChunks: 1}, seedArts[:2])
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			ix = newTestIndex(t, Config{Dir: dir, MergeChunks: 1000}, nil)
			for _, a := range seedArts[2:4] {
				if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
					t.Fatal(err)
				}
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, manifestFile)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := bytes.Replace(b, []byte(`"next":3`), fmt.Appendf(nil, `"next":%d`, next), 1)
			if next != 3 && bytes.Equal(damaged, b) {
				t.Fatalf("manifest %s has no next number 3", b)
			}
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			ix = newTestIndex(t, Config{Dir: dir, MergeChunks: 1000}, nil)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Add(ctx, seedArts[4:5]); err != nil {
				t.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			re := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
			for _, a := range seedArts[:5] {
				if _, ok := re.Article(a.ID); !ok {
					t.Errorf("acknowledged article %s lost", a.ID)
				}
			}
		})
	}
}
