// Command scalebench measures retrieval at scale: for synthetic corpora of
// (by default) 1k, 10k, 100k and 1M chunks it builds the briefbot index, a
// plain chromem-go collection with the same local embeddings and an
// in-memory bleve index over the same text, and reports in one table each
// one's build time and throughput, query time (median and 99th percentile,
// the queries interleaved so that the ratios hold on a noisy machine), heap
// per chunk, and the briefbot index's restart time from its persisted file.
//
// Usage:
//
//	go run ./cmd/scalebench [-sizes 1000,10000,100000,1000000] [-queries 200] [-out FILE] [-bleve-max 100000] [-pprof DIR]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}
