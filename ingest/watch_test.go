package ingest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
)

// batch is one call of WatchDir's onChange.
type batch struct {
	ids     []string
	skips   []article.Skip
	deleted []string
}

func TestWatchDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	story := func(s string) string {
		return "Harbour bridge reopens\n\nThe harbour bridge reopened to traffic on Tuesday after eleven weeks of repairs, the council said. " + s + "\n"
	}
	write("old.txt", story("It was there before the watch began."))
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan batch, 10)
	done := make(chan error, 1)
	go func() {
		done <- WatchDir(ctx, dir, 10*time.Millisecond, func(_ context.Context, ch Change) {
			var b batch
			for _, a := range ch.Articles() {
				b.ids = append(b.ids, a.ID)
			}
			b.skips, b.deleted = ch.Skips, ch.Deleted
			calls <- b
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchDir: %v", err)
		}
	}()
	expect := func(step string, want []string, wantDeleted ...string) {
		t.Helper()
		select {
		case b := <-calls:
			if !slices.Equal(b.ids, want) || len(b.skips) != 0 || !slices.Equal(b.deleted, wantDeleted) {
				t.Errorf("%s: got articles %v, skips %v, deleted %v; want %v, deleted %v", step, b.ids, b.skips, b.deleted, want, wantDeleted)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no call, want articles %v", step, want)
		}
	}
	quiet := func(step string) {
		t.Helper()
		select {
		case b := <-calls:
			t.Errorf("%s: got a call with %v %v, want none", step, b.ids, b.skips)
		case <-time.After(150 * time.Millisecond): // fifteen polls
		}
	}
	quiet("files present at the start")
	write("new.txt", story("It is new."))
	write("notes.pdf", "not an article")
	write(".hidden.txt", story("Hidden."))
	expect("a new file", []string{"new.txt"})
	quiet("the same file, unchanged")
	write("new.txt", story("It is new, and changed since."))
	expect("a changed file", []string{"new.txt"})
	if err := os.Remove(filepath.Join(dir, "old.txt")); err != nil {
		t.Fatal(err)
	}
	expect("a deleted file", nil, "old.txt")
	write("b.md", story("Second file."))
	write("a.md", story("First file."))
	expect("two new files", []string{"a.md", "b.md"})
}

func TestWatchDirMissing(t *testing.T) {
	err := WatchDir(context.Background(), filepath.Join(t.TempDir(), "nope"), time.Millisecond, func(context.Context, Change) {
		t.Error("onChange called for a missing directory")
	})
	if err == nil {
		t.Error("got no error for a missing directory")
	}
}
