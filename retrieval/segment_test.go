package retrieval_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// addOneByOne adds articles to ix one Add at a time.
func addOneByOne(tb testing.TB, ix *retrieval.Index, arts []article.Article) {
	tb.Helper()
	for _, a := range arts {
		if st, err := ix.Add(context.Background(), []article.Article{a}); err != nil || st.Added+st.Updated != 1 {
			tb.Fatalf("add %s: got %+v, %v; want it added", a.ID, st, err)
		}
	}
}

// dirNames lists the files in dir.
func dirNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// checkSameAs checks that got answers the questions exactly as want.
func checkSameAs(t *testing.T, got, want *retrieval.Index, qs []string) {
	t.Helper()
	if got.Len() != want.Len() || got.ChunkCount() != want.ChunkCount() {
		t.Fatalf("got %d articles, %d chunks; want %d, %d", got.Len(), got.ChunkCount(), want.Len(), want.ChunkCount())
	}
	g, w := searchAll(t, got, qs, retrieval.Filter{}), searchAll(t, want, qs, retrieval.Filter{})
	for i := range w {
		if !sameHits(g[i], w[i]) {
			t.Errorf("%q: got %v, want %v", qs[i], articleIDs(g[i]), articleIDs(w[i]))
		}
	}
}

// TestSegmentsAddRemoveReopen adds articles one at a time (each a log
// record, some merged into base segments in the background), removes some,
// and checks after each reopening that the index answers exactly as an
// in-memory index of the same articles, and that removed ones are gone.
func TestSegmentsAddRemoveReopen(t *testing.T) {
	ctx := context.Background()
	arts := synthArticles(t, 400)
	qs := synthQuestions(20, len(arts))
	for _, tt := range []struct {
		name        string
		mergeChunks int
		wantBase    bool
	}{
		{"logs only", 100_000, false},
		{"merged", 40, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := tempDir(t)
			cfg := retrieval.Config{Dir: dir, MergeChunks: tt.mergeChunks}
			ix := newIndex(t, cfg, nil)
			addOneByOne(t, ix, arts)
			removed := []string{arts[3].ID, arts[10].ID}
			if n, err := ix.Remove(ctx, removed...); err != nil || n != 2 {
				t.Fatalf("Remove: got %d, %v; want 2", n, err)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			names := dirNames(t, dir)
			hasBase := slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "base-") })
			if hasBase != tt.wantBase {
				t.Errorf("files %v: base segment present %t, want %t", names, hasBase, tt.wantBase)
			}
			var kept []article.Article
			for _, a := range arts {
				if !slices.Contains(removed, a.ID) {
					kept = append(kept, a)
				}
			}
			want := newIndex(t, retrieval.Config{}, kept)
			re := newIndex(t, cfg, nil)
			checkSameAs(t, re, want, qs)
			for _, id := range removed {
				if _, ok := re.Article(id); ok {
					t.Errorf("removed article %s is back after reopening", id)
				}
				hits, err := re.Search(ctx, retrieval.Query{Text: qs[0], Filter: retrieval.Filter{ArticleIDs: []string{id}}})
				if err != nil || len(hits) != 0 {
					t.Errorf("removed article %s: search gives %d hits, %v; want none", id, len(hits), err)
				}
			}
			// Reopened twice: the log replayed once more gives the same.
			re2 := newIndex(t, cfg, nil)
			checkSameAs(t, re2, want, qs)
		})
	}
}

// TestTempFilesRemovedAtStart checks that temporary files a crash left in
// the index directory are deleted when the index opens, and segment files
// the manifest does not name too.
func TestTempFilesRemovedAtStart(t *testing.T) {
	dir := tempDir(t)
	ix := newIndex(t, retrieval.Config{Dir: dir, MergeChunks: 1}, loadSeeds(t))
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	before := dirNames(t, dir)
	for _, name := range []string{"index.bin.123.tmp", "base-000009.bin.77.tmp", "MANIFEST.5.tmp", "base-000007.bin", "log-000008.wal"} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	re := newIndex(t, retrieval.Config{Dir: dir}, nil)
	if re.Len() != 5 {
		t.Errorf("reopened: %d articles, want 5", re.Len())
	}
	if got := dirNames(t, dir); !slices.Equal(got, before) {
		t.Errorf("after reopening the directory holds %v, want %v", got, before)
	}
}

// TestLogDamage checks the log's records: a torn last record (never
// acknowledged) is dropped and the earlier ones kept; a damaged record
// before the last is an error, never indexed.
func TestLogDamage(t *testing.T) {
	arts := synthArticles(t, 60)
	dir := tempDir(t)
	ix := newIndex(t, retrieval.Config{Dir: dir}, nil)
	addOneByOne(t, ix, arts)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	path := onlyFile(t, dir, "log-")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		wantErr  bool
		wantArts int
	}{
		{"intact", good, false, len(arts)},
		{"torn in the last record", good[:len(good)-100], false, len(arts) - 1},
		{"last record's checksum flipped", flip(good, len(good)-2), false, len(arts) - 1},
		{"byte flipped in the first record", flip(good, 300), true, 0},
		{"header damaged", flip(good, 3), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			re, err := retrieval.New(context.Background(), retrieval.Config{Dir: dir})
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: got error %v, want error %t", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if re.Len() != tt.wantArts {
				t.Errorf("got %d articles, want %d", re.Len(), tt.wantArts)
			}
			// The log is usable again: one more article, reopened.
			extra := arts[len(arts)-1]
			extra.ID = "extra"
			addOneByOne(t, re, []article.Article{extra})
			re.Close()
			again := newIndex(t, retrieval.Config{Dir: dir}, nil)
			if again.Len() != tt.wantArts+1 {
				t.Errorf("after one more add and reopening: %d articles, want %d", again.Len(), tt.wantArts+1)
			}
		})
	}
}

// TestReindexVerifiesChecksum checks that a base segment is verified even
// when the embedding model changed and its articles are indexed again, so
// that a damaged byte is never indexed.
func TestReindexVerifiesChecksum(t *testing.T) {
	ctx := context.Background()
	dir := tempDir(t)
	emb := newCountingEmbedder(0)
	newIndex(t, retrieval.Config{Dir: dir, Embed: emb.Func, EmbedModel: "model-a", MergeChunks: 1}, loadSeeds(t))
	path := onlyFile(t, dir, "base-")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(good), "Zelenskyy")
	if i < 0 {
		t.Fatal("no article text found in the base segment")
	}
	if err := os.WriteFile(path, flip(good, i), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := retrieval.Config{Dir: dir, Embed: emb.Func, EmbedModel: "model-b"}
	if _, err := retrieval.New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("re-indexing a damaged base: got %v, want a checksum error", err)
	}
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if ix := newIndex(t, cfg, nil); ix.Len() != 5 {
		t.Errorf("re-indexed the intact base: %d articles, want 5", ix.Len())
	}
}

// TestReadOnlyWritesNothing checks that a read-only index reads the
// directory, serves additions from memory, and changes no file.
func TestReadOnlyWritesNothing(t *testing.T) {
	arts := synthArticles(t, 60)
	dir := tempDir(t)
	w := newIndex(t, retrieval.Config{Dir: dir}, nil)
	addOneByOne(t, w, arts[:4])
	stamp := func() map[string]int64 {
		out := map[string]int64{}
		for _, n := range dirNames(t, dir) {
			fi, err := os.Stat(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			out[n] = fi.Size()
		}
		return out
	}
	before := stamp()
	ro := newIndex(t, retrieval.Config{Dir: dir, ReadOnly: true}, nil)
	if ro.Len() != 4 {
		t.Fatalf("read-only: %d articles, want 4", ro.Len())
	}
	addOneByOne(t, ro, arts[4:6])
	if _, err := ro.Remove(context.Background(), arts[0].ID); err != nil {
		t.Fatal(err)
	}
	if ro.Len() != 5 {
		t.Errorf("read-only after 2 adds and 1 removal: %d articles, want 5", ro.Len())
	}
	if after := stamp(); !mapsEqual(after, before) {
		t.Errorf("read-only index changed the files: %v, want %v", after, before)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestIdleMerge checks that logs are merged into a base segment once adds
// stop for MergeIdle, so that a restart after a quiet spell replays
// nothing.
func TestIdleMerge(t *testing.T) {
	arts := synthArticles(t, 60)
	dir := tempDir(t)
	ix := newIndex(t, retrieval.Config{Dir: dir, MergeIdle: 50 * time.Millisecond}, nil)
	addOneByOne(t, ix, arts[:3])
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		names := dirNames(t, dir)
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "log-") }) &&
			slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "base-") }) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	names := dirNames(t, dir)
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "log-") }) {
		t.Errorf("files after an idle spell: %v, want a base segment and no log", names)
	}
	if re := newIndex(t, retrieval.Config{Dir: dir}, nil); re.Len() != 3 {
		t.Errorf("reopened: %d articles, want 3", re.Len())
	}
}
