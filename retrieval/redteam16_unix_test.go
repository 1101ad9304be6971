//go:build unix && !aix

package retrieval

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// TestMergeCheckOfMappedBase damages the base file after a merge mapped
// it (mapBase samples the file only then) and runs the merge's check of
// the mapping (checkMapped): a byte flipped where mapBase did not look is
// errChecksum, so the merge does not write the damage into a new base
// whose checksum holds; a file cut short under the mapping is an error
// that names the file, where reading the missing pages ended the test
// process with SIGBUS (checked without the fix); an intact file passes.
func TestMergeCheckOfMappedBase(t *testing.T) {
	arts := synthArticles(120)
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string, size int64)
		wantErr  bool
		checksum bool // errors.Is errChecksum
	}{
		{"intact", func(*testing.T, string, int64) {}, false, false},
		{"a byte flipped at the end", func(t *testing.T, path string, size int64) {
			b := make([]byte, 1)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.ReadAt(b, size-5); err != nil {
				t.Fatal(err)
			}
			b[0] ^= 0x40
			if _, err := f.WriteAt(b, size-5); err != nil {
				t.Fatal(err)
			}
		}, true, true},
		{"the file cut short", func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, size/3); err != nil {
				t.Fatal(err)
			}
		}, true, false},
		{"the file cut to nothing", func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := newTestIndex(t, Config{Dir: t.TempDir(), MergeIdle: -1, MergeChunks: 100}, arts)
			s := ix.current()
			base := s.lex.segs[0]
			bf := base.file.Load()
			if bf == nil {
				t.Fatal("the base segment does not know its file")
			}
			mg := base.mapBase()
			if mg == nil {
				t.Fatal("the intact file is not mapped")
			}
			ms := s.withSegs([]*lexSeg{base}, mg)
			fi, err := os.Stat(bf.path)
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, bf.path, fi.Size())
			err = ms.checkMapped()
			switch {
			case !tt.wantErr && err != nil:
				t.Fatalf("checkMapped: %v, want no error", err)
			case tt.wantErr && err == nil:
				t.Fatal("checkMapped of a damaged file: no error")
			case tt.wantErr && !strings.Contains(err.Error(), bf.path):
				t.Errorf("checkMapped: %v, want the file's name in it", err)
			case errors.Is(err, errChecksum) != tt.checksum:
				t.Errorf("checkMapped: %v, errors.Is errChecksum %t, want %t", err, errors.Is(err, errChecksum), tt.checksum)
			}
		})
	}
}

// TestWritersRacingToOpen opens eight writers of one fresh directory at
// once: exactly one gets it, the others ErrLocked with nothing written;
// the one adds, closes, and its article is there (no break found).
func TestWritersRacingToOpen(t *testing.T) {
	ctx := context.Background()
	arts := fiveSeeds(t)
	for round := range 5 {
		dir := filepath.Join(t.TempDir(), "index")
		cfg := Config{Dir: dir, MergeIdle: -1}
		ixs := make([]*Index, 8)
		errs := make([]error, 8)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range ixs {
			wg.Go(func() {
				<-start
				ixs[i], errs[i] = New(ctx, cfg)
			})
		}
		close(start)
		wg.Wait()
		var won *Index
		for i, err := range errs {
			switch {
			case err == nil && won == nil:
				won = ixs[i]
			case err == nil:
				ixs[i].Close()
				t.Errorf("round %d: a second writer opened the directory", round)
			case !errors.Is(err, ErrLocked):
				t.Errorf("round %d: got %v, want ErrLocked", round, err)
			}
		}
		if won == nil {
			t.Fatalf("round %d: no writer opened the directory: %v", round, errs)
		}
		if _, err := won.Add(ctx, arts[round:round+1]); err != nil {
			t.Fatal(err)
		}
		if err := won.Close(); err != nil {
			t.Fatal(err)
		}
		if re := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil); re.Len() != 1 {
			t.Errorf("round %d: %d articles after the winner's Add, want 1", round, re.Len())
		}
	}
}
