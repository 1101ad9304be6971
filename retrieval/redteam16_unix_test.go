//go:build unix && !aix

package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLockFileRemovedUnderWriter: a careless user takes the LOCK of a
// running writer for a stale one and deletes it (or puts a new file, a
// directory or a symlink in its place), and a second writer opens the
// directory on the new LOCK. The first writer's lock no longer excludes
// anyone, so it must write no more: its next Add, Remove and merge fail
// with ErrLocked, and every article either writer acknowledged is there
// when the directory is opened again. Without the check the first writer
// went on appending to the log that the second one had reopened, and
// the second one's merge deleted the first one's acknowledged articles.
func TestLockFileRemovedUnderWriter(t *testing.T) {
	arts := fiveSeeds(t)
	ctx := context.Background()
	replace := []struct {
		name string
		swap func(t *testing.T, path string)
	}{
		{"removed", func(t *testing.T, path string) {}},
		{"new file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink", func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(filepath.Dir(path), "elsewhere"), path); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range replace {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{Dir: dir, MergeChunks: 1 << 20, MergeIdle: -1}
			first := newTestIndex(t, cfg, arts[:1])
			if _, err := first.Add(ctx, arts[1:2]); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, LockFile)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			tt.swap(t, path)
			second, err := New(ctx, cfg)
			if tt.name == "directory" {
				// No second writer gets in; the first still must see
				// that its lock is gone.
				if err == nil {
					second.Close()
					t.Fatal("a second writer opened with LOCK a directory")
				}
				second = nil
			} else if err != nil {
				t.Fatalf("a second writer on the new %s: %v", LockFile, err)
			}
			if second != nil {
				if _, err := second.Add(ctx, arts[2:3]); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := first.Add(ctx, arts[3:4]); !errors.Is(err, ErrLocked) {
				t.Errorf("the first writer adding after its %s was replaced: got %v, want ErrLocked", LockFile, err)
			}
			if _, err := first.Remove(ctx, arts[0].ID); !errors.Is(err, ErrLocked) {
				t.Errorf("the first writer removing after its %s was replaced: got %v, want ErrLocked", LockFile, err)
			}
			if err := checkpointNow(first); !errors.Is(err, ErrLocked) {
				t.Errorf("the first writer merging after its %s was replaced: got %v, want ErrLocked", LockFile, err)
			}
			if _, ok := first.Article(arts[3].ID); ok {
				t.Errorf("the first writer's failed Add left %s in its index", arts[3].ID)
			}
			if _, ok := first.Article(arts[0].ID); !ok {
				t.Errorf("the first writer's failed Remove took %s out of its index", arts[0].ID)
			}
			if err := first.Close(); err != nil {
				t.Errorf("closing the first writer: %v", err)
			}
			if _, err := first.Add(ctx, arts[3:4]); !errors.Is(err, ErrLocked) {
				t.Errorf("the first writer adding after its Close: got %v, want ErrLocked", err)
			}
			want := arts[:2]
			if second != nil {
				if err := checkpointNow(second); err != nil {
					t.Fatal(err)
				}
				if err := second.Close(); err != nil {
					t.Fatal(err)
				}
				want = arts[:3]
			}
			re := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
			for _, a := range want {
				if _, ok := re.Article(a.ID); !ok {
					t.Errorf("acknowledged article %s lost", a.ID)
				}
			}
			if _, ok := re.Article(arts[3].ID); ok {
				t.Errorf("article %s, whose Add failed, is in the index", arts[3].ID)
			}
		})
	}
}

// checkpointNow merges everything into a new base at once, as a bulk Add
// does.
func checkpointNow(ix *Index) error {
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	return ix.checkpoint()
}
