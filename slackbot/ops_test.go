package slackbot

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// freeLoopback returns a loopback address nothing listens on.
func freeLoopback(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestSocketModeHealthAndMetrics: in Socket Mode the bot serves /healthz
// and /metrics on HealthAddr while it runs, and stops serving them when
// Run returns.
func TestSocketModeHealthAndMetrics(t *testing.T) {
	addr := freeLoopback(t)
	h := startSocket(t, nil, func(c *Config) { c.HealthAddr = addr })
	tests := []struct {
		path, want string
	}{
		{"/healthz", "ok"},
		{"/metrics", "briefbot_slack_tasks_in_flight 0"},
	}
	for _, tt := range tests {
		resp, err := http.Get("http://" + addr + tt.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", tt.path, resp.StatusCode)
		}
		if got := readBody(t, resp); !strings.Contains(got, tt.want) {
			t.Errorf("GET %s: got %.200q, want it to contain %q", tt.path, got, tt.want)
		}
	}
	if resp, err := http.Post("http://"+addr+"/slack/events", "application/json", strings.NewReader("{}")); err == nil {
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST /slack/events in Socket Mode: status %d, want 404 or 405", resp.StatusCode)
		}
		resp.Body.Close()
	}
	h.stop(t)
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("/healthz still served after Run returned")
	}
}

// TestSocketModeHealthAddrInUse: a HealthAddr already taken stops Run at
// once with an error that names BOT_ADDR.
func TestSocketModeHealthAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := newHarness(t, nil, func(c *Config) { c.HealthAddr = ln.Addr().String() })
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "BOT_ADDR") {
			t.Errorf("Run: %v, want an error naming BOT_ADDR", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
	}
}

// TestShutdownLogsInFlight: shutdown says how many answers were in flight
// and what became of them.
func TestShutdownLogsInFlight(t *testing.T) {
	tests := []struct {
		name     string
		shutdown time.Duration
		finish   bool // the answer finishes during the wait
		want     []string
	}{
		{"finished", waitLimit, true, []string{"shutdown: waiting for answers in flight", "in_flight=1", "shutdown: answers in flight finished", "finished=1"}},
		{"cancelled", 50 * time.Millisecond, false, []string{"shutdown: waiting for answers in flight", "shutdown: answers in flight were cancelled", "finished=0", "cancelled=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 1)}
			f := newFakeSlack(t)
			cfg := testConfig(t, f)
			cfg.ShutdownTimeout = tt.shutdown
			logs := &lockedBuffer{}
			b, err := New(cfg, svc, slog.New(slog.NewTextHandler(logs, nil)), nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- b.Run(ctx) }()
			var sock *fakeSocket
			select {
			case sock = <-f.sockets:
			case <-time.After(waitLimit):
				t.Fatal("the bot did not open a Socket Mode connection")
			}
			sock.Send(eventsEnvelope("env-1", "Ev1", 0, messageEvent("im", "D1", "U1", "1700000300.000100", "", "Who approved the budget?")))
			sock.WaitAck(t, "env-1")
			<-svc.started
			cancel()
			if tt.finish {
				// Let the answer finish once shutdown has counted it.
				deadline := time.Now().Add(waitLimit)
				for !strings.Contains(logs.String(), "waiting for answers in flight") {
					if time.Now().After(deadline) {
						t.Fatalf("shutdown never said it was waiting:\n%s", logs.String())
					}
					time.Sleep(time.Millisecond)
				}
				close(svc.gate)
			}
			select {
			case <-done:
			case <-time.After(waitLimit):
				t.Fatal("Run did not return")
			}
			for _, w := range tt.want {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("shutdown log lacks %q:\n%s", w, logs.String())
				}
			}
		})
	}
}
