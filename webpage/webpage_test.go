package webpage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/quote"
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// servePage serves body with the given content type on a local httptest
// server.
func servePage(tb testing.TB, contentType string, body []byte) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func TestFetchArticle(t *testing.T) {
	page := readFixture(t, "article.html")
	srv := servePage(t, "text/html; charset=utf-8", page)
	url := srv.URL + "/news/bridge"
	a, err := Fetch(context.Background(), url, Options{AllowPrivate: true})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	checks := []struct {
		field, got, want string
	}{
		{"ID", a.ID, url},
		{"URL", a.URL, url},
		{"Title", a.Title, "Harbour bridge reopens after repairs"},
		{"Outlet", a.Outlet, "The Coastal Courier"},
		{"Author", a.Author, "Mara Lindqvist"},
		{"Date", a.Date(), "2025-08-19"},
		{"DateSource", a.DateSource, "metadata"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
		}
	}
	for _, want := range []string{
		"The harbour bridge reopened to traffic on Tuesday morning after eleven weeks of repairs that cost the city £4.2m, the council said.",
		"“We are glad to give the bridge back to the people who use it every day,” said council leader Ruth Abara.",
	} {
		if _, err := quote.FindIn(&a, want); !err {
			t.Errorf("quote %q not found verbatim in the extracted body", want)
		}
	}
	for _, chrome := range []string{"Sign up for our newsletter", "Related stories", "All rights reserved"} {
		if strings.Contains(a.BodyText(), chrome) {
			t.Errorf("body has page chrome %q", chrome)
		}
	}
	if len(a.Body) < 5 {
		t.Errorf("got %d body spans, want one per paragraph (at least 5)", len(a.Body))
	}
	for i, s := range a.Body {
		p := a.Text[s.Start:s.End]
		if p != strings.TrimSpace(p) || strings.Contains(p, "\n\n") {
			t.Errorf("span %d %q is not one trimmed paragraph", i, p)
		}
	}
}

// mapResolver resolves the names it holds and fails for others.
type mapResolver map[string][]string

func (m mapResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// countingDialer counts connection attempts and never connects.
type countingDialer struct{ n atomic.Int64 }

func (d *countingDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	d.n.Add(1)
	return nil, errors.New("test dialer: no connections allowed")
}

func TestFetchRefusesPrivateAddresses(t *testing.T) {
	res := mapResolver{
		"example.internal": {"10.0.0.5"},
		"loop.test":        {"127.0.0.1"},
		"metadata.test":    {"169.254.169.254"},
		"v6local.test":     {"fe80::1"},
		"ula.test":         {"fd00::7"},
		"cgnat.test":       {"100.64.3.4"},
		"mapped.test":      {"::ffff:192.168.1.10"},
		"nat64.test":       {"64:ff9b::a00:5"},
		"zero.test":        {"0.0.0.0"},
		"multi.test":       {"224.0.0.1"},
	}
	tests := []struct {
		url, want string
	}{
		{"http://example.internal/story", "refused: example.internal resolves to a private address (10.0.0.5)"},
		{"https://loop.test/", "refused: loop.test resolves to a loopback address (127.0.0.1)"},
		{"http://metadata.test/latest/meta-data/", "refused: metadata.test resolves to a link-local address (169.254.169.254)"},
		{"http://v6local.test/", "refused: v6local.test resolves to a link-local address (fe80::1)"},
		{"http://ula.test/", "refused: ula.test resolves to a private address (fd00::7)"},
		{"http://cgnat.test/", "refused: cgnat.test resolves to a shared (carrier-grade NAT) address (100.64.3.4)"},
		{"http://mapped.test/", "refused: mapped.test resolves to a private address (192.168.1.10)"},
		{"http://nat64.test/", "refused: nat64.test resolves to a NAT64 address (64:ff9b::a00:5)"},
		{"http://zero.test/", "refused: zero.test resolves to an unspecified address (0.0.0.0)"},
		{"http://multi.test/", "refused: multi.test resolves to a multicast address (224.0.0.1)"},
		{"http://127.0.0.1:8080/", "refused: 127.0.0.1 is a loopback address"},
		{"http://[::1]/", "refused: ::1 is a loopback address"},
		{"http://169.254.169.254/", "refused: 169.254.169.254 is a link-local address"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			d := &countingDialer{}
			_, err := Fetch(context.Background(), tt.url, Options{Resolver: res, Dialer: d, Timeout: 5 * time.Second})
			if err == nil {
				t.Fatalf("Fetch: got no error, want %q", tt.want)
			}
			if !errors.Is(err, ErrRefused) {
				t.Errorf("got error %v, want one matching ErrRefused", err)
			}
			var we *Error
			if !errors.As(err, &we) || we.UserMessage() != err.Error() {
				t.Errorf("got error %T, want a *webpage.Error whose UserMessage is its message", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got error %q, want %q", err, tt.want)
			}
			if n := d.n.Load(); n != 0 {
				t.Errorf("got %d connection attempts, want none", n)
			}
		})
	}
}

func TestFetchRefusesSchemes(t *testing.T) {
	tests := []struct {
		url     string
		refused bool
	}{
		{"ftp://example.com/file.txt", true},
		{"file:///etc/passwd", true},
		{"gopher://example.com/", true},
		{"http://user:secret@example.com/", true},
		{"example.com/story", false},
		{"http:///nohost", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			d := &countingDialer{}
			_, err := Fetch(context.Background(), tt.url, Options{Resolver: mapResolver{}, Dialer: d})
			if err == nil {
				t.Fatal("Fetch: got no error, want one")
			}
			if got := errors.Is(err, ErrRefused); got != tt.refused {
				t.Errorf("got error %q (refused %v), want refused %v", err, got, tt.refused)
			}
			if n := d.n.Load(); n != 0 {
				t.Errorf("got %d connection attempts, want none", n)
			}
		})
	}
}

// publicDialer pretends that a public address is the local test server:
// it connects to the server and reports the public address as the remote
// end, as a real connection to a public server would.
type publicDialer struct {
	server string // host:port of the httptest server
	public string // the pretend address, "93.184.215.14"
	honest bool   // report the real (loopback) remote address
	dials  atomic.Int64
}

type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

func (d *publicDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	host, port, _ := net.SplitHostPort(addr)
	if host != d.public {
		return nil, fmt.Errorf("test dialer: unexpected address %s", addr)
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, d.server)
	if err != nil || d.honest {
		return c, err
	}
	ap := netip.MustParseAddrPort(net.JoinHostPort(host, port))
	return remoteConn{Conn: c, remote: net.TCPAddrFromAddrPort(ap)}, nil
}

func TestFetchRedirects(t *testing.T) {
	page := readFixture(t, "article.html")
	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(page)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://news.test/article", http.StatusFound)
	})
	mux.HandleFunc("/to-internal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.internal/admin", http.StatusFound)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/loop/%d", &n)
		http.Redirect(w, r, fmt.Sprintf("/loop/%d", n+1), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res := mapResolver{"news.test": {"93.184.215.14"}, "example.internal": {"10.0.0.5"}}
	tests := []struct {
		path    string
		wantErr string // "" for success
		dials   int64
	}{
		{"/moved", "", 1}, // keep-alive: the redirect reuses the connection
		{"/to-internal", "refused: example.internal resolves to a private address (10.0.0.5)", 1},
		{"/to-file", "refused: a redirect to a file: link", 1},
		{"/loop/0", "too many redirects (more than 5)", 1},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d := &publicDialer{server: srv.Listener.Addr().String(), public: "93.184.215.14"}
			a, err := Fetch(context.Background(), "http://news.test"+tt.path, Options{Resolver: res, Dialer: d, Timeout: 5 * time.Second})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Fetch: %v", err)
			case tt.wantErr == "" && a.URL != "http://news.test/article":
				t.Errorf("got URL %q, want the final address http://news.test/article", a.URL)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got error %v, want %q", err, tt.wantErr)
			}
			if got := d.dials.Load(); got != tt.dials {
				t.Errorf("got %d connections, want %d", got, tt.dials)
			}
		})
	}
}

// TestFetchChecksConnectedAddress: a dialer that ends up connected to a
// loopback address, whatever the resolver said, is caught.
func TestFetchChecksConnectedAddress(t *testing.T) {
	srv := servePage(t, "text/html", readFixture(t, "article.html"))
	d := &publicDialer{server: srv.Listener.Addr().String(), public: "93.184.215.14", honest: true}
	_, err := Fetch(context.Background(), "http://news.test/", Options{Resolver: mapResolver{"news.test": {"93.184.215.14"}}, Dialer: d})
	want := "refused: news.test connected to a loopback address (127.0.0.1)"
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
	for _, addr := range []string{"127.0.0.1:80", "10.0.0.5:443", "[fe80::1]:80"} {
		if err := controlAddress("tcp", addr, nil); !errors.Is(err, ErrRefused) {
			t.Errorf("controlAddress(%s): got %v, want a refusal", addr, err)
		}
	}
	if err := controlAddress("tcp", "93.184.215.14:443", nil); err != nil {
		t.Errorf("controlAddress(93.184.215.14:443): got %v, want nil", err)
	}
}

func TestFetchLimits(t *testing.T) {
	big := []byte("<html><body><p>" + strings.Repeat("word ", 1000) + "</p></body></html>")
	slow := make(chan struct{})
	defer close(slow)
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(big) // with a Content-Length
	})
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for i := 0; i < len(big); i += 512 {
			w.Write(big[i:min(i+512, len(big))])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-slow:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body><p>start"))
		w.(http.Flusher).Flush()
		select {
		case <-slow:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(readFixture(t, "empty.html"))
	})
	mux.HandleFunc("/missing", http.NotFound)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		path    string
		is      error
		wantErr string
	}{
		{"/big", ErrTooLarge, "page too large (over 4 KiB)"},
		{"/big-chunked", ErrTooLarge, "page too large (over 4 KiB)"},
		{"/slow-headers", ErrTimeout, "timed out after 200ms"},
		{"/slow-body", ErrTimeout, "timed out after 200ms"},
		{"/image", ErrNotArticle, "not an article: the link is a image/png file, not a web page"},
		{"/empty", ErrNotArticle, "not an article: no readable text found"},
		{"/missing", nil, "the site answered 404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			start := time.Now()
			_, err := Fetch(context.Background(), srv.URL+tt.path, Options{AllowPrivate: true, MaxBytes: 4 << 10, Timeout: 200 * time.Millisecond})
			if err == nil {
				t.Fatalf("Fetch: got no error, want %q", tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("got error %v, want one matching %v", err, tt.is)
			}
			if !strings.HasSuffix(err.Error(), tt.wantErr) {
				t.Errorf("got error %q, want it to end %q", err, tt.wantErr)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v, want the limits to stop it sooner", d)
			}
		})
	}
}

func TestFetchCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := Fetch(ctx, srv.URL, Options{AllowPrivate: true, Timeout: 10 * time.Second})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got error %v, want context.Canceled (not a timeout)", err)
	}
}

func TestDefaultLimitMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{tooLarge(DefaultMaxBytes), "page too large (over 5 MiB)"},
		{fmt.Errorf("%w after %s", ErrTimeout, DefaultTimeout), "timed out after 15s"},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.want {
			t.Errorf("got %q, want %q", tt.err, tt.want)
		}
	}
}

func TestBlocked(t *testing.T) {
	tests := []struct {
		ip, want string
	}{
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.32.0.1", ""},
		{"192.168.0.1", "private"},
		{"127.0.0.53", "loopback"},
		{"169.254.0.1", "link-local"},
		{"100.64.0.1", "shared (carrier-grade NAT)"},
		{"100.128.0.1", ""},
		{"0.1.2.3", "unspecified"},
		{"255.255.255.255", "reserved"},
		{"8.8.8.8", ""},
		{"2001:4860:4860::8888", ""},
		{"fc00::1", "private"},
		{"fe80::1", "link-local"},
		{"::", "unspecified"},
		{"ff02::1", "multicast"},
		{"::ffff:127.0.0.1", "loopback"},
		// The ranges the red team found open, and the rest of IANA's
		// special-purpose registries.
		{"192.0.2.1", "documentation"},
		{"198.51.100.9", "documentation"},
		{"203.0.113.7", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.254", "benchmarking"},
		{"198.20.0.1", ""},
		{"192.0.0.8", "protocol-assignment"},
		{"192.88.99.1", "special-purpose (6to4 relay)"},
		{"224.0.0.251", "multicast"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},
		{"2002:c0a8:0101::1", "6to4"},   // 6to4 embedding 192.168.1.1
		{"2002:0808:0808::1", "6to4"},   // and a public one: refused whole
		{"64:ff9b::808:808", "NAT64"},   // NAT64 of 8.8.8.8
		{"64:ff9b::7f00:1", "NAT64"},    // NAT64 of 127.0.0.1
		{"64:ff9b:1::a00:1", "NAT64"},   // local-use NAT64
		{"::7f00:1", "IPv4-compatible"}, // ::127.0.0.1
		{"::a00:1", "IPv4-compatible"},  // ::10.0.0.1
		{"::ffff:0:a00:1", "IPv4-translated"},
		{"::ffff:10.0.0.1", "private"}, // IPv4-mapped: checked as IPv4
		{"::ffff:8.8.8.8", ""},         // IPv4-mapped public
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
		{"2001:2::1", "protocol-assignment"},
		{"100::1", "discard-only"},
		{"fec0::1", "site-local"},
		{"4000::1", "reserved"},
		{"2a00:1450:4001:81a::200e", ""},
		{"2a00:1450::5efe:a00:1", "private (in ISATAP)"},
		{"2a00:1450::200:5efe:808:808", ""},
		{"fe80::1%eth0", "link-local"},
	}
	for _, tt := range tests {
		if got := blocked(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("blocked(%s): got %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func TestFromFile(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		wantTitle string
		wantErr   error
	}{
		{"bridge.html", "article.html", "Harbour bridge reopens after repairs", nil},
		{"note.txt", "note.txt", "", nil},
		{"login.html", "empty.html", "", ErrNotArticle},
		{"report.pdf", "note.txt", "", ErrNotArticle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := FromFile(tt.name, readFixture(t, tt.file))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromFile: %v", err)
			}
			if a.ID != tt.name {
				t.Errorf("got ID %q, want %q", a.ID, tt.name)
			}
			if tt.wantTitle != "" && a.Title != tt.wantTitle {
				t.Errorf("got title %q, want %q", a.Title, tt.wantTitle)
			}
			want := "Engineers replaced forty-two steel cables and resurfaced the deck"
			if _, ok := quote.FindIn(&a, want); !ok {
				t.Errorf("body lacks %q", want)
			}
		})
	}
	if _, err := FromFile("huge.txt", make([]byte, DefaultMaxBytes+1)); err == nil || !strings.Contains(err.Error(), "file too large (over 5 MiB)") {
		t.Errorf("huge file: got error %v, want file too large", err)
	}
}

func TestParagraphs(t *testing.T) {
	text := "  First para\nstill first.\n\n\nSecond.  \n \nThird"
	got := paragraphs(text)
	want := []string{"First para\nstill first.", "Second.", "Third"}
	if len(got) != len(want) {
		t.Fatalf("got %d paragraphs %v, want %d", len(got), got, len(want))
	}
	for i, s := range got {
		if p := text[s.Start:s.End]; p != want[i] {
			t.Errorf("paragraph %d: got %q, want %q", i, p, want[i])
		}
	}
}
