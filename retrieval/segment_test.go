package retrieval_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/internal/benchdata"
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
			re.Crash()
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
// is an error, never indexed.
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
		// One flipped bit is damage, not a torn write: the record is
		// whole and was acknowledged (TestLastLogRecordFlipIsAnError).
		{"last record's checksum flipped", flip(good, len(good)-2), true, 0},
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
			t.Cleanup(func() { re.Close() })
			if re.Len() != tt.wantArts {
				t.Errorf("got %d articles, want %d", re.Len(), tt.wantArts)
			}
			// The log is usable again: one more article, reopened.
			extra := arts[len(arts)-1]
			extra.ID = "extra"
			addOneByOne(t, re, []article.Article{extra})
			re.Close()
			again := newIndex(t, retrieval.Config{Dir: dir}, nil)
			t.Cleanup(again.Crash)
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
	newIndex(t, retrieval.Config{Dir: dir, Embed: emb.Func, EmbedModel: "model-a", MergeChunks: 1}, loadSeeds(t)).Crash()
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

// TestOneByOneMatchesMerged indexes half the MultiHop-RAG articles in one
// Add, then adds the rest one Add at a time (each a small segment;
// segments merge in the background and the index compacts meanwhile, into
// base files when it is persistent), updating and removing some along the
// way (removals hit the base and the small segments), and checks at
// several points that it ranks and scores exactly as an index built in
// one Add of the same articles: the same hits with the same scores, with
// and without filters and diversity, the same IDF and article list.
func TestOneByOneMatchesMerged(t *testing.T) {
	ctx := context.Background()
	arts := loadMultiHop(t)
	qs := benchdata.MultiHopQuestions(t)[:20]
	filter := retrieval.Filter{Outlets: []string{arts[0].Outlet, arts[1].Outlet}}
	for _, persistent := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "persistent"}[persistent], func(t *testing.T) {
			cfg := retrieval.Config{MergeIdle: -1}
			if persistent {
				cfg.Dir = tempDir(t)
			}
			// Half the articles come in one Add (a base), the rest one at a
			// time; the persistent index (an fsync per Add) takes fewer.
			arts := arts
			if persistent {
				arts = arts[:400]
			}
			inc := newIndex(t, cfg, arts[:300])
			live := map[string]article.Article{}
			for _, a := range arts[:300] {
				live[a.ID] = a
			}
			check := func(stage string, got *retrieval.Index) {
				t.Helper()
				var final []article.Article
				for _, a := range live {
					final = append(final, a)
				}
				want := newIndex(t, retrieval.Config{}, final)
				if got.Len() != want.Len() || got.ChunkCount() != want.ChunkCount() {
					t.Fatalf("%s: got %d articles, %d chunks; want %d, %d", stage, got.Len(), got.ChunkCount(), want.Len(), want.ChunkCount())
				}
				g, w := searchAll(t, got, qs, filter), searchAll(t, want, qs, filter)
				for i := range w {
					if !sameHits(g[i], w[i]) {
						t.Fatalf("%s: search %d (%q): got %v, want %v", stage, i, qs[i/4], hitsText(g[i]), hitsText(w[i]))
					}
				}
				for _, term := range []string{"trump", "the", "zzzz", "appl", "feder reserv"} {
					if a, b := got.IDF(term), want.IDF(term); a != b {
						t.Errorf("%s: IDF(%q) = %v, want %v", stage, term, a, b)
					}
				}
				gotArts, wantArts := got.Articles(), want.Articles()
				if !slices.EqualFunc(gotArts, wantArts, func(a, b *article.Article) bool { return a.ID == b.ID }) {
					t.Errorf("%s: Articles() differ in IDs or order", stage)
				}
			}
			var removed []string
			for i := 300; i < len(arts); i++ {
				a := arts[i]
				if _, err := inc.Add(ctx, []article.Article{a}); err != nil {
					t.Fatal(err)
				}
				live[a.ID] = a
				switch {
				case i%40 == 39: // remove one added a while ago
					id := arts[i-20].ID
					if n, err := inc.Remove(ctx, id); err != nil || n != 1 {
						t.Fatalf("remove %s: %d, %v", id, n, err)
					}
					delete(live, id)
					removed = append(removed, id)
				case i%50 == 49 || i == 330: // update one, in the base at 330
					u := arts[i-35]
					if i == 330 {
						u = arts[5]
					}
					u.Title += " (updated)"
					if st, err := inc.Add(ctx, []article.Article{u}); err != nil || st.Updated != 1 {
						t.Fatalf("update %s: %+v, %v", u.ID, st, err)
					}
					live[u.ID] = u
				}
			}
			// Add back one that was removed.
			back := arts[slices.IndexFunc(arts, func(a article.Article) bool { return a.ID == removed[0] })]
			if _, err := inc.Add(ctx, []article.Article{back}); err != nil {
				t.Fatal(err)
			}
			live[back.ID] = back
			check("all added", inc)
			if err := inc.Close(); err != nil {
				t.Fatal(err)
			}
			check("merges done", inc)
			if persistent {
				check("reopened", newIndex(t, cfg, nil))
			}
		})
	}
}

// hitsText lists hits as chunk IDs and scores.
func hitsText(hits []retrieval.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%v/%v/%v", h.Chunk.ID, h.Score, h.Lexical, h.Vector))
	}
	return out
}
