//go:build unix

package retrieval

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
)

// searchIDs returns the chunk IDs and scores of the hits of each question.
func searchIDs(tb testing.TB, ix *Index, qs []string) [][]string {
	tb.Helper()
	out := make([][]string, len(qs))
	for i, q := range qs {
		hits, err := ix.Search(context.Background(), Query{Text: q, K: 10})
		if err != nil {
			tb.Fatal(err)
		}
		for _, h := range hits {
			out[i] = append(out[i], h.Chunk.ID, strconv.FormatFloat(h.Score, 'g', -1, 64))
		}
	}
	return out
}

// samePostings reports whether two postings hold the same rows.
func samePostings(a, b *postings) bool {
	return slices.Equal(a.keys, b.keys) && slices.Equal(a.off, b.off) && slices.Equal(a.doc, b.doc) && slices.Equal(a.tf, b.tf)
}

// synthArticles returns the first n articles of the synthetic corpus.
func synthArticles(n int) []article.Article {
	g := synthetic.New(1)
	arts := make([]article.Article, n)
	for i := range arts {
		arts[i] = g.Article(i)
	}
	return arts
}

func TestMergeReadsBaseFromFile(t *testing.T) {
	ctx := context.Background()
	g := synthetic.New(1)
	arts := synthArticles(260)
	qs := make([]string, 30)
	for i := range qs {
		qs[i] = g.Question(i, len(arts))
	}
	for _, reopen := range []bool{false, true} {
		name := map[bool]string{false: "base written by a merge", true: "base read at a restart"}[reopen]
		t.Run(name, func(t *testing.T) {
			cfg := Config{Dir: t.TempDir(), MergeIdle: -1, MergeChunks: 100}
			ix, err := New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Over MergeChunks: written as a base at once.
			if _, err := ix.Add(ctx, arts[:200]); err != nil {
				t.Fatal(err)
			}
			if reopen {
				if err := ix.Close(); err != nil {
					t.Fatal(err)
				}
				if ix, err = New(ctx, cfg); err != nil {
					t.Fatal(err)
				}
			}
			// A few chunks: a log record and a small segment.
			if _, err := ix.Add(ctx, arts[200:203]); err != nil {
				t.Fatal(err)
			}
			heap := ix.current()
			if n := len(heap.lex.segs); n != 2 {
				t.Fatalf("got %d segments, want 2", n)
			}
			base := heap.lex.segs[0]
			if base.file.Load() == nil {
				t.Fatal("the base segment does not know its file")
			}
			want := searchIDs(t, ix, qs)

			ix.addMu.Lock()
			mapped := ix.mapBase()
			ix.addMu.Unlock()
			mb := mapped.lex.segs[0]
			if mb.mapped == nil || mapped != ix.current() {
				t.Fatal("the base segment is not read from its file after mapBase")
			}
			for k, pair := range [][2]*postings{{&base.chunkPost, &mb.chunkPost}, {&base.artPost, &mb.artPost}} {
				if !samePostings(pair[0], pair[1]) {
					t.Errorf("postings %d: the mapped ones differ from the heap's", k)
				}
			}
			if got := searchIDs(t, ix, qs); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("searches over the mapped base: got %v, want %v", got, want)
			}
			// Compacting from the mapping (its pages given back as they
			// are read) gives the postings compacting from the heap does.
			fromMap, err := compact(mapped)
			if err != nil {
				t.Fatal(err)
			}
			fromHeap, err := compact(heap)
			if err != nil {
				t.Fatal(err)
			}
			for k, pair := range [][2]*postings{
				{&fromHeap.lex.segs[0].chunkPost, &fromMap.lex.segs[0].chunkPost},
				{&fromHeap.lex.segs[0].artPost, &fromMap.lex.segs[0].artPost},
				{&fromHeap.lex.segs[0].titlePost, &fromMap.lex.segs[0].titlePost},
			} {
				if !samePostings(pair[0], pair[1]) {
					t.Errorf("compacted postings %d: from the mapping they differ from the heap's", k)
				}
			}
			fm := mb.mapped.m
			heap, mapped, base, mb, fromMap, fromHeap = nil, nil, nil, nil, nil, nil

			// Over MergeChunks again: the merge compacts from the mapping
			// and writes a new base, whose postings are on the heap.
			if _, err := ix.Add(ctx, arts[203:]); err != nil {
				t.Fatal(err)
			}
			s := ix.current()
			if !s.compacted() || s.lex.segs[0].mapped != nil || s.lex.segs[0].file.Load() == nil {
				t.Errorf("after the merge: compacted %t, mapped %t, file known %t; want true, false, true",
					s.compacted(), s.lex.segs[0].mapped != nil, s.lex.segs[0].file.Load() != nil)
			}
			fresh, err := New(ctx, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fresh.Add(ctx, arts); err != nil {
				t.Fatal(err)
			}
			if got, want := searchIDs(t, ix, qs), searchIDs(t, fresh, qs); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("after the merge: got %v, want %v (an index built afresh)", got, want)
			}
			// No snapshot holds the mapped segment any more: its mapping
			// goes.
			deadline := time.Now().Add(10 * time.Second)
			for !fm.unmapped.Load() && time.Now().Before(deadline) {
				runtime.GC()
				time.Sleep(10 * time.Millisecond)
			}
			if !fm.unmapped.Load() {
				t.Error("the mapping of the old base is still there after the merge")
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMapBaseChecksTheFile checks that a base file that no longer holds
// the segment's postings where it should is not mapped: the merge keeps
// the heap copy.
func TestMapBaseChecksTheFile(t *testing.T) {
	ctx := context.Background()
	arts := synthArticles(120)
	tests := []struct {
		name   string
		damage func(t *testing.T, bf *baseFile)
	}{
		{"a doc changed", func(t *testing.T, bf *baseFile) { writeAt(t, bf.path, bf.at[0].doc, []byte{0xff, 0xff, 0xff, 0x7f}) }},
		{"an offset changed", func(t *testing.T, bf *baseFile) { writeAt(t, bf.path, bf.at[1].off, []byte{1}) }},
		{"the file cut short", func(t *testing.T, bf *baseFile) {
			if err := os.Truncate(bf.path, bf.at[1].doc); err != nil {
				t.Fatal(err)
			}
		}},
		{"the file gone", func(t *testing.T, bf *baseFile) {
			if err := os.Remove(bf.path); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := New(ctx, Config{Dir: t.TempDir(), MergeIdle: -1, MergeChunks: 100})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Add(ctx, arts); err != nil {
				t.Fatal(err)
			}
			base := ix.current().lex.segs[0]
			bf := base.file.Load()
			if bf == nil {
				t.Fatal("the base segment does not know its file")
			}
			if base.mapBase() == nil {
				t.Fatal("the intact file is not mapped")
			}
			tt.damage(t, bf)
			if got := base.mapBase(); got != nil {
				t.Errorf("got a mapped segment over a damaged file, want none")
			}
		})
	}
}

func writeAt(t *testing.T, path string, at int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}
