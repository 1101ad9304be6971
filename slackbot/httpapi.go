package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Errors from signature verification; all of them are answered 401.
var (
	errMissingSignature = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errStaleTimestamp   = errors.New("request timestamp outside the 5-minute window of the clock")
	errBadSignature     = errors.New("signature does not match")
)

// Handler returns the HTTP routes: POST /slack/events, /slack/commands and
// /slack/interactions (signed by Slack), GET /healthz and GET /metrics.
func (b *Bot) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/events", b.verified(b.serveEvents))
	mux.Handle("POST /slack/commands", b.verified(b.serveCommand))
	mux.Handle("POST /slack/interactions", b.verified(b.serveInteraction))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(b.gatherer, promhttp.HandlerOpts{}))
	return mux
}

// runHTTP serves Handler on Config.Addr until ctx is done.
func (b *Bot) runHTTP(ctx context.Context) error {
	srv := &http.Server{
		Addr:              b.cfg.Addr,
		Handler:           b.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", b.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on BOT_ADDR %s: %w", b.cfg.Addr, err)
	}
	b.log.Info("serving the slack events api", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}

// verified reads the body (at most MaxBodyBytes) and checks Slack's
// signature on it before calling next.
func (b *Bot) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, b.cfg.MaxBodyBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		if err := verifySignature(r.Header, body, b.cfg.SigningSecret); err != nil {
			b.log.Warn("refused a request with a bad signature", "path", r.URL.Path, "err", err, "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			b.log.Info("slack retried a request", "path", r.URL.Path, "retry_num", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
		}
		next(w, r, body)
	})
}

// verifySignature checks Slack's v0 request signature with slack-go's
// SecretsVerifier: HMAC-SHA256 of "v0:timestamp:body" keyed with the
// signing secret, compared in constant time, with the timestamp within five
// minutes of the clock. Its errors are this package's, for the log.
func verifySignature(h http.Header, body []byte, secret string) error {
	sv, err := slack.NewSecretsVerifier(h, secret)
	var numErr *strconv.NumError
	switch {
	case errors.Is(err, slack.ErrMissingHeaders):
		return errMissingSignature
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return errStaleTimestamp
	case errors.As(err, &numErr):
		return fmt.Errorf("%w: timestamp %q is not a number", errStaleTimestamp, h.Get("X-Slack-Request-Timestamp"))
	case err != nil:
		return fmt.Errorf("%w: %v", errBadSignature, err)
	}
	if _, err := sv.Write(body); err != nil {
		return fmt.Errorf("%w: %v", errBadSignature, err)
	}
	if err := sv.Ensure(); err != nil {
		return errBadSignature
	}
	return nil
}

// serveEvents acks an Events API request and then handles the event.
func (b *Bot) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	switch outer.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, outer.Challenge)
		return
	case slackevents.AppRateLimited:
		b.log.Warn("slack is rate limiting the events sent to the app")
		w.WriteHeader(http.StatusOK)
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type we do not know: ack it so Slack does not retry.
		b.log.Debug("ignored an event", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	t := b.planEvent(r.Context(), ev)
	ack(w)
	if t.run != nil {
		b.submit(t)
	}
}

// serveCommand acks a slash command with its immediate reply and then
// answers it on its response_url.
func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.Command == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	reply := b.acceptCommand(b.planCommand(cmd))
	if reply == nil { // already handled
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(reply)
	ack(w)
}

// serveInteraction acks a button click and then handles it.
func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	ic, err := slack.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	t := b.planInteraction(ic)
	ack(w)
	if t.run != nil {
		b.submit(t)
	}
}

// ack sends the response now, so Slack has it before the work starts.
func ack(w http.ResponseWriter) {
	_ = http.NewResponseController(w).Flush()
}
