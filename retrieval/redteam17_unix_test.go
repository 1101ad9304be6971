//go:build unix && !aix

package retrieval

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
)

// TestDamagedMappedBaseIsNoLongerRead damages the base file while a merge
// reads it from a mapping (cut short, or a byte flipped where mapBase
// does not sample), as a careless user or another program could. The
// merge's check fails (TestMergeCheckOfMappedBase); the index must then
// stop reading the mapping: searches fail with ErrDamaged, naming the
// file and telling the user to restore it or rebuild; adds, removals and
// merges are refused likewise; articles and term statistics stay
// readable; and opening the directory again reports the damage. Before
// the fix the snapshot kept the mapping, and the next search ended the
// test process with SIGBUS reading a page cut off (checked).
func TestDamagedMappedBaseIsNoLongerRead(t *testing.T) {
	ctx := context.Background()
	arts := synthArticles(121)
	for _, tt := range []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
	}{
		{"cut short", func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, size/3); err != nil {
				t.Fatal(err)
			}
		}},
		{"a byte flipped", func(t *testing.T, path string, size int64) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b := make([]byte, 1)
			if _, err := f.ReadAt(b, size-5); err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0x40
			if _, err := f.WriteAt(b, size-5); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ix, err := New(ctx, Config{Dir: dir, MergeIdle: -1, MergeChunks: 100})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Add(ctx, arts[:120]); err != nil {
				t.Fatal(err)
			}
			if _, err := ix.Add(ctx, arts[120:]); err != nil { // a log: the snapshot is not compacted
				t.Fatal(err)
			}
			query := Query{Text: arts[3].Title, K: 5}
			if hits, err := ix.Search(ctx, query); err != nil || len(hits) == 0 {
				t.Fatalf("search before the damage: %d hits, %v", len(hits), err)
			}
			ix.addMu.Lock()
			s := ix.mapBase()
			if s.lex.segs[0].mapped == nil {
				ix.addMu.Unlock()
				t.Fatal("the base segment is not mapped")
			}
			path := s.lex.segs[0].file.Load().path
			fi, err := os.Stat(path)
			if err != nil {
				ix.addMu.Unlock()
				t.Fatal(err)
			}
			tt.damage(t, path, fi.Size())
			ix.startBackgroundMerge()
			ix.waitMerges()
			ix.addMu.Unlock()
			s = nil

			if g := ix.current().lex.segs[0]; g.mapped != nil {
				t.Error("the current snapshot still reads the damaged mapping")
			}
			checkDamaged := func(what string, err error) {
				t.Helper()
				switch {
				case !errors.Is(err, ErrDamaged):
					t.Errorf("%s: got %v, want ErrDamaged", what, err)
				case !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "restore"):
					t.Errorf("%s: %v, want the file's name and what to do", what, err)
				}
			}
			_, err = ix.Search(ctx, query)
			checkDamaged("search", err)
			_, err = ix.Add(ctx, []article.Article{arts[0]})
			checkDamaged("add", err)
			_, err = ix.Remove(ctx, arts[1].ID)
			checkDamaged("remove", err)
			checkDamaged("merge", checkpointNow(ix))
			if _, ok := ix.Article(arts[1].ID); !ok {
				t.Errorf("article %s: gone after the refused removal", arts[1].ID)
			}
			if got := ix.Len(); got != len(arts) {
				t.Errorf("%d articles, want %d", got, len(arts))
			}
			for _, term := range ix.Analyze(arts[3].Title) {
				ix.IDF(term) // reads no mapping
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			if re, err := New(ctx, Config{Dir: dir, ReadOnly: true}); err == nil {
				re.Close()
				t.Error("opening the directory again: no error for its damaged base file")
			}
		})
	}
}
