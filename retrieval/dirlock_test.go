//go:build unix && !aix

package retrieval

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/seeds"
	"golang.org/x/sys/unix"
)

// TestOneWriterPerDirectory: a second writer of an index directory, in
// this process or another, is refused while the first holds it, a
// read-only index opens beside it, and an Index closed and then changed
// by another writer refuses to write from its stale view; no acknowledged
// article is lost. Without the lock the second writer's first log took the
// number of the first writer's and truncated it.
func TestOneWriterPerDirectory(t *testing.T) {
	arts := fiveSeeds(t)
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
	// Closed again, not holding the directory, the first cannot tell what
	// changed since it held it: its view stays stale.
	if err := first.Close(); err != nil {
		t.Fatalf("closing a closed writer: %v", err)
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

// fiveSeeds returns the five seed articles.
func fiveSeeds(tb testing.TB) []article.Article {
	tb.Helper()
	arts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		tb.Fatal(err)
	}
	if len(arts) != 5 {
		tb.Fatalf("%d seed articles, want 5", len(arts))
	}
	return arts
}

// lockChildEnv names, in the environment of a child process of
// TestOneWriterAcrossProcesses, the index directory it writes.
const lockChildEnv = "BRIEFBOT_LOCK_CHILD_DIR"

// TestOneWriterAcrossProcesses starts writers of one index directory in
// child processes (this test binary again): while a child holds the
// directory, a writer here is refused at once with an error naming it and
// saying that another process holds it, and a writer started in another
// child is refused too; the directory opens again once the child has
// closed its index and exited, or once it was killed with SIGKILL (the
// kernel dropped its lock: none is left stale). Every article a child
// acknowledged is there.
func TestOneWriterAcrossProcesses(t *testing.T) {
	if dir := os.Getenv(lockChildEnv); dir != "" {
		lockChild(dir)
		return
	}
	arts := fiveSeeds(t)
	ctx := context.Background()
	dir := t.TempDir()
	cfg := Config{Dir: dir, MergeIdle: -1}
	first := newTestIndex(t, cfg, arts[:1])
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	refused := func(t *testing.T, what string) {
		t.Helper()
		start := time.Now()
		ix, err := New(ctx, cfg)
		took := time.Since(start)
		if err == nil {
			ix.Close()
			t.Fatalf("%s: a writer opened beside the child's, want ErrLocked", what)
		}
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), filepath.Join(dir, LockFile)) || !strings.Contains(err.Error(), "another process") {
			t.Errorf("%s: got %v, want ErrLocked naming %s and another process", what, err, filepath.Join(dir, LockFile))
		}
		if took > 5*time.Second {
			t.Errorf("%s: refused after %v, want at once", what, took)
		}
	}
	for i, end := range []string{"exit", "kill"} {
		t.Run(end, func(t *testing.T) {
			child := startLockChild(t, dir)
			if got := child.line(t); got != "ack "+arts[i+1].ID {
				t.Fatalf("child: got %q, want ack %s", got, arts[i+1].ID)
			}
			refused(t, "while a child holds it")
			other := startLockChild(t, dir)
			if got := other.line(t); !strings.HasPrefix(got, "error ") || !strings.Contains(got, ErrLocked.Error()) {
				t.Errorf("a second child beside the first: got %q, want its error", got)
			}
			other.wait(t)
			ro := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
			if _, ok := ro.Article(arts[i+1].ID); !ok {
				t.Errorf("the read-only index beside the child lacks %s", arts[i+1].ID)
			}
			if end == "kill" {
				if err := child.cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
			} else {
				child.stdin.Close()
			}
			child.wait(t)
			ix := newTestIndex(t, cfg, nil)
			for _, a := range arts[:i+2] {
				if _, ok := ix.Article(a.ID); !ok {
					t.Errorf("after the child's %s: acknowledged article %s lost", end, a.ID)
				}
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// lockProc is a child process of TestOneWriterAcrossProcesses.
type lockProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

// startLockChild starts a child that writes the index in dir.
func startLockChild(t *testing.T, dir string) *lockProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOneWriterAcrossProcesses$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &lockProc{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(out)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// line returns the child's next line of output.
func (p *lockProc) line(t *testing.T) string {
	t.Helper()
	if !p.lines.Scan() {
		t.Fatalf("the child ended without a word: %v", p.lines.Err())
	}
	return p.lines.Text()
}

// wait waits for the child to end, reading what is left of its output.
func (p *lockProc) wait(t *testing.T) {
	t.Helper()
	for p.lines.Scan() {
	}
	p.cmd.Wait() // its exit status: killed, or 1 after an error, or 0
}

// lockChild opens the index in dir as its writer, adds the first seed
// article it lacks and says "ack ID", then waits for its standard input to
// end, closes the index and exits; or it says "error" and why New failed.
func lockChild(dir string) {
	ctx := context.Background()
	ix, err := New(ctx, Config{Dir: dir, MergeIdle: -1})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	arts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for _, a := range arts {
		if _, ok := ix.Article(a.ID); ok {
			continue
		}
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ack", a.ID)
		break
	}
	io.Copy(io.Discard, os.Stdin)
	if err := ix.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestLockErrors checks what a writer is told when it cannot lock its
// directory: held by another writer (ErrLocked), a file system that does
// not lock files (its own error, not ErrLocked), a LOCK it cannot open;
// and that an interrupted flock is tried again.
func TestLockErrors(t *testing.T) {
	tests := []struct {
		name       string
		errs       []error // what flock returns, call by call
		lockIsDir  bool
		wantLocked bool   // errors.Is ErrLocked
		wantErrno  error  // errors.Is this errno; nil for none
		wantText   string // in the message; "" for success
	}{
		{"held", []error{unix.EWOULDBLOCK}, false, true, nil, "locked by another process"},
		{"not supported", []error{unix.EOPNOTSUPP}, false, false, unix.EOPNOTSUPP, "does not lock files"},
		{"no locks", []error{unix.ENOLCK}, false, false, unix.ENOLCK, "does not lock files"},
		{"other", []error{unix.EIO}, false, false, unix.EIO, "input/output error"},
		{"interrupted", []error{unix.EINTR, unix.EINTR, nil}, false, false, nil, ""},
		{"LOCK is a directory", nil, true, false, unix.EISDIR, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), LockFile)
			if tt.lockIsDir {
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			calls := 0
			flock := func(fd, how int) error {
				if how != unix.LOCK_EX|unix.LOCK_NB {
					t.Errorf("flock how %#x, want LOCK_EX|LOCK_NB", how)
				}
				calls++
				return tt.errs[calls-1]
			}
			f, err := lockFile(path, flock)
			if f != nil {
				f.Close()
			}
			if calls != len(tt.errs) {
				t.Errorf("flock called %d times, want %d", calls, len(tt.errs))
			}
			if tt.wantText == "" {
				if err != nil || f == nil {
					t.Fatalf("got %v, %v; want the locked file", f, err)
				}
				return
			}
			if err == nil || f != nil {
				t.Fatalf("got %v, %v; want an error", f, err)
			}
			if errors.Is(err, ErrLocked) != tt.wantLocked || tt.wantErrno != nil && !errors.Is(err, tt.wantErrno) ||
				!strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v; want ErrLocked %t, %v, %q and the path %s", err, tt.wantLocked, tt.wantErrno, tt.wantText, path)
			}
		})
	}
}

// TestLockFailureWritesNothing: a writer that cannot take the lock (here
// LOCK is a directory) fails in New and leaves the directory as it was.
func TestLockFailureWritesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, LockFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if ix, err := New(context.Background(), Config{Dir: dir}); err == nil {
		ix.Close()
		t.Fatal("New with a LOCK it cannot open: got no error")
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("the directory holds %v after the failed New, want only %s", names, LockFile)
	}
}

// TestLockFileIsNoSegment: LOCK is none of the index's files: a directory
// that holds only LOCK (a writer ended before its first write) opens,
// read-only and as a writer, as an empty index; Files does not list it;
// it stays beside a MANIFEST-less first base segment without making that
// an error.
func TestLockFileIsNoSegment(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ix := newTestIndex(t, Config{Dir: dir}, nil)
	ix.Crash()
	if names := dirEntries(t, dir); len(names) != 1 || names[0] != LockFile {
		t.Fatalf("after a writer's New: %v, want only %s", names, LockFile)
	}
	for _, ro := range []bool{true, false} {
		ix, err := New(ctx, Config{Dir: dir, ReadOnly: ro})
		if err != nil {
			t.Fatalf("New (ReadOnly %t) of a directory holding only %s: %v", ro, LockFile, err)
		}
		if ix.Len() != 0 {
			t.Errorf("ReadOnly %t: %d articles, want 0", ro, ix.Len())
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ix = newTestIndex(t, Config{Dir: dir, MergeChunks: 1}, fiveSeeds(t)[:1])
	if names, _ := ix.Files(); len(names) != 1 || names[0] == LockFile {
		t.Errorf("Files: %v, want the base segment alone", names)
	}
	ix.Crash()
	if err := os.Remove(filepath.Join(dir, manifestFile)); err != nil {
		t.Fatal(err)
	}
	if ix := newTestIndex(t, Config{Dir: dir}, nil); ix.Len() != 1 {
		t.Errorf("the first base beside %s without a %s: %d articles, want 1", LockFile, manifestFile, ix.Len())
	}
}
