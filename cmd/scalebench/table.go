package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"time"
)

// jsonRow is one line of -json output: one size, dimension, engine and
// question set.
type jsonRow struct {
	Size          int      `json:"size"`
	Dims          int      `json:"dims"`
	Engine        string   `json:"engine"`
	Questions     string   `json:"questions"`
	P50ms         float64  `json:"p50_ms"`
	P99ms         float64  `json:"p99_ms"`
	RecallAt10    *float64 `json:"recall_at_10"`
	BytesPerChunk *float64 `json:"bytes_per_chunk"`
	// FloorTail is the floor's p99 over its p50 in the same run and
	// question set: the machine's own tail, beside which the engines'
	// p99 are read (omitted without a floor).
	FloorTail float64 `json:"floor_p99_over_p50,omitempty"`
	// Memory is our index's resident set per phase (ours only).
	Memory map[string]jsonRSS `json:"memory,omitempty"`
	// GC is the garbage collection during the set's timed queries (ours
	// only).
	GC *jsonGC `json:"gc,omitempty"`
}

// jsonGC is the garbage collection during one question set's timed
// queries (of all engines): the collections that ran, their pauses in
// all, and how many of our timed queries one ran during.
type jsonGC struct {
	Cycles      int     `json:"cycles"`
	PauseMs     float64 `json:"pause_ms"`
	OursQueries int     `json:"ours_queries"`
}

// jsonRSS is one phase's resident set, in MB: its peak, the size settled
// after it, and their ratio.
type jsonRSS struct {
	PeakMB    float64 `json:"peak_mb"`
	SettledMB float64 `json:"settled_mb"`
	Ratio     float64 `json:"ratio"`
}

// jsonEngines are the engines -json reports: the four, and the
// hybrid query on stop 18's schedule (-ab), the quantised scan and our
// lexical and vector sides.
var jsonEngines = []string{"ours", "overlap", "chromem", "bleve", "floor", "quant", "lexical", "vector"}

// rows returns the JSON rows of a result. recall_at_10 is the quantised
// scan's for quant and our index's vector side's for ours and vector (both
// against the exact float32 scan), 1 for chromem (an exact float32 scan),
// and null where there is no vector side;
// bytes_per_chunk is heap growth per chunk for the built indexes, codes
// plus float32 vectors for quant, the float32 vectors for floor, and null
// for lexical and vector (they are ours).
func rows(r result) []jsonRow {
	var out []jsonRow
	for _, set := range r.sets {
		for _, name := range jsonEngines {
			t, ok := set.times[name]
			if !ok {
				continue
			}
			row := jsonRow{Size: r.size, Dims: r.dims, Engine: name, Questions: set.name, P50ms: msf(t.p50), P99ms: msf(t.p99),
				FloorTail: math.Round(set.floorTail()*1000) / 1000}
			one := 1.0
			switch name {
			case "ours":
				row.RecallAt10, row.BytesPerChunk = ptr(set.oursRecall), ptr(r.ours.heapPerChunk)
				row.Memory = map[string]jsonRSS{}
				for i, name := range memPhases {
					m := r.mem[i]
					row.Memory[name] = jsonRSS{PeakMB: mbf(m.peak), SettledMB: mbf(m.settled), Ratio: math.Round(m.ratio()*1000) / 1000}
				}
				row.GC = &jsonGC{Cycles: set.gcCycles, PauseMs: msf(set.gcPause), OursQueries: set.gcQueries["ours"]}
			case "chromem":
				row.RecallAt10, row.BytesPerChunk = &one, ptr(r.chromem.heapPerChunk)
			case "bleve":
				row.BytesPerChunk = ptr(r.bleve.heapPerChunk)
			case "vector":
				row.RecallAt10 = ptr(set.oursRecall)
			case "quant":
				row.RecallAt10, row.BytesPerChunk = ptr(set.recall), ptr(r.quantBytes)
			case "floor":
				row.BytesPerChunk = ptr(r.floorBytes)
			}
			out = append(out, row)
		}
	}
	return out
}

func ptr(x float64) *float64 { return &x }

// writeJSON writes a result's rows, one JSON object per line.
func writeJSON(w io.Writer, r result) error {
	enc := json.NewEncoder(w)
	for _, row := range rows(r) {
		if err := enc.Encode(row); err != nil {
			return err
		}
	}
	return nil
}

// writeTable writes the results as markdown tables with notes.
func writeTable(w io.Writer, o options, rs []result) {
	fmt.Fprintf(w, "Synthetic corpus (seed %d), up to %d queries per size and question set, k=%d; %s, GOMAXPROCS=%d, %s/%s.\n\n",
		o.seed, o.queries, o.k, runtime.Version(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "Build, memory and restart:\n\n")
	head := []string{"chunks", "dims", "articles", "ours build s", "ours chunks/s", "ours B/chunk", "restart s", "file MB",
		"chromem build s", "chromem B/chunk", "bleve build s", "bleve B/chunk", "quant B/chunk", "floor B/chunk"}
	writeRow(w, head)
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---:|", len(head)))
	for _, r := range rs {
		row := []string{fmt.Sprint(r.chunks), fmt.Sprint(r.dims), fmt.Sprint(r.articles),
			secs(r.ours.build), rate(r.chunks, r.ours), fmt.Sprintf("%.0f", r.ours.heapPerChunk),
			secs(r.restart), fmt.Sprintf("%.1f", float64(r.fileBytes)/1e6)}
		for _, e := range []engineResult{r.chromem, r.bleve} {
			if !e.built {
				row = append(row, "-", "-")
				continue
			}
			row = append(row, secs(e.build), fmt.Sprintf("%.0f", e.heapPerChunk))
		}
		row = append(row, fmt.Sprintf("%.0f", r.quantBytes), fmt.Sprintf("%.0f", r.floorBytes))
		writeRow(w, row)
	}
	fmt.Fprintf(w, "\nResident set of the whole process during each phase of ours, MB: peak / settled after it (peak over settled):\n\n")
	head = []string{"chunks", "dims", "before"}
	head = append(head, memPhases[:]...)
	writeRow(w, head)
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---:|", len(head)))
	for _, r := range rs {
		row := []string{fmt.Sprint(r.chunks), fmt.Sprint(r.dims), fmt.Sprintf("%.0f", mbf(r.rssBefore))}
		for _, m := range r.mem {
			row = append(row, fmt.Sprintf("%.0f / %.0f (%.2fx)", mbf(m.peak), mbf(m.settled), m.ratio()))
		}
		writeRow(w, row)
	}
	fmt.Fprintf(w, "\nQueries (ms, p50 / p99; in brackets the p50 over the floor's p50, measured in the same run):\n\n")
	head = []string{"chunks", "dims", "questions", "words", "queries"}
	head = append(head, engineOrder...)
	head = append(head, "floor p99/p50", "ours recall@10", "quant recall@10", "GCs (ours queries during one)")
	writeRow(w, head)
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---:|", len(head)))
	for _, r := range rs {
		for _, set := range r.sets {
			row := []string{fmt.Sprint(r.chunks), fmt.Sprint(r.dims), set.name, fmt.Sprintf("%.1f", set.words), fmt.Sprint(set.queries)}
			floor := set.times["floor"].p50
			for _, e := range engineOrder {
				t, ok := set.times[e]
				if !ok {
					row = append(row, "-")
					continue
				}
				row = append(row, fmt.Sprintf("%s / %s (%s)", ms(t.p50), ms(t.p99), ratio(t.p50, floor)))
			}
			row = append(row, fmt.Sprintf("%.2f", set.floorTail()), fmt.Sprintf("%.4f", set.oursRecall), fmt.Sprintf("%.4f", set.recall), fmt.Sprintf("%d (%d)", set.gcCycles, set.gcQueries["ours"]))
			writeRow(w, row)
		}
	}
	fmt.Fprintf(w, "\n")
	for _, r := range rs {
		fmt.Fprintf(w, "- %d chunks, %d-d: our build %s s = indexing %s s + saving %s s; embedding every chunk once more (for chromem, quant and floor) %s s; article text %.0f B/chunk, held by the caller and not in the B/chunk columns.\n",
			r.chunks, r.dims, secs(r.ours.build), secs(r.ourIndex), secs(r.ourSave), secs(r.embed), r.textPerChunk)
	}
	fmt.Fprintf(w, `
Notes:
- ours: retrieval.Index, persisted to a temporary directory; build = New + Add (chunking, analysis, embedding, indexing, saving); query = Search (embedding the question, BM25F, the vector side as 4-bit codes scanned with the SIMD kernel and the best 400 rescored exactly in float32, fusion), K=%d; its recall@10 is its vector side's (Search with the lexical side off) against the exact float32 scan. 512-d is the local embedder; 1536-d is the local vector spread over 1536 coordinates (cmd/scalebench/vectors.go), the size of a model embedding. lexical: the same index with the vector component off (Tuning.VectorWeight < 0); vector: with the lexical component off (Tuning.LexicalWeight < 0), the vector side with the embedding of the question.
- quant: retrieval/vecscan over the same vectors: 4-bit codes scanned with the %s kernel, the best %d rescored exactly in float32; query = embedding the question + Search. Its recall@10 is the share of the exact float32 scan's top 10 it also returns, over the first %d questions of the set. It is the vector side alone, over a plain slice of the vectors.
- floor: reading every byte of the float32 vectors on every core (64-bit integer sums), the least a float32 scan can cost.
- chromem: plain chromem-go collection of the same vectors with the article, outlet and date as metadata; build = embedding + AddDocuments; query = embedding the question + QueryEmbedding.
- bleve: bleve v2 scorch on disk (batches of %d chunks, then force-merged into one segment), English analyser, BM25 scoring, title and text not stored; query = match query over both.
- questions: synthetic are the generator's short questions about an article's topic; real are the MultiHop-RAG dev questions (-real), asked of the synthetic index.
- B/chunk: growth of the Go heap in use (after GC) per chunk while building that engine, all held at once; for chromem plus the float32 vectors its documents share with quant and floor, for bleve plus its index files (memory-mapped). Queries are interleaved across engines (each question goes to every engine, in an order shuffled per question); floor p99/p50 is the machine's own tail in that run (the floor does the same work every query); p50/p99 are nearest-rank over the timed queries after 5 warm-up queries. GCs: garbage collections that ran during the timed queries (of all engines), and in brackets how many of ours's timed queries one ran during; they stay in the times, as a bot collects garbage too.
- resident set: VmHWM (reset through /proc/self/clear_refs) while the phase ran and VmRSS after debug.FreeOSMemory, the corpus the benchmark holds included (the "before" column). build: New + one Add of the corpus; restart: New on the persisted directory; add: an Add of %d articles into the reopened index; merge: then an Add of a 200th of the articles and 100 more, over the merge threshold, which compacts the index and writes a new base as a background merge does.
- restart: retrieval.New on the persisted directory, after dropping every index; the reopened index answers the first 20 synthetic queries identically (with the index's 1-bit vector pass on, which a reload's slot order changes near ties of, with at least 99%% of the chunks in common).
`, o.k, kernelName(), o.candidates, recallQuestions, bleveBatch, addArticles)
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

// ratio returns a/b, or "-" when b is zero.
func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a.Seconds()/b.Seconds())
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

// mbf returns bytes in MB.
func mbf(b uint64) float64 { return float64(b) / 1e6 }

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", msf(d)) }
