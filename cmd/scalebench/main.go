// Command scalebench measures retrieval at scale: for synthetic corpora of
// (by default) 1k, 10k, 100k and 1M chunks it builds the briefbot index, a
// plain chromem-go collection with the same embeddings, a bleve index
// (BM25, merged into one segment) over the same text and the quantised
// vector scan of retrieval/vecscan, and reports in one table each one's
// build time, heap per chunk and query time (median and 99th percentile,
// the queries interleaved so that the ratios hold on a noisy machine), each
// also as a ratio to the time of reading the float32 vectors once (the
// floor), measured in the same run; and the briefbot index's restart time
// from its persisted files.
//
// -real also times the MultiHop-RAG dev questions (about 46 words, against
// the synthetic questions' 8) from ../shared/benchmarks/multihop-rag/
// beside the checkout; -dims 512,1536 adds model-sized vectors; -json
// prints one JSON object per line per size, dimension, engine and question
// set instead of the table. -timeline N logs, for the N slowest hybrid
// queries, when each piece ran on which goroutine (a stall that a second
// run could cut, or all cores stalled at once); -ab also times the hybrid
// query with its two sides started together (engine overlap), the
// schedule of stop 18, beside the one pool.
//
// Usage:
//
//	go run ./cmd/scalebench [-sizes 1000,10000,100000,1000000] [-dims 512,1536] [-real] [-json] [-queries 200] [-out FILE] [-bleve-max 100000] [-chromem-max 0] [-candidates 100] [-pprof DIR] [-timeline N] [-ab]
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
