package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// writeTable writes the results as a markdown table with notes.
func writeTable(w io.Writer, o options, rs []result) {
	fmt.Fprintf(w, "Synthetic corpus (seed %d), up to %d queries per size, k=%d; %s, GOMAXPROCS=%d, %s/%s.\n\n",
		o.seed, o.queries, o.k, runtime.Version(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "Build, memory and restart:\n\n")
	head := []string{"chunks", "articles", "ours build s", "ours chunks/s", "ours B/chunk", "restart s", "file MB",
		"chromem build s", "chromem chunks/s", "chromem B/chunk", "bleve build s", "bleve chunks/s", "bleve B/chunk"}
	writeRow(w, head)
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---:|", len(head)))
	for _, r := range rs {
		row := []string{fmt.Sprint(r.chunks), fmt.Sprint(r.articles),
			secs(r.ours.build), rate(r.chunks, r.ours), fmt.Sprintf("%.0f", r.ours.heapPerChunk),
			secs(r.restart), fmt.Sprintf("%.1f", float64(r.fileBytes)/1e6)}
		for _, e := range []engineResult{r.chromem, r.bleve} {
			if !e.built {
				row = append(row, "-", "-", "-")
				continue
			}
			row = append(row, secs(e.build), rate(r.chunks, e), fmt.Sprintf("%.0f", e.heapPerChunk))
		}
		writeRow(w, row)
	}
	fmt.Fprintf(w, "\nQueries (ms; ratios below 1 mean ours is faster):\n\n")
	head = []string{"chunks", "queries", "ours p50", "ours p99", "chromem p50", "chromem p99", "bleve p50", "bleve p99",
		"p50 ours/chromem", "p99 ours/chromem", "p50 ours/bleve", "p99 ours/bleve", "ours lexical p50", "ours lexical p99", "p50 lexical/bleve"}
	writeRow(w, head)
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---:|", len(head)))
	for _, r := range rs {
		row := []string{fmt.Sprint(r.chunks), fmt.Sprint(r.queries), ms(r.ours.p50), ms(r.ours.p99)}
		for _, e := range []engineResult{r.chromem, r.bleve} {
			if !e.built {
				row = append(row, "-", "-")
				continue
			}
			row = append(row, ms(e.p50), ms(e.p99))
		}
		row = append(row, ratio(r.ours.p50, r.chromem.p50, r.chromem.built), ratio(r.ours.p99, r.chromem.p99, r.chromem.built),
			ratio(r.ours.p50, r.bleve.p50, r.bleve.built), ratio(r.ours.p99, r.bleve.p99, r.bleve.built),
			ms(r.lexP50), ms(r.lexP99), ratio(r.lexP50, r.bleve.p50, r.bleve.built))
		writeRow(w, row)
	}
	fmt.Fprintf(w, "\n")
	for _, r := range rs {
		fmt.Fprintf(w, "- %d chunks: our build %s s = indexing %s s + saving %s s; article text %.0f B/chunk, held by the caller and not in the B/chunk columns.\n",
			r.chunks, secs(r.ours.build), secs(r.ourIndex), secs(r.ourSave), r.textPerChunk)
	}
	fmt.Fprintf(w, `
Notes:
- ours: retrieval.Index with the local embedder, persisted to a temporary directory; build = New + Add (chunking, analysis, embedding, indexing, saving); query = Search (embedding the question, BM25F, vector scan, fusion), K=%d; "ours lexical" is the same index with the vector component off (Tuning.VectorWeight < 0), for a like-for-like comparison with bleve.
- chromem: plain chromem-go collection, the same embeddings of the same title+text; build = embedding on every core + AddDocuments; query = embedding the question + QueryEmbedding.
- bleve: bleve v2 in memory (scorch, batches of %d chunks, one segment each: scorch merges only on disk), English analyser, title and text not stored; query = match query over both.
- B/chunk: growth of the Go heap in use (after GC) per chunk while building that engine, all three held at once. Queries are interleaved across engines; p50/p99 are nearest-rank over the timed queries after 5 warm-up queries.
- restart: retrieval.New on the persisted directory, after dropping every index; the reopened index answers the first 20 queries identically.
`, o.k, bleveBatch)
	if o.bleveMax > 0 {
		fmt.Fprintf(w, "- bleve is run up to %d chunks (-bleve-max); '-' marks sizes left out.\n", o.bleveMax)
	}
	if o.chromemMax > 0 {
		fmt.Fprintf(w, "- chromem is run up to %d chunks (-chromem-max); '-' marks sizes left out.\n", o.chromemMax)
	}
}

func writeRow(w io.Writer, cells []string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

func rate(chunks int, e engineResult) string {
	return fmt.Sprintf("%.0f", float64(chunks)/e.build.Seconds())
}

// ratio returns ours/theirs, or "-" when the other engine was not run.
func ratio(ours, theirs time.Duration, built bool) string {
	if !built || theirs <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ours.Seconds()/theirs.Seconds())
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
