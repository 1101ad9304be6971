//go:build unix

package retrieval

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/topk"
)

// TestSearchesRacingMappedMerges runs searches, lexical ones checked
// against the exhaustive scorer on the snapshot they search, while adds
// and removals go on and background merges compact the index from
// mappings of its base files (many merges in a row, each mapping the base
// the last one wrote, its pages given back as the compaction reads
// them). Snapshots taken during the merges are kept and searched again
// once the merges are over and the garbage collector has run: a
// snapshot still held keeps its mapping.
func TestSearchesRacingMappedMerges(t *testing.T) {
	ctx := context.Background()
	arts := edgeArticles(600)
	qs := edgeQuestions()
	ix := newTestIndex(t, Config{Dir: t.TempDir(), MergeChunks: 40, MergeIdle: -1}, arts[:200])
	done := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() {
		defer close(done)
		for i := 200; i < len(arts); i += 7 {
			if _, err := ix.Add(ctx, arts[i:min(i+7, len(arts))]); err != nil {
				writeErr <- err
				return
			}
			if _, err := ix.Remove(ctx, arts[i-150].ID, arts[i-101].ID); err != nil {
				writeErr <- err
				return
			}
		}
	}()
	tu := DefaultTuning()
	var held []*snapshot
	mapped := 0
	check := func(s *snapshot, stage string) {
		for _, text := range qs {
			q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, 10)
			if len(q.terms) == 0 {
				continue
			}
			want := ix.exhaustive(s, q, 0, tu)
			if got := s.lex.search(&q); !slices.Equal(got, want) {
				t.Fatalf("%s, %q on a snapshot of %d chunks: got %s, want %s", stage, text, s.lex.liveChunks, itemsText(got), itemsText(want))
			}
		}
	}
	untilClosed(done, func() {
		s := ix.current()
		if s.lex.segs[0].mapped != nil {
			mapped++
			if len(held) < 8 {
				held = append(held, s)
			}
		}
		check(s, "during the merges")
		for _, text := range qs[:8] {
			if _, err := ix.Search(ctx, Query{Text: text}); err != nil {
				t.Fatal(err)
			}
		}
	})
	select {
	case err := <-writeErr:
		t.Fatal(err)
	default:
	}
	ix.addMu.Lock()
	ix.waitMerges()
	ix.addMu.Unlock()
	if mapped == 0 {
		t.Fatal("no search saw a mapped base: the merges did not map it")
	}
	runtime.GC()
	runtime.GC()
	for _, s := range held {
		if s.lex.segs[0].mapped.m.unmapped.Load() {
			t.Fatal("the mapping of a snapshot still held is gone")
		}
		check(s, "held across the merges")
	}
	t.Logf("%d mapped snapshots searched, %d held", mapped, len(held))
}

// TestMergeRefusesDamagedMappedBase damages one term frequency of the
// base file between two postings that mapBase samples, then lets a merge
// compact the index from the mapping of that file. The merge must not
// write the damage into a new base whose checksum holds (it did: the
// reopened index opened and its postings of that term differed from
// those of an index built the same way undamaged): it fails, and the next
// start is an error naming the damaged file.
func TestMergeRefusesDamagedMappedBase(t *testing.T) {
	ctx := context.Background()
	arts := synthArticles(260)
	// build adds arts in three steps (a base, a log record, then the rest,
	// over MergeChunks: a merge), damaging the base after the second, and
	// returns the error of the third step or of Close.
	build := func(dir string, oneByOne bool, damage func(*Index, *baseFile, *postings)) error {
		ix, err := New(ctx, Config{Dir: dir, MergeIdle: -1, MergeChunks: 100})
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		for _, b := range [][2]int{{0, 200}, {200, 203}} {
			if _, err := ix.Add(ctx, arts[b[0]:b[1]]); err != nil {
				t.Fatal(err)
			}
		}
		base := ix.current().lex.segs[0]
		bf := base.file.Load()
		if bf == nil {
			t.Fatal("the base segment does not know its file")
		}
		damage(ix, bf, &base.chunkPost)
		if oneByOne { // log records, and a merge in the background
			for i := 203; i < len(arts); i++ {
				if _, err := ix.Add(ctx, arts[i:i+1]); err != nil {
					return err
				}
			}
		} else if _, err := ix.Add(ctx, arts[203:]); err != nil { // a new base at once
			return err
		}
		return ix.Close()
	}
	for _, oneByOne := range []bool{false, true} {
		t.Run(map[bool]string{false: "bulk add", true: "background merge"}[oneByOne], func(t *testing.T) {
			good, bad := t.TempDir(), t.TempDir()
			if err := build(good, oneByOne, func(*Index, *baseFile, *postings) {}); err != nil {
				t.Fatal(err)
			}
			var damaged, term string
			err := build(bad, oneByOne, func(ix *Index, bf *baseFile, p *postings) {
				n := len(p.doc)
				pos := n/128 + 1 // between the samples 0 and 1 of fileMap.postings
				if n < 256 || p.tf[pos] >= 1000 || p.keys != nil {
					t.Fatalf("%d postings, tf %d at %d, sparse %t: want dense ones, more, and a small tf there", n, p.tf[pos], pos, p.keys != nil)
				}
				r, _ := slices.BinarySearch(p.off, uint32(pos+1)) // off[r-1] <= pos < off[r]
				term = string(ix.terms.bytesOf(uint32(r - 1)))
				tf := p.tf[pos] + 500
				writeAt(t, bf.path, bf.at[0].tf+2*int64(pos), []byte{byte(tf), byte(tf >> 8)})
				damaged = filepath.Base(bf.path)
			})
			if err != nil && !strings.Contains(err.Error(), damaged) {
				t.Errorf("adding over the damaged base: got error %v, want none or one naming %s", err, damaged)
			}
			re, err := New(ctx, Config{Dir: bad, MergeIdle: -1})
			if err == nil {
				defer re.Close()
				want := newTestIndex(t, Config{Dir: good, MergeIdle: -1}, nil)
				if got, exp := termSearch(t, re, term), termSearch(t, want, term); !slices.Equal(got, exp) {
					t.Fatalf("the merge wrote the damaged postings into a base whose checksum holds: the index opens, and a search for %q gives %s, want %s",
						term, itemsText(got), itemsText(exp))
				}
				t.Fatalf("the index over the damaged base opens: want an error naming %s", damaged)
			}
			if !strings.Contains(err.Error(), damaged) {
				t.Errorf("got error %v, want one naming %s", err, damaged)
			}
			if _, err := os.Stat(filepath.Join(bad, damaged)); err != nil {
				t.Errorf("the damaged base: %v; want it kept, named in the manifest", err)
			}
		})
	}
}

// termSearch returns the lexical search for the one term text over
// every chunk of ix.
func termSearch(tb testing.TB, ix *Index, term string) []topk.Item[float64] {
	tb.Helper()
	s := ix.current()
	id, ok := ix.terms.lookup(term)
	if !ok {
		tb.Fatalf("term %q unknown", term)
	}
	tu := DefaultTuning()
	q := newLexQuery(s, []qterm{{id: id, weight: 1}}, tu, nil, 1<<20)
	return s.lex.search(&q)
}
