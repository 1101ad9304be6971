package retrieval_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

func searchIDs(tb testing.TB, ix *retrieval.Index, q string) []string {
	tb.Helper()
	hits, err := ix.Search(context.Background(), retrieval.Query{Text: q, K: 8})
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Chunk.ID)
	}
	return ids
}

func TestPersistReopenDoesNotReembed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := tempDir(t)
	arts := loadSeeds(t)
	emb := newCountingEmbedder(0)
	cfg := retrieval.Config{Dir: dir, Embed: emb.Func, EmbedModel: "counting-v1"}

	ix := newIndex(t, cfg, nil)
	st, err := ix.Add(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	chunks := ix.ChunkCount()
	if st.Added != 5 || st.Chunks != chunks || emb.calls.Load() != int64(chunks) {
		t.Fatalf("first Add: got %+v and %d embedding calls, want 5 added and %d chunks embedded once", st, emb.calls.Load(), chunks)
	}
	const q = "What did Leavitt say about US boots on the ground?"
	want := searchIDs(t, ix, q)
	calls := emb.calls.Load() // the search embedded the query

	// Reopen after a crash: nothing embedded, same index, same results.
	ix.Crash()
	re := newIndex(t, cfg, nil)
	if got := emb.calls.Load(); got != calls {
		t.Errorf("reopening embedded %d texts, want none", got-calls)
	}
	if re.Len() != 5 || re.ChunkCount() != chunks {
		t.Fatalf("reopened: %d articles, %d chunks; want 5 and %d", re.Len(), re.ChunkCount(), chunks)
	}
	st, err = re.Add(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Unchanged != 5 || st.Added+st.Updated+st.Chunks != 0 || emb.calls.Load() != calls {
		t.Errorf("re-adding the same seeds: got %+v and %d embedding calls, want 5 unchanged and none", st, emb.calls.Load()-calls)
	}
	if got := searchIDs(t, re, q); !slices.Equal(got, want) {
		t.Errorf("reopened index gives %v, want %v", got, want)
	}
	for _, a := range arts {
		got, ok := re.Article(a.ID)
		if !ok || got.Hash() != a.Hash() {
			t.Errorf("article %s not restored intact", a.ID)
		}
	}

	// Changing one article embeds only its chunks.
	changed := slices.Clone(arts)
	changed[1].Text += "\n"
	calls = emb.calls.Load()
	st, err = re.Add(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if st.Updated != 1 || st.Unchanged != 4 || emb.calls.Load()-calls != int64(st.Chunks) || st.Chunks != len(re.Chunks(arts[1].ID)) {
		t.Errorf("changing one article: got %+v and %d embedding calls, want 1 updated with its %d chunks embedded", st, emb.calls.Load()-calls, len(re.Chunks(arts[1].ID)))
	}

	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != "MANIFEST" && n != retrieval.LockFile && !strings.HasPrefix(n, "base-") && !strings.HasPrefix(n, "log-") || strings.HasSuffix(n, ".tmp") {
			t.Errorf("unexpected file %s in the index directory", e.Name())
		}
	}
}

func TestPersistModelChangeReembeds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := tempDir(t)
	arts := loadSeeds(t)
	emb := newCountingEmbedder(0)
	ix := newIndex(t, retrieval.Config{Dir: dir, Embed: emb.Func, EmbedModel: "model-a"}, arts)
	chunks := ix.ChunkCount()

	// Another model with another dimension: everything is embedded again
	// at open, and only its vectors are used.
	small := newCountingEmbedder(64)
	ix.Crash()
	re := newIndex(t, retrieval.Config{Dir: dir, Embed: small.Func, EmbedModel: "model-b"}, nil)
	if got := small.calls.Load(); got != int64(chunks) {
		t.Errorf("model change: %d embedding calls at open, want %d", got, chunks)
	}
	if re.Len() != 5 || re.EmbedModel() != "model-b" {
		t.Fatalf("model change: %d articles, model %q; want 5 and model-b", re.Len(), re.EmbedModel())
	}
	hits, err := re.Search(ctx, retrieval.Query{Text: "golf club gift", K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].Vector == 0 {
		t.Errorf("after re-embedding: got %+v, want hybrid hits", hits)
	}
	before := small.calls.Load()
	st, err := re.Add(ctx, arts)
	if err != nil || st.Unchanged != 5 || small.calls.Load() != before {
		t.Errorf("re-adding after the model change: %+v, %v, %d calls; want 5 unchanged and no calls", st, err, small.calls.Load()-before)
	}

	// Back to the local embedder (nil Embed): re-embedded with LocalDim.
	re.Crash()
	local := newIndex(t, retrieval.Config{Dir: dir}, nil)
	if local.EmbedModel() != retrieval.LocalModel || local.ChunkCount() != chunks {
		t.Errorf("local model: got model %q with %d chunks, want %q and %d", local.EmbedModel(), local.ChunkCount(), retrieval.LocalModel, chunks)
	}
}

func TestDimensionChangeUnderSameModelIsAnError(t *testing.T) {
	ctx := context.Background()
	dir := tempDir(t)
	arts := loadSeeds(t)
	newIndex(t, retrieval.Config{Dir: dir, Embed: newCountingEmbedder(0).Func, EmbedModel: "same"}, arts[:2]).Crash()
	re := newIndex(t, retrieval.Config{Dir: dir, Embed: newCountingEmbedder(32).Func, EmbedModel: "same"}, nil)
	_, err := re.Add(ctx, arts[2:])
	if err == nil || !strings.Contains(err.Error(), "dimension") {
		t.Errorf("adding 32-dimensional vectors to a %d-dimensional index: got %v, want a dimension error", retrieval.LocalDim, err)
	}
	if re.Len() != 2 {
		t.Errorf("after the failed Add: %d articles, want 2", re.Len())
	}
}

func TestPersistErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("damaged file", func(t *testing.T) {
		dir := tempDir(t)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, retrieval.IndexFile), []byte("not a gob"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := retrieval.New(ctx, retrieval.Config{Dir: dir}); err == nil {
			t.Error("opening a damaged index: got no error, want one")
		}
	})
	t.Run("custom embedder without model name", func(t *testing.T) {
		_, err := retrieval.New(ctx, retrieval.Config{Dir: tempDir(t), Embed: newCountingEmbedder(0).Func})
		if err == nil {
			t.Error("got no error, want one asking for EmbedModel")
		}
	})
	t.Run("model name without embedder", func(t *testing.T) {
		_, err := retrieval.New(ctx, retrieval.Config{EmbedModel: "text-embedding-3-small"})
		if err == nil {
			t.Error("got no error, want one")
		}
	})
}

// TestPersistExact reopens a persisted synthetic index and checks that it
// answers exactly as before.
func TestPersistExact(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	arts := synthArticles(t, 1500)
	ix := newIndex(t, retrieval.Config{Dir: dir}, arts)
	qs := synthQuestions(20, len(arts))
	filter := retrieval.Filter{From: time.Date(2023, 1, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2023, 1, 20, 0, 0, 0, 0, time.UTC)}
	want := searchAll(t, ix, qs, filter)
	ix.Crash()
	re := newIndex(t, retrieval.Config{Dir: dir}, nil)
	got := searchAll(t, re, qs, filter)
	for i := range want {
		if !sameHits(got[i], want[i]) {
			t.Fatalf("search %d: reopened index gives %v, want %v", i, articleIDs(got[i]), articleIDs(want[i]))
		}
	}
	for _, a := range arts[:20] {
		if !slices.Equal(re.Chunks(a.ID), ix.Chunks(a.ID)) {
			t.Errorf("%s: chunks differ after reopening", a.ID)
		}
		b, _ := re.Article(a.ID)
		if b.Hash() != a.Hash() || !b.PublishedAt.Equal(a.PublishedAt) {
			t.Errorf("%s: article not restored intact", a.ID)
		}
	}
}

// TestPersistDamaged checks that a damaged or truncated index file is an
// error, not a silently wrong index.
func TestPersistDamaged(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	// MergeChunks 1: the seeds go to a base segment at once.
	newIndex(t, retrieval.Config{Dir: dir, MergeChunks: 1}, loadSeeds(t)).Crash()
	path := onlyFile(t, dir, "base-")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"byte flipped in the text", flip(good, len(good)/10)},
		{"byte flipped in the vectors", flip(good, len(good)-100)},
		{"byte flipped in the checksum", flip(good, len(good)-1)},
		{"truncated", good[:len(good)/2]},
		{"empty", nil},
		{"trailing data", append(slices.Clone(good), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := retrieval.New(context.Background(), retrieval.Config{Dir: dir}); err == nil {
				t.Error("got no error, want one")
			}
		})
	}
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if ix := newIndex(t, retrieval.Config{Dir: dir}, nil); ix.Len() != 5 {
		t.Errorf("the intact file gives %d articles, want 5", ix.Len())
	}
}

func flip(b []byte, i int) []byte {
	b = slices.Clone(b)
	b[i] ^= 0x40
	return b
}

// onlyFile returns the path of the one file in dir whose name starts with
// prefix.
func onlyFile(tb testing.TB, dir, prefix string) string {
	tb.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, prefix+"*"))
	if err != nil || len(matches) != 1 {
		tb.Fatalf("files %s* in %s: got %v (%v), want one", prefix, dir, matches, err)
	}
	return matches[0]
}
