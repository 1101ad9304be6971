package slackbot

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// dialFailed is a slack-go retry handler for requests that never reached
// Slack: the connection could not be made (refused, unreachable, a DNS
// failure). A connection that broke after the request was sent is not
// retried: Slack may have acted on it, and a second chat.postMessage
// would post the answer twice.
type dialFailed struct {
	wait func(time.Duration) time.Duration
	bot  *Bot
}

// ShouldRetry implements slack.RetryHandler.
func (h *dialFailed) ShouldRetry(state *slack.RetryState, req *http.Request, resp *http.Response, err error) (bool, time.Duration) {
	if resp != nil || err == nil || !neverSent(err) || state.Attempt >= state.MaxRetries {
		return false, 0
	}
	if req.Body != nil && req.GetBody == nil {
		return false, 0
	}
	h.bot.metrics.slackRetried.WithLabelValues("connect").Inc()
	h.bot.log.Warn("cannot reach slack; retrying", "path", req.URL.Path, "attempt", state.Attempt+1, "err", err)
	return true, h.wait(backoff(state))
}

// neverSent reports whether err says the request was never sent: it
// failed while dialling (or resolving) Slack's address.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// serverError is a slack-go retry handler for 5xx answers: Slack answered
// that it failed, so the request is sent again after a backoff.
type serverError struct {
	wait func(time.Duration) time.Duration
	bot  *Bot
}

// ShouldRetry implements slack.RetryHandler.
func (h *serverError) ShouldRetry(state *slack.RetryState, req *http.Request, resp *http.Response, _ error) (bool, time.Duration) {
	if resp == nil || resp.StatusCode < http.StatusInternalServerError || state.Attempt >= state.MaxRetries {
		return false, 0
	}
	if req.Body != nil && req.GetBody == nil {
		return false, 0
	}
	h.bot.metrics.slackRetried.WithLabelValues("server_error").Inc()
	h.bot.log.Warn("slack failed a request; retrying", "path", req.URL.Path, "status", resp.StatusCode, "attempt", state.Attempt+1)
	return true, h.wait(backoff(state))
}

// backoff is the exponential wait before a retry: 200ms, 400ms, 800ms…
// (slack-go's own backoff state, with its jitter, when it gives one).
func backoff(state *slack.RetryState) time.Duration {
	if state.Backoff != nil {
		return state.Backoff.Duration()
	}
	return 200 * time.Millisecond << min(state.Attempt, 5)
}

// What users are told when the bot cannot answer as usual.
const (
	msgBusy      = "Sorry, I'm too busy to answer right now. Please ask again in a minute."
	msgNotPosted = "Sorry, Slack would not take my answer to this. Please ask again in a moment."
)

// undeliverable counts and logs a reply Slack never got, after the
// retries.
func (b *Bot) undeliverable(method string, err error, where ...any) {
	b.undelivered.Add(1)
	b.metrics.undelivered.WithLabelValues(method).Inc()
	b.log.Error("reply not delivered", append([]any{"method", method, "err", err}, where...)...)
}
