package slackbot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// opsHandler serves GET /healthz and GET /metrics: what Socket Mode serves
// on Config.HealthAddr, as HTTP mode serves them beside the Slack routes.
func (b *Bot) opsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(b.gatherer, promhttp.HandlerOpts{}))
	return mux
}

// startOps listens on Config.HealthAddr (when set) and serves opsHandler
// there until the returned stop func is called. A listen error is returned
// at once, so a port already in use stops the bot at start.
func (b *Bot) startOps(ctx context.Context) (stop func(), err error) {
	if b.cfg.HealthAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", b.cfg.HealthAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on BOT_ADDR %s: %w", b.cfg.HealthAddr, err)
	}
	srv := &http.Server{
		Handler:           b.opsHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	b.log.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			b.log.Error("serve /healthz and /metrics", "err", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}, nil
}
