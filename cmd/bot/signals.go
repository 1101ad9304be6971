package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// signalContext returns a context cancelled by the first SIGINT or
// SIGTERM, which starts a graceful shutdown (the Slack app posts the
// answers in flight). A second signal does not wait for it: exit is called
// at once with 130 (SIGINT) or 143 (SIGTERM). stop releases the signals.
func signalContext(parent context.Context, exit func(code int), stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "bot: second %v: exiting now\n", sig)
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			exit(code)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// readOrCancel calls read (a blocking read of the user's input) and
// returns its result, or gives up as soon as ctx is done (done false): a
// read from a terminal cannot be interrupted, so it is left to finish on
// its own, and its reader must not be used again.
func readOrCancel[T any](ctx context.Context, read func() T) (result T, done bool) {
	if ctx.Err() != nil {
		return result, false
	}
	got := make(chan T, 1)
	go func() { got <- read() }()
	select {
	case result = <-got:
		return result, true
	case <-ctx.Done():
		return result, false
	}
}
