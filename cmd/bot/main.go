// Command bot is briefbot: a Slack bot, and a terminal program, that answers
// briefing questions about news articles with cited, verbatim quotes.
//
// Run it with no settings for a terminal chat over the shipped seed articles;
// see README.md for the subcommands and the Slack set-up.
package main

import (
	"context"
	"os"

	// TLS roots compiled in, used when the system has none (the container
	// image is FROM scratch), so Slack and model servers can be reached.
	_ "golang.org/x/crypto/x509roots/fallback"
)

func main() {
	ctx, stop := signalContext(context.Background(), os.Exit, os.Stderr)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}
