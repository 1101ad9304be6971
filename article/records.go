package article

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// record is one JSON record, in the MultiHop-RAG layout {title, author,
// source, published_at, category, url, body} or the BEIR layout {_id,
// title, text}.
type record struct {
	ID          scalar `json:"_id"`
	Title       string `json:"title"`
	Author      string `json:"author"`
	Source      string `json:"source"`
	PublishedAt scalar `json:"published_at"`
	Category    string `json:"category"`
	URL         string `json:"url"`
	Body        string `json:"body"`
	Text        string `json:"text"`
}

// scalar is a JSON string or number, kept as text; null leaves it empty.
type scalar string

// UnmarshalJSON implements json.Unmarshaler.
func (s *scalar) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return nil
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = scalar(v)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*s = scalar(b)
	case string(b) == "null":
	default:
		return errNotScalar
	}
	return nil
}

var errNotScalar = errors.New("want a string or a number")

// ParseRecords reads the articles of a JSON array of records or of a JSONL
// file (one record a line), in the MultiHop-RAG or BEIR layout. name is the
// file's name, used in IDs and skips. A record that cannot be used is
// reported in skips ("file.json#12" or "file.jsonl:line 12") and the rest
// still load. The error is for a file that is not records at all: empty, not
// UTF-8, not JSON, or JSON that is not an array of objects.
//
// An article's ID is the record's _id, else its url, else name#index with
// the record's 0-based index. Its Text is the record's body (or text)
// exactly; PublishedAt comes from published_at, or failing that from a date
// line at the top of the text.
func ParseRecords(name string, data []byte) ([]Article, []Skip, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, nil, ErrEmpty
	case !utf8.Valid(data):
		return nil, nil, ErrNotUTF8
	case trimmed[0] == '[':
		return parseArray(name, data)
	case strings.EqualFold(path.Ext(name), ".json") && json.Valid(trimmed):
		return nil, nil, fmt.Errorf("%w: the file holds a single JSON %s", ErrNotRecords, jsonKind(trimmed[0]))
	}
	return parseLines(name, data)
}

func parseArray(name string, data []byte) ([]Article, []Skip, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, nil, badJSON(err)
	}
	base := path.Base(name)
	var arts []Article
	var skips []Skip
	objects := 0
	for i := 0; dec.More(); i++ {
		var r record
		err := dec.Decode(&r)
		if isSyntaxError(err) {
			return nil, nil, badJSON(err)
		}
		recName := name + "#" + strconv.Itoa(i)
		if err != nil {
			if !notObject(err) {
				objects++
			}
			skips = append(skips, skipOf(recName, recordError(err)))
			continue
		}
		objects++
		a, err := r.article(base + "#" + strconv.Itoa(i))
		if err != nil {
			skips = append(skips, skipOf(recName, err))
			continue
		}
		arts = append(arts, a)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, badJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("%w: unexpected data after the array", ErrBadJSON)
	}
	if objects == 0 && len(skips) > 0 {
		return nil, nil, fmt.Errorf("%w: no element of the array is an object", ErrNotRecords)
	}
	return arts, skips, nil
}

func parseLines(name string, data []byte) ([]Article, []Skip, error) {
	base := path.Base(name)
	var arts []Article
	var skips []Skip
	index, good := 0, 0
	for lineNo := 1; len(data) > 0; lineNo++ {
		line := data
		if k := bytes.IndexByte(data, '\n'); k >= 0 {
			line, data = data[:k], data[k+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		recName := name + ":line " + strconv.Itoa(lineNo)
		id := base + "#" + strconv.Itoa(index)
		index++
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			if isSyntaxError(err) {
				err = badJSON(err)
			} else {
				err = recordError(err)
			}
			skips = append(skips, skipOf(recName, err))
			continue
		}
		good++
		a, err := r.article(id)
		if err != nil {
			skips = append(skips, skipOf(recName, err))
			continue
		}
		arts = append(arts, a)
	}
	if good == 0 && len(skips) > 0 {
		return nil, nil, fmt.Errorf("%w: no line holds a JSON object (line 1: %s)", ErrNotRecords, skips[0].Reason)
	}
	return arts, skips, nil
}

// article turns the record into an article; fallbackID is used when the
// record has neither _id nor url.
func (r *record) article(fallbackID string) (Article, error) {
	text := r.Body
	if strings.TrimFunc(text, isSpace) == "" {
		text = r.Text
	}
	if strings.TrimFunc(text, isSpace) == "" {
		return Article{}, fmt.Errorf("%w (no body or text field)", ErrNoText)
	}
	a := Article{
		ID:       strings.TrimSpace(string(r.ID)),
		Title:    collapse(r.Title),
		Outlet:   collapse(r.Source),
		Author:   collapse(r.Author),
		URL:      webURL(r.URL),
		Category: collapse(r.Category),
		Text:     text,
	}
	if a.ID == "" {
		a.ID = a.URL
	}
	if a.ID == "" {
		a.ID = fallbackID
	}
	if t, ok := parseMetaDate(string(r.PublishedAt)); ok {
		a.PublishedAt, a.DateSource = t, "metadata"
	}
	p, h := readRecord(text, a.PublishedAt.IsZero())
	if !h.date.IsZero() {
		a.PublishedAt, a.DateSource = h.date, "text"
	}
	a.Body = p.spans()
	if len(a.Body) == 0 {
		// Everything looked like chrome: keep the whole text rather than
		// lose the record.
		s, e := trimRange(text, 0, len(text))
		a.Body = []Span{{s, e}}
	}
	return a, nil
}

func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF)
}

func badJSON(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w at byte %d: %s", ErrBadJSON, se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the file ends too soon", ErrBadJSON)
	}
	return fmt.Errorf("%w: %s", ErrBadJSON, strings.TrimPrefix(err.Error(), "json: "))
}

// notObject reports whether a decoding error says the value was not an
// object at all.
func notObject(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te) && te.Field == ""
}

// recordError explains why a record that is valid JSON cannot be used.
func recordError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Errorf("%w: it is a JSON %s, not an object", ErrBadRecord, te.Value)
		}
		return fmt.Errorf("%w: field %q is a JSON %s, want a string", ErrBadRecord, te.Field, te.Value)
	}
	if errors.Is(err, errNotScalar) {
		return fmt.Errorf("%w: _id or published_at is not a string or a number", ErrBadRecord)
	}
	return fmt.Errorf("%w: %s", ErrBadRecord, strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
