//go:build unix

package retrieval

import (
	"context"
	"errors"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/seeds"
)

// TestOneWriterPerDirectory: a second writer of an index directory, in
// this process or another, is refused while the first holds it, a
// read-only index opens beside it, and an Index closed and then changed
// by another writer refuses to write from its stale view; no acknowledged
// article is lost. Without the lock the second writer's first log took the
// number of the first writer's and truncated it.
func TestOneWriterPerDirectory(t *testing.T) {
	arts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) < 5 {
		t.Fatalf("%d seed articles, want 5", len(arts))
	}
	ctx := context.Background()
	dir := t.TempDir()
	cfg := Config{Dir: dir, MergeChunks: 1000, MergeIdle: -1}
	first := newTestIndex(t, cfg, arts[:2])

	if ix, err := New(ctx, cfg); !errors.Is(err, ErrLocked) {
		if ix != nil {
			ix.Close()
		}
		t.Fatalf("a second writer beside the first: got %v, want ErrLocked", err)
	}
	ro := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
	if _, ok := ro.Article(arts[1].ID); !ok {
		t.Errorf("the read-only index beside the writer lacks %s", arts[1].ID)
	}

	// Closed, the first lets a second writer in, and cannot write while
	// that one holds the directory, nor after it, from its stale view.
	if _, err := first.Add(ctx, arts[2:3]); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := newTestIndex(t, cfg, arts[3:4])
	if _, err := first.Add(ctx, arts[4:5]); !errors.Is(err, ErrLocked) {
		t.Fatalf("closed writer adding while another holds the directory: got %v, want ErrLocked", err)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Add(ctx, arts[4:5]); !errors.Is(err, ErrLocked) {
		t.Fatalf("closed writer adding after another changed the directory: got %v, want ErrLocked", err)
	}
	// The second, closed and unchanged since, writes again.
	if _, err := second.Add(ctx, arts[4:5]); err != nil {
		t.Fatalf("writer adding again after its own Close: %v", err)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}

	re := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
	for _, a := range arts[:5] {
		if _, ok := re.Article(a.ID); !ok {
			t.Errorf("acknowledged article %s lost", a.ID)
		}
	}
}
