package webpage

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html/charset"

	"github.com/briefbot/briefbot/article"
)

// minTextBytes is the least text an extracted article must have.
const minTextBytes = 200

// FromFile builds an article from a file shared with the bot: .txt and .md
// files as plain text (article.ParseText), .html and .htm pages through the
// readability parser. The article's ID is name. Files over DefaultMaxBytes
// are refused.
func FromFile(name string, data []byte) (article.Article, error) {
	a, err := fromFile(name, data)
	if err != nil {
		return article.Article{}, &Error{err: err}
	}
	return a, nil
}

func fromFile(name string, data []byte) (article.Article, error) {
	if int64(len(data)) > DefaultMaxBytes {
		return article.Article{}, fmt.Errorf("file too large (over %s)", size(DefaultMaxBytes))
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".md", ".markdown", ".text":
		a, err := article.ParseText(name, data)
		if err != nil {
			return article.Article{}, fmt.Errorf("read %s: %w", name, err)
		}
		return a, nil
	case ".html", ".htm", ".xhtml":
		a, err := fromHTML(nil, "text/html", data)
		if err != nil {
			return article.Article{}, err
		}
		a.ID = name
		return a, nil
	default:
		return article.Article{}, fmt.Errorf("%w: %s is not a .txt, .md or .html file", ErrNotArticle, name)
	}
}

// parse turns a fetched body into an article according to its type.
func parse(u *url.URL, contentType string, body []byte) (article.Article, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt == "" || mt == "application/octet-stream" {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(body))
	}
	switch mt {
	case "text/html", "application/xhtml+xml":
		return fromHTML(u, contentType, body)
	case "text/plain", "text/markdown":
		if !utf8.Valid(body) {
			r, err := charset.NewReader(bytes.NewReader(body), contentType)
			if err == nil {
				var buf bytes.Buffer
				if _, err := buf.ReadFrom(r); err == nil {
					body = buf.Bytes()
				}
			}
		}
		a, err := article.ParseText(u.String(), body)
		if err != nil {
			return article.Article{}, fmt.Errorf("%w: %w", ErrNotArticle, err)
		}
		if a.Outlet == "" {
			a.Outlet = hostName(u)
		}
		return a, nil
	default:
		return article.Article{}, fmt.Errorf("%w: the link is a %s file, not a web page", ErrNotArticle, mt)
	}
}

// fromHTML extracts the article of an HTML page. u, the page's address,
// may be nil for a file.
func fromHTML(u *url.URL, contentType string, body []byte) (article.Article, error) {
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return article.Article{}, fmt.Errorf("read page: %w", err)
	}
	page, err := readability.FromReader(r, u)
	if err != nil {
		return article.Article{}, fmt.Errorf("%w: %w", ErrNotArticle, err)
	}
	var text strings.Builder
	if page.Node != nil {
		if err := page.RenderText(&text); err != nil {
			return article.Article{}, fmt.Errorf("%w: %w", ErrNotArticle, err)
		}
	}
	a := article.Article{Text: strings.TrimSpace(text.String())}
	a.Body = paragraphs(a.Text)
	if len(strings.TrimSpace(a.BodyText())) < minTextBytes {
		return article.Article{}, fmt.Errorf("%w: no readable text found", ErrNotArticle)
	}
	a.Title = oneLine(page.Title())
	a.Author = oneLine(page.Byline())
	a.Outlet = oneLine(page.SiteName())
	if a.Outlet == "" {
		a.Outlet = hostName(u)
	}
	// A missing or unparsable timestamp counts as none.
	if t, err := page.PublishedTime(); err == nil && !t.IsZero() {
		a.PublishedAt, a.DateSource = t.UTC(), "metadata"
	}
	if a.PublishedAt.IsZero() {
		// A date the text gives ("Published 19 August 2025"), found by the
		// article loader's rules.
		if parsed, err := article.ParseText("page", []byte(a.Text)); err == nil && !parsed.PublishedAt.IsZero() {
			a.PublishedAt, a.DateSource = parsed.PublishedAt, "text"
		}
	}
	return a, nil
}

// paragraphs returns a span for each paragraph of text: runs of non-blank
// lines, trimmed of surrounding white space.
func paragraphs(text string) []article.Span {
	var out []article.Span
	start := -1
	lineStart := 0
	flush := func(end int) {
		if start < 0 {
			return
		}
		s, e := start, end
		for e > s && isSpaceByte(text[e-1]) {
			e--
		}
		if e > s {
			out = append(out, article.Span{Start: s, End: e})
		}
		start = -1
	}
	for lineStart <= len(text) {
		nl := strings.IndexByte(text[lineStart:], '\n')
		lineEnd := len(text)
		if nl >= 0 {
			lineEnd = lineStart + nl
		}
		line := text[lineStart:lineEnd]
		if strings.TrimSpace(line) == "" {
			flush(lineStart)
		} else if start < 0 {
			start = lineStart + (len(line) - len(strings.TrimLeft(line, " \t\r")))
		}
		if nl < 0 {
			break
		}
		lineStart = lineEnd + 1
	}
	flush(len(text))
	return out
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// hostName is the outlet of a page whose site name is unknown: its host
// without "www.".
func hostName(u *url.URL) string {
	if u == nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}
