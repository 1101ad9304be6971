package article

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Skip records an input that was not loaded, and why.
type Skip struct {
	// Name is the file's path (relative to the directory loaded), or for a
	// record "file.json#12" or "file.jsonl:line 12".
	Name string `json:"name"`
	// Reason says in plain English why the input was skipped.
	Reason string `json:"reason"`
	// Err is the error behind Reason; it wraps one of the Err values of this
	// package, for errors.Is.
	Err error `json:"-"`
}

// String returns the skip as "name: reason".
func (s Skip) String() string { return s.Name + ": " + s.Reason }

func skipOf(name string, err error) Skip {
	return Skip{Name: name, Reason: err.Error(), Err: err}
}

// Errors behind Load's error and the skips it reports.
var (
	// ErrNotFound is returned by Load when the path does not exist.
	ErrNotFound = errors.New("no such file or directory")
	// ErrEmpty: the file is empty or only white space.
	ErrEmpty = errors.New("empty file")
	// ErrBinary: the file holds NUL bytes or mostly control characters.
	ErrBinary = errors.New("binary file")
	// ErrNotUTF8: the file is not valid UTF-8 text.
	ErrNotUTF8 = errors.New("not UTF-8 text")
	// ErrTooLarge: the file is over MaxTextSize or MaxRecordsSize.
	ErrTooLarge = errors.New("file too large")
	// ErrNoContent: the text holds nothing but page chrome and a header.
	ErrNoContent = errors.New("no article text besides page chrome")
	// ErrUnreadable: the file or directory could not be read.
	ErrUnreadable = errors.New("cannot read")
	// ErrNotRegular: the path is a device, pipe or socket, not a file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrBadJSON: a JSON file, or one line of a JSONL file, does not parse.
	ErrBadJSON = errors.New("invalid JSON")
	// ErrNotRecords: a JSON file is not an array of objects.
	ErrNotRecords = errors.New("not an array of JSON records")
	// ErrBadRecord: a record is not an object or has a field of the wrong type.
	ErrBadRecord = errors.New("unusable record")
	// ErrNoText: a record has no body or text.
	ErrNoText = errors.New("record has no text")
	// ErrDuplicateID: an article's ID was already loaded from another input.
	ErrDuplicateID = errors.New("duplicate ID")
)

const (
	// MaxTextSize is the largest text file read as one article.
	MaxTextSize = 20 << 20
	// MaxRecordsSize is the largest JSON or JSONL file read.
	MaxRecordsSize = 512 << 20
)

// Load reads articles from path: a directory (every .txt, .md, .json and
// .jsonl file under it, recursively, in path order, hidden files and
// directories left out), one text file, a JSON array of records, or a JSONL
// file of records (MultiHop-RAG or BEIR layout). Inputs that cannot be used
// are reported in skips and the rest still load; the error is for a path
// that does not exist (ErrNotFound) or a directory that cannot be read.
//
// The ID of a text file is its path relative to the directory, with forward
// slashes, or its base name when path is the file itself.
func Load(p string) ([]Article, []Skip, error) {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("load %s: %w", p, ErrNotFound)
		}
		return nil, nil, fmt.Errorf("load %s: %w", p, err)
	}
	if fi.IsDir() {
		arts, skips, err := LoadFS(os.DirFS(p))
		if err != nil {
			return nil, nil, fmt.Errorf("load %s: %w", p, err)
		}
		return arts, skips, nil
	}
	base := filepath.Base(p)
	var l loader
	l.file(os.DirFS(filepath.Dir(p)), base)
	return l.arts, l.skips, nil
}

// LoadFS does what Load does for a directory, for the files of fsys: the
// embedded seeds, for one.
func LoadFS(fsys fs.FS) ([]Article, []Skip, error) {
	var l loader
	var paths []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			l.skip(p, unreadable(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && isArticleFile(p) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read directory: %w", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		l.file(fsys, p)
	}
	return l.arts, l.skips, nil
}

// isArticleFile reports whether a file in a directory is one Load reads.
func isArticleFile(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".txt", ".md", ".json", ".jsonl":
		return true
	}
	return false
}

func isRecordsFile(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".json", ".jsonl":
		return true
	}
	return false
}

// loader collects articles and skips, and keeps IDs unique.
type loader struct {
	arts  []Article
	skips []Skip
	from  map[string]string // article ID -> input it came from
}

func (l *loader) skip(name string, err error) {
	l.skips = append(l.skips, skipOf(name, err))
}

func (l *loader) add(a Article, name string) {
	if l.from == nil {
		l.from = make(map[string]string)
	}
	if first, dup := l.from[a.ID]; dup {
		l.skip(name, fmt.Errorf("%w %q, already loaded from %s", ErrDuplicateID, a.ID, first))
		return
	}
	l.from[a.ID] = name
	l.arts = append(l.arts, a)
}

// file loads the file at p in fsys; p is also its name in IDs and skips.
func (l *loader) file(fsys fs.FS, p string) {
	records := isRecordsFile(p)
	limit := int64(MaxTextSize)
	if records {
		limit = MaxRecordsSize
	}
	data, err := readLimited(fsys, p, limit)
	if err != nil {
		l.skip(p, err)
		return
	}
	if !records {
		a, err := ParseText(p, data)
		if err != nil {
			l.skip(p, err)
			return
		}
		l.add(a, p)
		return
	}
	arts, skips, err := ParseRecords(p, data)
	if err != nil {
		l.skip(p, err)
	}
	l.skips = append(l.skips, skips...)
	for _, a := range arts {
		l.add(a, p)
	}
}

// readLimited reads a regular file of at most limit bytes.
func readLimited(fsys fs.FS, p string, limit int64) ([]byte, error) {
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, unreadable(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, ErrNotRegular
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%w: %s, the limit is %s", ErrTooLarge, sizeString(fi.Size()), sizeString(limit))
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, unreadable(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, unreadable(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: over %s", ErrTooLarge, sizeString(limit))
	}
	return data, nil
}

// unreadable wraps a read error as ErrUnreadable, without the path that the
// skip names anyway: "cannot read: permission denied".
func unreadable(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%w: %w", ErrUnreadable, err)
}
