package llm

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// maxRetryAfter caps the wait a server can ask for with Retry-After.
	maxRetryAfter = 30 * time.Second
	// firstBackoff and maxBackoff bound the exponential backoff used when
	// the server gives no Retry-After.
	firstBackoff = 500 * time.Millisecond
	maxBackoff   = 8 * time.Second
)

// metaKey is the context key of an attempt's *responseMeta.
type metaKey struct{}

// responseMeta is what the transport saw of an attempt's response.
// go-openai's errors carry the status but not the headers, so the transport
// records them here; one responseMeta belongs to one attempt.
type responseMeta struct {
	mu           sync.Mutex
	status       int
	retryAfter   string
	retryAfterMS string
}

func (m *responseMeta) record(resp *http.Response) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status = resp.StatusCode
	m.retryAfter = resp.Header.Get("Retry-After")
	m.retryAfterMS = resp.Header.Get("Retry-After-Ms")
}

func (m *responseMeta) statusCode() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// wait returns how long the server asked the client to wait, capped at
// maxRetryAfter, and whether it asked at all.
func (m *responseMeta) wait(now time.Time) (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ms, err := strconv.ParseFloat(strings.TrimSpace(m.retryAfterMS), 64); err == nil && ms >= 0 {
		return min(time.Duration(ms*float64(time.Millisecond)), maxRetryAfter), true
	}
	return parseRetryAfter(m.retryAfter, now)
}

// parseRetryAfter parses a Retry-After header value, either seconds or an
// HTTP date, relative to now, and caps it at maxRetryAfter.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s >= maxRetryAfter.Seconds() {
			return maxRetryAfter, true
		}
		return time.Duration(s * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// backoff returns the wait before retry number n (from 1): exponential from
// firstBackoff, capped at maxBackoff, with jitter in [d/2, d].
func backoff(n int) time.Duration {
	d := maxBackoff
	if n < 5 {
		d = min(firstBackoff<<(n-1), maxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// Bounds of the response bodies read: a server's reply is untrusted input,
// and a chat reply bounded by MaxTokens is a few kilobytes. Embeddings
// replies carry a batch of vectors as JSON numbers (96 texts of 3,072
// dimensions are about 6 MB).
const (
	maxResponseBytes      = 1 << 20
	maxEmbedResponseBytes = 64 << 20
)

// errResponseTooLarge is the error reading a response body past its bound.
var errResponseTooLarge = errors.New("response body too large")

// captureTransport records each response's status and Retry-After headers
// in the attempt's responseMeta, found in the request's context, and bounds
// the bytes read of each response body.
type captureTransport struct {
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if m, ok := req.Context().Value(metaKey{}).(*responseMeta); ok && resp != nil {
		m.record(resp)
	}
	if resp != nil && resp.Body != nil {
		limit := int64(maxResponseBytes)
		if strings.HasSuffix(req.URL.Path, "/embeddings") {
			limit = maxEmbedResponseBytes
		}
		resp.Body = &limitedBody{rc: resp.Body, left: limit}
	}
	return resp, err
}

// limitedBody reads at most left bytes of rc, and fails with
// errResponseTooLarge when there is more.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

// Read implements io.Reader.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errResponseTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), errResponseTooLarge
	}
	return n, err
}

// Close implements io.Closer.
func (b *limitedBody) Close() error { return b.rc.Close() }

// captureClient returns a copy of hc (or of a default client) whose
// transport records response headers.
func captureClient(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c.Transport = &captureTransport{next: next}
	return &c
}

// do runs call, retrying up to retries times when it fails in a way that
// may pass. Every attempt gets its own ctx bounded by c.timeout. It never
// waits past ctx's deadline: when the wait would end after it, do gives up
// at once. Errors are *Error.
func (c *Client) do(ctx context.Context, op string, retries int, call func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		meta := &responseMeta{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, metaKey{}, meta), c.timeout)
		c.stats.requests.Add(1)
		err := call(actx)
		attemptErr := actx.Err()
		cancel()
		if err == nil {
			return nil
		}
		f := c.classify(err, meta, ctx.Err(), attemptErr)
		if !f.kind.retryable() || attempt > retries {
			return c.fail(op, f, attempt, err)
		}
		wait, asked := time.Duration(0), false
		if f.kind == KindRateLimit || f.status == http.StatusServiceUnavailable {
			wait, asked = meta.wait(time.Now())
		}
		if !asked {
			wait = backoff(attempt)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			c.log.Warn("model request failed; not retrying: the wait would outlast the deadline",
				"op", op, "attempt", attempt, "kind", f.kind, "status", f.status, "wait", wait, "err", f.message)
			return c.fail(op, f, attempt, err)
		}
		c.stats.retries.Add(1)
		c.log.Warn("model request failed; retrying",
			"op", op, "attempt", attempt, "of", retries+1, "kind", f.kind, "status", f.status,
			"wait", wait, "retry_after", asked, "err", f.message)
		if serr := c.sleep(ctx, wait); serr != nil {
			f.kind = KindTimeout
			if errors.Is(serr, context.Canceled) {
				f.kind = KindCanceled
			}
			return c.fail(op, f, attempt, errors.Join(serr, err))
		}
	}
}

// fail returns the final error of a request. The caller counts it in
// stats, unless it recovers from it.
func (c *Client) fail(op string, f failure, attempts int, err error) *Error {
	c.log.Debug("model request failed", "op", op, "attempts", attempts, "kind", f.kind, "status", f.status, "err", f.message)
	return &Error{Op: op, Kind: f.kind, StatusCode: f.status, Message: f.message, Code: f.code, Attempts: attempts, Err: err}
}
