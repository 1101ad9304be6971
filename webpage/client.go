package webpage

import (
	"io"
	"net/http"
	"net/url"

	"github.com/briefbot/briefbot/article"
)

// Client returns an HTTP client that connects only where Fetch would: every
// address is checked as it is dialled (non-public addresses refused unless
// opts.AllowPrivate), redirects are bounded, and the whole request is
// bounded by opts.Timeout. The func closes its idle connections. Read
// bodies through ReadLimited. For callers that need more of HTTP than Fetch
// gives, such as a feed poller's conditional GET.
func Client(opts Options) (*http.Client, func(), error) {
	opts = opts.withDefaults()
	c, closeIdle, err := newClient(opts)
	if err != nil {
		return nil, nil, err
	}
	c.Timeout = opts.Timeout
	return c, closeIdle, nil
}

// ReadLimited reads a body of at most opts.MaxBytes (default 5 MiB), else
// returns an error wrapping ErrTooLarge.
func ReadLimited(r io.Reader, opts Options) ([]byte, error) {
	return readAll(r, opts.withDefaults().MaxBytes)
}

// FromHTML extracts the article of an HTML page already fetched from
// pageURL, as Fetch does: text with chrome left out, title, author, outlet,
// date. Its ID and URL are pageURL.
func FromHTML(pageURL string, html []byte) (article.Article, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return article.Article{}, err
	}
	a, err := fromHTML(u, "text/html; charset=utf-8", html)
	if err != nil {
		return article.Article{}, err
	}
	a.ID, a.URL = pageURL, pageURL
	return a, nil
}
