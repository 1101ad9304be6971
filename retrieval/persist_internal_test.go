package retrieval

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
)

// writeLegacy writes the articles and vectors of ix as an index file of the
// first (gob) format, made with the given model.
func writeLegacy(tb testing.TB, ix *Index, dir, model string) {
	tb.Helper()
	s := ix.current()
	lf := legacyFile{Format: 1, Signature: ix.signature(), Model: model, Dim: s.vecs.dim}
	for a, e := range s.arts {
		la := legacyArticle{Article: *e.art, Hash: e.hash}
		for c := s.lex.artFirst[a]; c < s.lex.artFirst[a+1]; c++ {
			r := s.chunks[c]
			v := s.vecs.vec(r.slot)
			b := make([]byte, 4*len(v))
			for i, x := range v {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
			}
			la.Chunks = append(la.Chunks, legacyChunk{Start: int(r.start), End: int(r.end), Vec: b})
		}
		lf.Articles = append(lf.Articles, la)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, legacyIndexFile))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := gob.NewEncoder(w).Encode(&lf); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestLegacyFileConverted checks that an index file of the first format is
// converted without embedding anything again when the model is the same,
// that it answers as the index it was made from, and that it is embedded
// again under another model.
func TestLegacyFileConverted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, _ := synthIndex(t, 60)
	var calls atomic.Int64
	local := LocalEmbedder()
	counting := func(ctx context.Context, text string) ([]float32, error) {
		calls.Add(1)
		return local(ctx, text)
	}
	for _, tt := range []struct {
		model     string
		wantCalls bool
	}{{LocalModel, false}, {"other-model", true}} {
		t.Run(tt.model, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			writeLegacy(t, src, dir, tt.model)
			calls.Store(0)
			ix, err := New(ctx, Config{Dir: dir, Embed: counting, EmbedModel: LocalModel})
			if err != nil {
				t.Fatal(err)
			}
			if got := calls.Load(); (got > 0) != tt.wantCalls {
				t.Errorf("converting a file of model %q embedded %d chunks", tt.model, got)
			}
			if ix.ChunkCount() != src.ChunkCount() || ix.Len() != src.Len() {
				t.Fatalf("converted index: %d articles, %d chunks; want %d, %d", ix.Len(), ix.ChunkCount(), src.Len(), src.ChunkCount())
			}
			for _, q := range []string{"government election talks", "market prices bank"} {
				want, _ := src.Search(ctx, Query{Text: q})
				got, _ := ix.Search(ctx, Query{Text: q})
				if !slices.EqualFunc(got, want, func(a, b Hit) bool { return a.Chunk == b.Chunk && a.Score == b.Score }) {
					t.Errorf("%q: converted index answers differently", q)
				}
			}
			names := dirEntries(t, dir)
			want := []string{manifestFile, "base-000001.bin"}
			if ix.files.lock != nil {
				want = append([]string{LockFile}, want...)
			}
			if !slices.Equal(names, want) {
				t.Errorf("after conversion the directory holds %v, want %v", names, want)
			}
		})
	}
}

// TestBoundsStored checks that a base segment carries the pruned search's
// bounds, so that a restart has them before its first search, equal to
// those computed afresh; and that a base of the older format (without
// them) is still read, its bounds computed at the first search. Either
// way the search stays identical to the exhaustive scorer.
func TestBoundsStored(t *testing.T) {
	arts, qs := multiHop(t)
	arts = arts[:200]
	qs = every(qs[:min(len(qs), 60)], 2*raceStride)
	outlets := []string{arts[0].Outlet, arts[1].Outlet}
	for _, tt := range []struct {
		format     int
		wantStored bool
	}{{fileFormat, true}, {oldFileFormat, false}} {
		t.Run(fmt.Sprintf("format %d", tt.format), func(t *testing.T) {
			cfg := Config{Dir: t.TempDir(), MergeIdle: -1}
			ix := newTestIndex(t, cfg, arts)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			m, ok, err := readManifest(cfg.Dir)
			if err != nil || !ok || m.Base == "" || len(m.Logs) > 0 {
				t.Fatalf("got manifest %+v, %v, %v; want a base and no logs", m, ok, err)
			}
			writeBaseAs(t, ix, filepath.Join(cfg.Dir, m.Base), tt.format)

			re := newTestIndex(t, cfg, nil)
			lx := re.current().lex
			g := lx.segs[0]
			sb := g.bnd.Load()
			if got := sb != nil; got != tt.wantStored {
				t.Fatalf("bounds there before the first search: got %v, want %v", got, tt.wantStored)
			}
			if sb != nil {
				for _, c := range []struct {
					name          string
					got           rowBounds
					p             *postings
					lens          []float32
					avg, b        float64
					storedAverage float64
				}{
					{"chunk", sb.chunk, &g.chunkPost, lx.chunkLen, lx.avgChunk, sb.b, sb.avgChunk},
					{"article", sb.art, &g.artPost, lx.artLen, lx.avgArt, sb.artB, sb.avgArt},
					{"title", sb.title, &g.titlePost, lx.titleLen, lx.avgTitle, sb.titleB, sb.avgTitle},
				} {
					if c.storedAverage != c.avg {
						t.Errorf("%s: stored average length %v, want %v", c.name, c.storedAverage, c.avg)
					}
					if want := storedBounds(c.p, c.lens, c.avg, c.b); !reflect.DeepEqual(c.got, want) {
						t.Errorf("%s: stored bounds (%d rows, %d block maxima) differ from those computed afresh (%d rows, %d)",
							c.name, len(c.got.rows), len(c.got.blk), len(want.rows), len(want.blk))
					}
				}
			}
			checkLex(t, "reopened", re, qs, outlets)
			if g.bnd.Load() == nil {
				t.Errorf("no bounds after the first search")
			}
		})
	}
}

// writeBaseAs writes the current snapshot of ix in the layout of format
// to path.
func writeBaseAs(tb testing.TB, ix *Index, path string, format int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := newBinWriter(f)
	ix.encodeAs(w, ix.current(), format)
	if err := w.finish(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestCheckRowBounds checks that stored bounds that do not fit their
// postings are refused: a row missing or extra, a bound not a number, a
// block maximum of 0 or missing.
func TestCheckRowBounds(t *testing.T) {
	var all []posting
	lens := make([]float32, 300)
	for d := range lens {
		lens[d] = float32(5 + d%17)
	}
	for d := range uint32(300) {
		all = append(all, posting{term: 3, doc: d, tf: 1 + d%4}) // long: 300 postings
		if d%10 == 0 {
			all = append(all, posting{term: 5, doc: d, tf: 2}) // short: 30
		}
		if d%2 == 0 {
			all = append(all, posting{term: 9, doc: d, tf: 1}) // long: 150
		}
	}
	p, err := sparsePostings(all)
	if err != nil {
		t.Fatal(err)
	}
	valid := storedBounds(&p, lens, 11, 0.75)
	if len(valid.rows) != 2 {
		t.Fatalf("got %d long rows, want 2", len(valid.rows))
	}
	for _, tt := range []struct {
		name    string
		change  func(rb *rowBounds)
		wantErr bool
	}{
		{"as computed", func(*rowBounds) {}, false},
		{"row missing", func(rb *rowBounds) { rb.rows, rb.max = rb.rows[:1], rb.max[:1] }, true},
		{"short row added", func(rb *rowBounds) {
			rb.rows = []uint32{rb.rows[0], 1, rb.rows[1]}
			rb.max = []float32{rb.max[0], 1, rb.max[1]}
		}, true},
		{"fewer bounds than rows", func(rb *rowBounds) { rb.max = rb.max[:1] }, true},
		{"bound not a number", func(rb *rowBounds) { rb.max[1] = float32(math.NaN()) }, true},
		{"negative bound", func(rb *rowBounds) { rb.max[0] = -1 }, true},
		{"block maximum 0", func(rb *rowBounds) { rb.blk[len(rb.blk)-1] = 0 }, true},
		{"block maxima cut short", func(rb *rowBounds) { rb.blk = rb.blk[:len(rb.blk)-1] }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rb := rowBounds{rows: slices.Clone(valid.rows), max: slices.Clone(valid.max), blk: slices.Clone(valid.blk)}
			tt.change(&rb)
			if err := checkRowBounds(&rb, &p); (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}

// dirEntries returns the names in dir.
func dirEntries(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
