package article_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
)

const goodText = "Talks resume in Geneva\n\nThe talks between the two delegations resumed on Thursday in Geneva, officials said.\n"

// writeFiles creates files under dir; a nil content creates a directory.
func writeFiles(tb testing.TB, dir string, files map[string][]byte) {
	tb.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if data == nil {
			if err := os.MkdirAll(p, 0o755); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

func ids(arts []article.Article) []string {
	out := make([]string, len(arts))
	for i, a := range arts {
		out[i] = a.ID
	}
	return out
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"b.txt":              []byte(goodText),
		"a.md":               []byte("# Headline here\n\n" + goodText),
		"sub/deeper/c.txt":   []byte(goodText),
		"sub/records.jsonl":  []byte(`{"_id": "r1", "title": "One", "text": "Record one."}` + "\n" + `{"_id": "r2", "title": "Two", "text": "Record two."}` + "\n"),
		"notes.csv":          []byte("not,an,article\n"),
		".hidden.txt":        []byte(goodText),
		".git/objects/x.txt": []byte(goodText),
		"empty.txt":          {},
		"blank.md":           []byte(" \n\u00a0\n"),
		"binary.txt":         []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		"control.txt":        []byte(strings.Repeat("\x01\x02\x03 ", 50)),
		"latin1.txt":         []byte("Caf\xe9 society returns to Paris."),
		"bad.json":           []byte(`[{"_id": "x", "text": "fine"}, {"_id": `),
		"object.json":        []byte("{\n  \"_id\": \"solo\",\n  \"text\": \"A single object is not an array.\"\n}\n"),
		"chrome.txt":         []byte("Sign up to read this article\nRelated Stories\n"),
		"zdup.jsonl":         []byte(`{"_id": "r1", "title": "Same ID again", "text": "Duplicate."}` + "\n"),
	})
	big := filepath.Join(dir, "big.txt")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(article.MaxTextSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A symbolic link to nothing cannot be read, even by root.
	if err := os.Symlink(filepath.Join(dir, "gone.txt"), filepath.Join(dir, "dangling.txt")); err != nil {
		t.Fatal(err)
	}
	unreadable := os.Geteuid() != 0 // root can read a file whatever its mode
	if unreadable {
		writeFiles(t, dir, map[string][]byte{"locked.txt": []byte(goodText)})
		if err := os.Chmod(filepath.Join(dir, "locked.txt"), 0); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("running as root, which can read a chmod 000 file: that case is not tested")
	}

	arts, skips, err := article.Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantIDs := []string{"a.md", "b.txt", "sub/deeper/c.txt", "r1", "r2"}
	if got := ids(arts); !slices.Equal(got, wantIDs) {
		t.Errorf("got IDs %q, want %q", got, wantIDs)
	}
	for _, a := range arts {
		checkBody(t, a)
	}
	wantSkips := map[string]error{
		"big.txt":      article.ErrTooLarge,
		"empty.txt":    article.ErrEmpty,
		"blank.md":     article.ErrEmpty,
		"binary.txt":   article.ErrBinary,
		"control.txt":  article.ErrBinary,
		"latin1.txt":   article.ErrNotUTF8,
		"bad.json":     article.ErrBadJSON,
		"object.json":  article.ErrNotRecords,
		"chrome.txt":   article.ErrNoContent,
		"zdup.jsonl":   article.ErrDuplicateID,
		"dangling.txt": article.ErrUnreadable,
	}
	if unreadable {
		wantSkips["locked.txt"] = article.ErrUnreadable
	}
	got := make(map[string]article.Skip)
	for _, s := range skips {
		got[s.Name] = s
	}
	for name, want := range wantSkips {
		s, ok := got[name]
		switch {
		case !ok:
			t.Errorf("got no skip for %s, want one for %v", name, want)
		case !errors.Is(s.Err, want):
			t.Errorf("got skip %s for %s, want %v", s, name, want)
		case s.Reason == "":
			t.Errorf("got skip for %s without a reason", name)
		}
	}
	if len(skips) != len(wantSkips) {
		t.Errorf("got %d skips %v, want %d", len(skips), skips, len(wantSkips))
	}
}

func TestLoadSingleFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"deep/story.txt": []byte(goodText),
		"corpus.jsonl":   []byte(`{"title": "No id", "text": "Record without _id or url."}` + "\n"),
		"bad.txt":        []byte("\x00\x01"),
	})
	tests := []struct {
		path    string
		wantIDs []string
		wantErr error // of the one skip, if any
	}{
		{"deep/story.txt", []string{"story.txt"}, nil},
		{"corpus.jsonl", []string{"corpus.jsonl#0"}, nil},
		{"bad.txt", nil, article.ErrBinary},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			arts, skips, err := article.Load(filepath.Join(dir, tt.path))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := ids(arts); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("got IDs %q, want %q", got, tt.wantIDs)
			}
			if tt.wantErr == nil && len(skips) != 0 {
				t.Errorf("got skips %v, want none", skips)
			}
			if tt.wantErr != nil && (len(skips) != 1 || !errors.Is(skips[0].Err, tt.wantErr)) {
				t.Errorf("got skips %v, want one for %v", skips, tt.wantErr)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, _, err := article.Load(filepath.Join(t.TempDir(), "no", "such.txt"))
	if !errors.Is(err, article.ErrNotFound) {
		t.Errorf("got error %v, want ErrNotFound", err)
	}
}
