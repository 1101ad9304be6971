// Package citation provides verified citations: a verbatim quote from an
// article with its source, the names people read for that source, and the
// set that numbers citations after checking each quote against the
// article's text.
package citation

import (
	"net/url"
	"strings"

	"github.com/briefbot/briefbot/article"
)

// Citation is a verbatim quote from an article with its source. Quote is
// exactly the article's text between Start and End, verified before it is
// shown.
type Citation struct {
	N           int    `json:"n"`
	Source      string `json:"source"` // article ID
	Title       string `json:"title"`
	Outlet      string `json:"outlet"`
	Author      string `json:"author"`
	PublishedAt string `json:"published_at"` // YYYY-MM-DD, "" when unknown
	URL         string `json:"url"`
	Quote       string `json:"quote"`
	Start       int    `json:"start"`
	End         int    `json:"end"`
}

// For returns citation number n of a's text between start and end, which
// the caller has verified.
func For(n int, a *article.Article, start, end int) Citation {
	return Citation{
		N:           n,
		Source:      a.ID,
		Title:       a.DisplayTitle(),
		Outlet:      a.Outlet,
		Author:      a.Author,
		PublishedAt: a.Date(),
		URL:         a.URL,
		Quote:       a.Text[start:end],
		Start:       start,
		End:         end,
	}
}

// OutletName names who published the citation's article: its outlet, or
// when that is unknown the article's title or site (see Name).
func (c Citation) OutletName() string { return c.Name() }

// Name names the citation's article for people: its outlet, else its title,
// else the site of its URL, else "an article". It is never the article's
// file name or ID.
func (c Citation) Name() string {
	switch {
	case c.Outlet != "":
		return collapse(c.Outlet)
	case c.Title != "" && c.Title != c.Source:
		return "“" + innerQuotes(collapse(c.Title)) + "”"
	}
	if site := siteOf(c.URL); site != "" {
		return site
	}
	return "an article"
}

// siteOf is the host of an http(s) URL without "www.", or "".
func siteOf(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return ""
	}
	return strings.TrimPrefix(p.Hostname(), "www.")
}

// SourceLine names the citation's article for people: outlet, title,
// author, date and link, whichever are known; an unknown date is said to be
// unknown. The file name is never shown: an article with no outlet or title
// is named by its site.
func (c Citation) SourceLine() string {
	var parts []string
	if c.Outlet != "" {
		parts = append(parts, collapse(c.Outlet))
	}
	if c.Title != "" && c.Title != c.Source {
		parts = append(parts, "“"+innerQuotes(collapse(c.Title))+"”")
	}
	if len(parts) == 0 {
		parts = append(parts, c.Name())
	}
	if c.Author != "" {
		parts = append(parts, collapse(c.Author))
	}
	if c.PublishedAt != "" {
		parts = append(parts, c.PublishedAt)
	} else {
		parts = append(parts, "date unknown")
	}
	if c.URL != "" && c.URL != c.Source {
		parts = append(parts, c.URL)
	}
	return strings.Join(parts, " · ")
}

// ShortLine is a compact source line for an extractive answer, whose text
// already shows the quote: the outlet (or title or site) and, when known,
// the date.
func (c Citation) ShortLine() string {
	line := c.Name()
	if c.Outlet != "" && c.Title != "" && c.Title != c.Source {
		line += " · “" + innerQuotes(shorten(collapse(c.Title), 70)) + "”"
	}
	if c.PublishedAt != "" {
		line += " · " + c.PublishedAt
	}
	return line
}

// collapse folds every run of white space in s into one space and trims
// its ends.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// innerQuotes turns the double quotes inside a title into single ones, so
// that the title can be put in double quotes without nesting them.
var innerQuotes = strings.NewReplacer("“", "‘", "”", "’", "\"", "’").Replace

// shorten cuts s to at most n runes at a word boundary, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:—–-") + "…"
}
