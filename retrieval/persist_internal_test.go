package retrieval

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/gob"
	"math"
	"os"
	"path/filepath"
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
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if want := []string{manifestFile, "base-000001.bin"}; !slices.Equal(names, want) {
				t.Errorf("after conversion the directory holds %v, want %v", names, want)
			}
		})
	}
}
