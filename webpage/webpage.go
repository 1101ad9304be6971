// Package webpage turns a link or a file shared with the bot into an
// article: it fetches the page with limits on size and time, refuses
// addresses on private, loopback and link-local networks (unless allowed),
// and extracts the article's text and metadata with a readability parser
// (codeberg.org/readeck/go-readability, the maintained successor of
// go-shiori/go-readability).
//
// The address policy is enforced where the connection is made: every
// connection, including those of redirects, goes through a dialer that
// resolves the host itself, checks each address and connects to the
// checked address only, so a DNS answer that changes between checks (DNS
// rebinding) cannot slip through. Proxies from the environment are not used,
// as a proxy would connect on the bot's behalf unchecked.
package webpage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/briefbot/briefbot/article"
)

// Defaults of Options.
const (
	DefaultMaxBytes     = 5 << 20
	DefaultTimeout      = 15 * time.Second
	DefaultMaxRedirects = 5
	userAgent           = "briefbot/1.0 (article link ingestion)"
)

// Errors a fetch can end with. The errors returned wrap one of these, and
// their text is a plain sentence that can be shown to the person who shared
// the link, such as "refused: example.internal resolves to a private address
// (10.0.0.5)" or "page too large (over 5 MiB)".
var (
	ErrRefused    = errors.New("refused")
	ErrTooLarge   = errors.New("page too large")
	ErrTimeout    = errors.New("timed out")
	ErrNotArticle = errors.New("not an article")
)

// Resolver looks up the addresses of a host; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Dialer makes network connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options limit a fetch. Zero values take the defaults.
type Options struct {
	// MaxBytes is the largest page read; default 5 MiB.
	MaxBytes int64
	// Timeout bounds the whole fetch, redirects and body included;
	// default 15s.
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed; default 5.
	MaxRedirects int
	// AllowPrivate lets the fetch reach loopback, private, link-local and
	// other non-public addresses. Off by default; tests against a local
	// httptest server turn it on.
	AllowPrivate bool
	// Resolver looks up host names; nil means net.DefaultResolver.
	Resolver Resolver
	// Dialer connects to the checked addresses; nil means a net.Dialer
	// that checks the address again as it connects.
	Dialer Dialer
	// HTTPClient, when set, supplies the transport settings (TLS
	// configuration, for instance): its *http.Transport is cloned and given
	// the checking dialer. A client whose Transport is not an
	// *http.Transport cannot be checked and is refused unless AllowPrivate.
	HTTPClient *http.Client
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	return o
}

// Fetch fetches rawURL and returns its article: ID and URL are the address
// asked for, Text the extracted plain text with a Body span per paragraph,
// Title, Author, Outlet (the site's name, else its host) and PublishedAt from
// the page's metadata (DateSource "metadata"), else a date found in the text
// (DateSource "text"), else none.
func Fetch(ctx context.Context, rawURL string, opts Options) (article.Article, error) {
	a, err := fetch(ctx, rawURL, opts)
	if err != nil {
		return article.Article{}, &Error{err: err}
	}
	return a, nil
}

// Error is a failed fetch or read of an article. Its message is written
// for the person who gave the link or the file (what was refused, what the
// site answered, why the page is not an article) and names nothing of the
// machine it runs on, so it may be shown to them: UserMessage says so.
type Error struct{ err error }

// Error returns the message.
func (e *Error) Error() string { return e.err.Error() }

// Unwrap returns the error it describes, which matches the sentinel
// errors above with errors.Is.
func (e *Error) Unwrap() error { return e.err }

// UserMessage returns the message for the person who gave the link or file.
func (e *Error) UserMessage() string { return e.err.Error() }

func fetch(ctx context.Context, rawURL string, opts Options) (article.Article, error) {
	opts = opts.withDefaults()
	u, err := checkURL(rawURL)
	if err != nil {
		return article.Article{}, err
	}
	client, closeIdle, err := newClient(opts)
	if err != nil {
		return article.Article{}, err
	}
	defer closeIdle()
	fctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	timedOut := func(err error) error {
		if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || fctx.Err() != nil) {
			return fmt.Errorf("%w after %s", ErrTimeout, opts.Timeout)
		}
		return err
	}
	req, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return article.Article{}, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		var refused *refusal
		if errors.As(err, &refused) {
			return article.Article{}, refused
		}
		if err := timedOut(err); errors.Is(err, ErrTimeout) {
			return article.Article{}, err
		}
		if ctx.Err() != nil {
			return article.Article{}, ctx.Err()
		}
		return article.Article{}, fmt.Errorf("fetch %s: %w", rawURL, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return article.Article{}, fmt.Errorf("fetch %s: the site answered %s", rawURL, resp.Status)
	}
	if resp.ContentLength > opts.MaxBytes {
		return article.Article{}, tooLarge(opts.MaxBytes)
	}
	body, err := readAll(resp.Body, opts.MaxBytes)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return article.Article{}, err
		}
		if err := timedOut(err); errors.Is(err, ErrTimeout) {
			return article.Article{}, err
		}
		return article.Article{}, fmt.Errorf("fetch %s: read: %w", rawURL, err)
	}
	final := resp.Request.URL
	a, err := parse(final, resp.Header.Get("Content-Type"), body)
	if err != nil {
		return article.Article{}, err
	}
	a.ID, a.URL = rawURL, rawURL
	if final.String() != rawURL {
		a.URL = final.String()
	}
	return a, nil
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("not a link: %q", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if u.Scheme == "" {
			return nil, fmt.Errorf("not a link: %q has no http:// or https://", raw)
		}
		return nil, fmt.Errorf("%w: only http and https links are fetched, not %s links", ErrRefused, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("not a link: %q has no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: links with a user name or password are not fetched", ErrRefused)
	}
	return u, nil
}

func tooLarge(limit int64) error {
	return fmt.Errorf("%w (over %s)", ErrTooLarge, size(limit))
}

// size writes a byte count for people: "5 MiB", "512 KiB", "100 bytes".
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// unwrapURLError drops the "Get "…":" prefix of a *url.Error, whose URL the
// caller already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// newClient returns an HTTP client whose every connection goes through the
// checking dialer, and a func that closes its idle connections.
func newClient(opts Options) (*http.Client, func(), error) {
	var tr *http.Transport
	var jar http.CookieJar
	if opts.HTTPClient != nil {
		jar = opts.HTTPClient.Jar
		switch t := opts.HTTPClient.Transport.(type) {
		case nil:
			tr = http.DefaultTransport.(*http.Transport).Clone()
		case *http.Transport:
			tr = t.Clone()
		default:
			if !opts.AllowPrivate {
				return nil, nil, errors.New("webpage: HTTPClient.Transport is not an *http.Transport, so its addresses cannot be checked")
			}
			c := *opts.HTTPClient
			c.CheckRedirect = checkRedirect(opts.MaxRedirects)
			return &c, func() {}, nil
		}
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	d := &guard{resolver: opts.Resolver, dialer: opts.Dialer, allowPrivate: opts.AllowPrivate}
	if d.dialer == nil {
		nd := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		if !opts.AllowPrivate {
			nd.Control = controlAddress
		}
		d.dialer = nd
	}
	tr.Proxy = nil
	tr.DialContext = d.dialContext
	tr.DialTLSContext = nil
	tr.MaxResponseHeaderBytes = 64 << 10
	client := &http.Client{Transport: tr, Jar: jar, CheckRedirect: checkRedirect(opts.MaxRedirects)}
	return client, tr.CloseIdleConnections, nil
}

// checkRedirect follows at most max redirects, to http and https only; the
// address of each is checked by the dialer.
func checkRedirect(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > max {
			return fmt.Errorf("too many redirects (more than %d)", max)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return &refusal{msg: fmt.Sprintf("a redirect to a %s: link", req.URL.Scheme)}
		}
		return nil
	}
}

// refusal is a connection the address policy refused.
type refusal struct{ msg string }

func (r *refusal) Error() string { return "refused: " + r.msg }

// Is makes a refusal match ErrRefused.
func (r *refusal) Is(target error) bool { return target == ErrRefused }

// guard is the checking dialer.
type guard struct {
	resolver     Resolver
	dialer       Dialer
	allowPrivate bool
}

// dialContext resolves the host, refuses blocked addresses and connects to
// the first allowed address that answers. It checks the address it is
// connected to once more.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	literal := false
	if ip, err := netip.ParseAddr(host); err == nil {
		ips, literal = []netip.Addr{ip.WithZone("")}, true
	} else {
		ias, err := g.resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", host, err)
		}
		for _, ia := range ias {
			if ip, ok := netip.AddrFromSlice(ia.IP); ok {
				ips = append(ips, ip.Unmap())
			}
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("look up %s: no address", host)
		}
	}
	var refused error
	var lastErr error
	for _, ip := range ips {
		if kind := blocked(ip); kind != "" && !g.allowPrivate {
			if refused == nil {
				if literal {
					refused = &refusal{msg: fmt.Sprintf("%s is %s address", host, an(kind))}
				} else {
					refused = &refusal{msg: fmt.Sprintf("%s resolves to %s address (%s)", host, an(kind), ip)}
				}
			}
			continue
		}
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err != nil {
			lastErr = err
			continue
		}
		if !g.allowPrivate {
			if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
				if kind := blocked(ap.Addr()); kind != "" {
					conn.Close()
					return nil, &refusal{msg: fmt.Sprintf("%s connected to %s address (%s)", host, an(kind), ap.Addr())}
				}
			}
		}
		return conn, nil
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, refused
}

// controlAddress refuses, as the socket connects, an address the policy
// blocks: a second check under the resolver's.
func controlAddress(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusal{msg: fmt.Sprintf("cannot check the address %q", address)}
	}
	if kind := blocked(ap.Addr()); kind != "" {
		return &refusal{msg: fmt.Sprintf("%s is %s address", ap.Addr(), an(kind))}
	}
	return nil
}

// an prefixes a word with its indefinite article.
func an(word string) string {
	if strings.IndexByte("aeiou", word[0]) >= 0 {
		return "an " + word
	}
	return "a " + word
}

// specialRanges are the special-purpose address blocks of IANA's IPv4 and
// IPv6 Special-Purpose Address Registries (RFC 6890 and its updates), and
// the other ranges no article is served from (multicast, reserved, the
// deprecated site-local and IPv4-compatible ranges), with the kind of
// address each holds. Every one is refused, even those the registries call
// globally reachable: an article page has no business there. The IPv6
// ranges that embed an IPv4 address (6to4, Teredo, NAT64, IPv4-compatible,
// IPv4-translated) are refused whole, whichever IPv4 address they carry;
// IPv4-mapped addresses are checked as the IPv4 address they are.
var specialRanges = []struct {
	prefix netip.Prefix
	kind   string
}{
	// IPv4.
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "protocol-assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.31.196.0/24"), "special-purpose (AS112)"},
	{netip.MustParsePrefix("192.52.193.0/24"), "special-purpose (AMT)"},
	{netip.MustParsePrefix("192.88.99.0/24"), "special-purpose (6to4 relay)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("192.175.48.0/24"), "special-purpose (AS112)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // with 255.255.255.255
	// IPv6.
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "IPv4-translated"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "special-purpose (dummy)"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
	{netip.MustParsePrefix("2001::/23"), "protocol-assignment"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("2620:4f:8000::/48"), "special-purpose (AS112)"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	{netip.MustParsePrefix("5f00::/16"), "special-purpose (SRv6)"},
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// globalUnicast6 is the only IPv6 range assigned for global unicast; the
// rest of the IPv6 space is reserved.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// blocked names the kind of a non-public address ("private", "loopback",
// "documentation", ...), or returns "" for an address that may be fetched.
func blocked(ip netip.Addr) string {
	if !ip.IsValid() {
		return "invalid"
	}
	ip = ip.WithZone("").Unmap()
	for _, r := range specialRanges {
		if r.prefix.Contains(ip) {
			return r.kind
		}
	}
	if ip.Is6() {
		if !globalUnicast6.Contains(ip) {
			return "reserved"
		}
		// An ISATAP interface identifier (::0:5efe:a.b.c.d or
		// ::200:5efe:a.b.c.d) carries an IPv4 address in any prefix.
		b := ip.As16()
		if (b[8]|0x02) == 0x02 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe {
			if kind := blocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); kind != "" {
				return kind + " (in ISATAP)"
			}
		}
	}
	return ""
}

// readAll reads r up to limit bytes, failing with ErrTooLarge beyond.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, tooLarge(limit)
	}
	return buf.Bytes(), nil
}
