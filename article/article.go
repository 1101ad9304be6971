// Package article defines a news article as the bot stores it and loads
// articles from plain-text and Markdown files (with optional YAML-style
// front matter), directories, JSON/JSONL records and BEIR corpora. The original text of every article is kept byte for byte, so that
// quotes can be checked against it; page chrome is marked off, never removed.
package article

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Article is one news article. Text is exactly what was received; Body lists
// the parts of Text that are the article itself (page chrome such as sign-up
// prompts and "Related Stories" lies outside them).
type Article struct {
	// ID is stable across restarts: the file name for files; for JSON
	// records the _id, else the url, else the record's index.
	ID       string `json:"id"`
	Title    string `json:"title,omitempty"`
	Outlet   string `json:"outlet,omitempty"`
	Author   string `json:"author,omitempty"`
	URL      string `json:"url,omitempty"`
	Category string `json:"category,omitempty"`
	// PublishedAt is the publication time; the zero time means unknown.
	PublishedAt time.Time `json:"published_at,omitzero"`
	// DateSource says where PublishedAt came from: "metadata", "text" or ""
	// when the date is unknown.
	DateSource string `json:"date_source,omitempty"`
	// Text is the article exactly as received.
	Text string `json:"text"`
	// Body holds the byte ranges of Text that are article content, in order
	// and not overlapping. Chunking, search and quotes use only these.
	Body []Span `json:"body"`
}

// Span is a half-open byte range [Start, End) of an article's Text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Len reports the number of bytes in the span.
func (s Span) Len() int { return s.End - s.Start }

// Hash returns a content hash of the article: its text, body spans and
// metadata. An article whose hash is unchanged need not be indexed again.
func (a *Article) Hash() string {
	h := sha256.New()
	for _, s := range []string{a.ID, a.Title, a.Outlet, a.Author, a.URL, a.Category, a.PublishedAt.UTC().Format(time.RFC3339), a.Text} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, s := range a.Body {
		h.Write([]byte{byte(s.Start), byte(s.Start >> 8), byte(s.Start >> 16), byte(s.Start >> 24),
			byte(s.End), byte(s.End >> 8), byte(s.End >> 16), byte(s.End >> 24)})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// BodyText returns the article's content with chrome left out: the body
// spans joined by blank lines. Offsets into it are not offsets into Text.
func (a *Article) BodyText() string {
	var b strings.Builder
	for i, s := range a.Body {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(a.Text[s.Start:s.End])
	}
	return b.String()
}

// Date returns the publication date as YYYY-MM-DD, or "" when unknown.
func (a *Article) Date() string {
	if a.PublishedAt.IsZero() {
		return ""
	}
	return a.PublishedAt.UTC().Format("2006-01-02")
}

// DisplayTitle returns the title, or when the article has none, the opening
// words of its body followed by an ellipsis, or failing that its ID.
func (a *Article) DisplayTitle() string {
	if a.Title != "" {
		return a.Title
	}
	for _, s := range a.Body {
		t := strings.Join(strings.Fields(a.Text[s.Start:s.End]), " ")
		if t == "" {
			continue
		}
		const max = 80
		if len(t) <= max {
			return t
		}
		cut := strings.LastIndexByte(t[:max], ' ')
		if cut < 40 {
			cut = max
			for cut > 0 && !isRuneStart(t[cut]) {
				cut--
			}
		}
		return t[:cut] + "…"
	}
	return a.ID
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
