//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// readOnlyChildEnv names, in the environment of a child test process, the
// read-only data directory it answers from (TestReadOnlyDataDirAnswers).
const readOnlyChildEnv = "BRIEFBOT_TEST_READONLY_DIR"

// readOnlyRun is what one command printed and its exit status.
type readOnlyRun struct {
	Name           string
	Stdout, Stderr string
	Code           int
}

// readOnlyRuns runs, on the data directory dir, the commands that only
// read it: ask, source, briefing, status and the terminal chat.
func readOnlyRuns(tb testing.TB, dir string) []readOnlyRun {
	var out []readOnlyRun
	for _, c := range []struct {
		name, stdin string
		args        []string
	}{
		{"ask", "", []string{"ask", "How long did Trump's call with Putin last?"}},
		{"source", "", []string{"source", "Article 5-like"}},
		{"briefing", "", []string{"briefing"}},
		{"status", "", []string{"status"}},
		{"chat", "How long did Trump's call with Putin last?\n/quit\n", nil},
	} {
		stdout, stderr, code := runBot(tb, env{"BOT_DATA_DIR": dir}, c.stdin, c.args...)
		out = append(out, readOnlyRun{c.name, stdout, stderr, code})
	}
	return out
}

// TestReadOnlyDataDirAnswers: a data directory the process cannot write
// (its permissions here; a read-only mount alike) must still answer:
// ask, source, briefing, status and the chat read the index as it is,
// with a one-line note that it is read-only (the chat's says what is
// off), and write nothing. Before the fix each (but status) failed, as
// the bot's state store (bbolt, state.db) did not open. Run as root,
// which permissions do not stop, the commands run in a child test
// process as the user nobody. Checked to fail without the fix.
func TestReadOnlyDataDirAnswers(t *testing.T) {
	if dir := os.Getenv(readOnlyChildEnv); dir != "" {
		if err := json.NewEncoder(os.Stdout).Encode(readOnlyRuns(t, dir)); err != nil {
			t.Fatal(err)
		}
		return
	}
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	if _, stderr, code := runBot(t, env{"BOT_DATA_DIR": dir}, "", "ask", "What did Zelenskyy propose?"); code != 0 {
		t.Fatalf("the first run, writing the data directory: exit status %d, %s", code, stderr)
	}
	before := treeOf(t, dir)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o555)
		}
		return os.Chmod(path, 0o444)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil {
				os.Chmod(path, 0o755)
			}
			return nil
		})
	})
	var runs []readOnlyRun
	if os.Geteuid() != 0 {
		runs = readOnlyRuns(t, dir)
	} else {
		runs = readOnlyChild(t, root, dir)
	}
	for _, r := range runs {
		if r.Code != 0 {
			t.Errorf("%s on a read-only data directory: exit status %d, stderr %q", r.Name, r.Code, r.Stderr)
			continue
		}
		switch r.Name {
		case "ask", "chat":
			if !strings.Contains(r.Stdout, "40 minutes") {
				t.Errorf("%s: got %q, want the answer (40 minutes)", r.Name, r.Stdout)
			}
		case "source":
			if !strings.Contains(r.Stdout, "Article 5-like") {
				t.Errorf("source: got %q, want the quote", r.Stdout)
			}
		}
		note := strings.Count(r.Stderr, "read-only")
		switch {
		case r.Name == "status":
		case note != 1 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0:
			t.Errorf("%s: stderr %q, want one line saying the data directory is read-only", r.Name, r.Stderr)
		case r.Name == "chat" && !strings.Contains(r.Stderr, "feeds"):
			t.Errorf("chat: stderr %q, want it to say what is off", r.Stderr)
		}
	}
	if after := treeOf(t, dir); !maps.Equal(before, after) {
		t.Errorf("the read-only data directory changed:\nbefore %v\nafter  %v", before, after)
	}
}

// readOnlyChild runs readOnlyRuns in a copy of the test binary as the
// user nobody, whom the permissions stop, and returns its runs.
func readOnlyChild(t *testing.T, root, dir string) []readOnlyRun {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bot.test")
	copyFile(t, os.Args[0], bin)
	for _, d := range []string{filepath.Dir(bin), filepath.Dir(root), root} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run=^TestReadOnlyDataDirAnswers$")
	cmd.Env = []string{readOnlyChildEnv + "=" + dir, "PATH=" + os.Getenv("PATH"), "HOME=" + root}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the child as nobody: %v\n%s", err, out)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	var runs []readOnlyRun
	if err := json.Unmarshal([]byte(first), &runs); err != nil {
		t.Fatalf("the child's output %q: %v", out, err)
	}
	return runs
}

// copyFile copies the file src to dst, executable.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// treeOf returns the files under dir with their sizes and times.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !d.IsDir() {
			out[rel] = fmt.Sprintf("%d bytes, changed %v", fi.Size(), fi.ModTime())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
