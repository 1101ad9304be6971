package article

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// Skip records an input that was not loaded, and why.
type Skip struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

func (s Skip) String() string { return s.Name + ": " + s.Reason }

// ErrNotFound is returned by Load when the path does not exist.
var ErrNotFound = errors.New("no such file or directory")

// Load reads articles from path: a directory of .txt/.md files, one such
// file, a JSON array of records, or a JSONL file of records (MultiHop-RAG or
// BEIR layout). Files that cannot be used are reported in skips; the error is
// for a path that cannot be read at all.
func Load(p string) ([]Article, []Skip, error) {
	// STUB: replaced by the loader work.
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("load %s: %w", p, ErrNotFound)
		}
		return nil, nil, fmt.Errorf("load %s: %w", p, err)
	}
	if fi.IsDir() {
		return LoadFS(os.DirFS(p))
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", p, err)
	}
	a, err := ParseText(path.Base(p), data)
	if err != nil {
		return nil, []Skip{{Name: p, Reason: err.Error()}}, nil
	}
	return []Article{a}, nil, nil
}

// LoadFS reads the .txt and .md files at the top of fsys, as for the
// embedded seeds.
func LoadFS(fsys fs.FS) ([]Article, []Skip, error) {
	// STUB: replaced by the loader work.
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, err
	}
	var arts []Article
	var skips []Skip
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".txt") || strings.HasSuffix(e.Name(), ".md")) {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			skips = append(skips, Skip{Name: e.Name(), Reason: err.Error()})
			continue
		}
		a, err := ParseText(e.Name(), data)
		if err != nil {
			skips = append(skips, Skip{Name: e.Name(), Reason: err.Error()})
			continue
		}
		arts = append(arts, a)
	}
	return arts, skips, nil
}

// ParseText builds an article from a plain-text file: it finds the headline,
// outlet, author and date where the text gives them, and marks page chrome
// off from the body.
func ParseText(name string, data []byte) (Article, error) {
	// STUB: replaced by the loader work.
	if len(data) == 0 {
		return Article{}, errors.New("empty file")
	}
	if !utf8.Valid(data) {
		return Article{}, errors.New("not UTF-8 text")
	}
	text := string(data)
	return Article{ID: name, Text: text, Body: []Span{{0, len(text)}}}, nil
}
