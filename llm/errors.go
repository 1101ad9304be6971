package llm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"
)

// Sentinel errors. Every error a Client returns wraps at least one of them,
// so callers can tell a model that is down for now from a setting that must
// be fixed:
//
//	errors.Is(err, llm.ErrUnavailable) // try later, or answer without the model
//	errors.Is(err, llm.ErrConfig)      // tell the operator: a setting is wrong
var (
	// ErrConfig means a setting is wrong: a missing or rejected key, an
	// unknown model or deployment, a base URL whose host does not exist.
	// ErrAuth and ErrNotFound errors also match ErrConfig.
	ErrConfig = errors.New("model server configuration is wrong")
	// ErrAuth means the server rejected the API key (401 or 403).
	ErrAuth = errors.New("model server rejected the API key")
	// ErrNotFound means the server has no such model, deployment or
	// endpoint (404).
	ErrNotFound = errors.New("model server has no such model or endpoint")
	// ErrUnavailable means the server could not serve the request for now,
	// after the retries: rate limits, exhausted quota, 5xx, timeouts,
	// refused or reset connections, or the caller's deadline passing.
	ErrUnavailable = errors.New("model server unavailable")
	// ErrBadRequest means the server rejected the request itself (400, 422
	// and other 4xx not named above).
	ErrBadRequest = errors.New("model server rejected the request")
	// ErrBadResponse means the server answered 2xx with something that
	// could not be used: malformed JSON, no choices, an empty reply, the
	// wrong number of embeddings.
	ErrBadResponse = errors.New("model server sent an unusable reply")
)

// Kind classifies a failed model request. Stats counts failures by Kind.
type Kind string

// The kinds of failure.
const (
	KindAuth        Kind = "auth"         // 401, 403
	KindNotFound    Kind = "not_found"    // 404
	KindBadRequest  Kind = "bad_request"  // 400, 422, other 4xx
	KindRateLimit   Kind = "rate_limit"   // 429
	KindQuota       Kind = "quota"        // 429 insufficient_quota: retrying does not help
	KindServer      Kind = "server"       // 5xx, 408, 409
	KindTimeout     Kind = "timeout"      // an attempt or the caller's deadline ran out
	KindConnection  Kind = "connection"   // refused, reset, closed early
	KindDNS         Kind = "dns"          // the host name does not resolve
	KindTLS         Kind = "tls"          // certificate not trusted
	KindBadResponse Kind = "bad_response" // 2xx with an unusable body
	KindCanceled    Kind = "canceled"     // the caller canceled
)

// allKinds returns every Kind, for Stats.
func allKinds() []Kind {
	return []Kind{KindAuth, KindNotFound, KindBadRequest, KindRateLimit, KindQuota,
		KindServer, KindTimeout, KindConnection, KindDNS, KindTLS, KindBadResponse, KindCanceled}
}

// retryable reports whether a request that failed this way may succeed if
// sent again.
func (k Kind) retryable() bool {
	switch k {
	case KindRateLimit, KindServer, KindTimeout, KindConnection:
		return true
	}
	return false
}

// sentinels returns the sentinel errors a failure of this kind matches.
func (k Kind) sentinels() []error {
	switch k {
	case KindAuth:
		return []error{ErrAuth, ErrConfig}
	case KindNotFound:
		return []error{ErrNotFound, ErrConfig}
	case KindDNS, KindTLS:
		return []error{ErrConfig}
	case KindBadRequest:
		return []error{ErrBadRequest}
	case KindBadResponse:
		return []error{ErrBadResponse}
	case KindCanceled:
		return nil
	}
	return []error{ErrUnavailable}
}

// Error is a failed model request, after any retries. It matches the
// sentinel errors of its Kind with errors.Is, and the underlying error
// (*openai.APIError, *openai.RequestError, *url.Error, context errors) with
// errors.Is and errors.As.
type Error struct {
	Op   string // "chat completion", "embeddings" or "list models"
	Kind Kind
	// StatusCode is the HTTP status, 0 when no response arrived.
	StatusCode int
	// Message is the server's error message or the transport error, with
	// the API key redacted and cut to a few hundred characters.
	Message string
	// Code is the error code in an OpenAI error body, e.g.
	// "invalid_api_key" or "model_not_found"; often "".
	Code     string
	Attempts int
	Err      error
}

// Error returns e as one line, e.g.
// `chat completion: rate_limit (429) after 4 attempts: Rate limit reached`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (%d)", e.StatusCode)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the sentinels of e's Kind and the underlying error.
func (e *Error) Unwrap() []error {
	errs := e.Kind.sentinels()
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// sentenceError is an error whose text is a sentence for the user; it wraps
// the error it explains.
type sentenceError struct {
	msg string
	err error
}

// Error returns the sentence.
func (e *sentenceError) Error() string { return e.msg }

// Unwrap returns the error the sentence explains.
func (e *sentenceError) Unwrap() error { return e.err }

// failure describes one failed attempt.
type failure struct {
	kind    Kind
	status  int
	message string // redacted, shortened
	code    string // OpenAI's error code, e.g. "model_not_found"
}

// classify describes the failed attempt err. callerErr is the caller's
// ctx.Err() after the attempt, attemptErr the attempt ctx's.
func (c *Client) classify(err error, meta *responseMeta, callerErr, attemptErr error) failure {
	f := failure{message: c.redact(shorten(err.Error()))}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		f.status = apiErr.HTTPStatusCode
		f.message = c.redact(shorten(apiErr.Message))
		if apiErr.Code != nil {
			f.code = fmt.Sprint(apiErr.Code)
		} else if apiErr.Type == "insufficient_quota" {
			f.code = apiErr.Type
		}
	case errors.As(err, &reqErr):
		f.status = reqErr.HTTPStatusCode
		f.message = c.redact(shorten(string(reqErr.Body)))
		if f.message == "" {
			f.message = reqErr.HTTPStatus
		}
	}
	if f.status != 0 {
		f.kind = statusKind(f.status, f.code)
		return f
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var netErr net.Error
	switch {
	case errors.Is(callerErr, context.Canceled):
		f.kind = KindCanceled
	case callerErr != nil, errors.Is(attemptErr, context.DeadlineExceeded):
		f.kind = KindTimeout
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout && !dnsErr.IsTemporary:
		f.kind = KindDNS
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		f.kind = KindTLS
	case errors.Is(err, errResponseTooLarge):
		f.status = meta.statusCode()
		f.kind = KindBadResponse
		f.message = "the reply is too large to read"
	case meta.statusCode() != 0 && (errors.As(err, &syntaxErr) || errors.As(err, &typeErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && meta.statusCode() < 300:
		// A 2xx response whose body did not decode.
		f.status = meta.statusCode()
		f.kind = KindBadResponse
	case errors.As(err, &netErr) && netErr.Timeout():
		f.kind = KindTimeout
	default:
		// Refused, reset, closed early, and anything else on the way.
		f.kind = KindConnection
	}
	return f
}

// statusKind classifies an HTTP error status.
func statusKind(status int, code string) Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusNotFound:
		return KindNotFound
	case status == http.StatusTooManyRequests && code == "insufficient_quota":
		return KindQuota
	case status == http.StatusTooManyRequests:
		return KindRateLimit
	case status == http.StatusRequestTimeout || status == http.StatusConflict || status >= 500:
		return KindServer
	}
	return KindBadRequest
}

// isRefused reports whether err is a refused connection.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// redact removes the API key from s.
func (c *Client) redact(s string) string {
	if c.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "[redacted]")
}

// shorten collapses white space in s and cuts it to a few hundred
// characters.
func shorten(s string) string {
	const limit = 300 // runes
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit]) + "…"
}
