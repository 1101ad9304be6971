package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// runHealth asks the bot running at BOT_ADDR (or --addr) for GET /healthz
// and returns an error unless it answers 200: the container health check,
// since the image has no curl.
func runHealth(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := newFlags("health", nil)
	addr := fs.String("addr", cfg.Addr, "the bot's listen address (BOT_ADDR)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("health takes no arguments besides its flags")
	}
	url, err := healthURL(*addr)
	if err != nil {
		return usagef("--addr %q: %v", *addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", url, resp.Status)
	}
	_, err = fmt.Fprintf(stdout, "%s: %s\n", url, body)
	return err
}

// healthURL turns a listen address (":3000", "0.0.0.0:3000",
// "[::]:3000", "host:3000") into the URL of its /healthz, on the loopback
// address when the bot listens on every address.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port == "" {
		return "", fmt.Errorf("no port")
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

// socketHealthAddr is where Socket Mode serves /healthz and /metrics:
// BOT_ADDR, as HTTP mode does.
func socketHealthAddr(cfg config) string {
	if cfg.SlackAppToken == "" {
		return "" // HTTP mode serves them with the Slack routes
	}
	return cfg.Addr
}
