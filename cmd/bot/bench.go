package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/seeds"
	"github.com/briefbot/briefbot/sentence"
)

// runBench measures the engine on a corpus and prints the figures: load and
// index time, retrieval and answer latency (median and 99th percentile), and
// memory. It runs in memory only (nothing is persisted).
func runBench(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	corpus := fs.String("corpus", "", "articles to measure on (default: the seeds)")
	questionsFile := fs.String("questions", "", "questions, one per line (default: one built from each article's first sentence)")
	n := fs.Int("n", 200, "questions to time")
	k := fs.Int("k", cfg.K, "passages per question")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("bench takes no arguments besides its flags")
	}
	if *n < 1 {
		return usagef("--n %d: want at least 1", *n)
	}

	start := time.Now()
	var arts []article.Article
	var skips []article.Skip
	if *corpus == "" {
		arts, skips, err = article.LoadFS(seeds.FS)
	} else {
		arts, skips, err = article.Load(*corpus)
	}
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	loaded := time.Since(start)
	ix, err := retrieval.New(ctx, retrieval.Config{Logger: logger})
	if err != nil {
		return err
	}
	t1 := time.Now()
	st, err := ix.Add(ctx, arts)
	if err != nil {
		return err
	}
	indexed := time.Since(t1)
	comp := answer.New(ix, answer.Options{K: *k}, logger)

	questions, err := benchQuestions(*questionsFile, arts, *n)
	if err != nil {
		return err
	}
	var searchTimes, answerTimes []time.Duration
	grounded := 0
	for _, q := range questions {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := time.Now()
		if _, err := ix.Search(ctx, retrieval.Query{Text: q, K: *k, Diverse: true}); err != nil {
			return err
		}
		searchTimes = append(searchTimes, time.Since(t))
		t = time.Now()
		a, err := comp.Answer(ctx, q, nil)
		if err != nil {
			return err
		}
		answerTimes = append(answerTimes, time.Since(t))
		if a.Grounded {
			grounded++
		}
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(ix) // the index is what the heap figure measures
	runtime.KeepAlive(comp)

	name := *corpus
	if name == "" {
		name = "embedded seeds"
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	fmt.Fprintf(w, "corpus                 %s\n", name)
	fmt.Fprintf(w, "articles               %d loaded, %d skipped\n", len(arts), len(skips))
	fmt.Fprintf(w, "chunks                 %d\n", st.Chunks)
	fmt.Fprintf(w, "load                   %v\n", loaded.Round(time.Microsecond))
	fmt.Fprintf(w, "index (chunk+embed+bm25) %v\n", indexed.Round(time.Microsecond))
	fmt.Fprintf(w, "start-up total         %v\n", (loaded + indexed).Round(time.Microsecond))
	fmt.Fprintf(w, "questions timed        %d (%d answered, %d declined)\n", len(questions), grounded, len(questions)-grounded)
	fmt.Fprintf(w, "retrieval per question median %v, p99 %v\n", percentile(searchTimes, 50), percentile(searchTimes, 99))
	fmt.Fprintf(w, "answer per question    median %v, p99 %v (retrieval included)\n", percentile(answerTimes, 50), percentile(answerTimes, 99))
	fmt.Fprintf(w, "heap in use after GC   %.1f MiB (%.1f KiB per chunk, index and articles)\n", float64(ms.HeapInuse)/(1<<20), float64(ms.HeapInuse)/1024/float64(max(st.Chunks, 1)))
	fmt.Fprintf(w, "peak RSS               %.1f MiB\n", peakRSSMiB())
	return nil
}

// benchQuestions reads questions from a file, or makes one from the first
// sentence of each article, up to n.
func benchQuestions(path string, arts []article.Article, n int) ([]string, error) {
	var qs []string
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--questions: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, maxLine)
		for sc.Scan() && len(qs) < n {
			if q := strings.TrimSpace(sc.Text()); q != "" {
				qs = append(qs, q)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("--questions: %w", err)
		}
	} else {
		for i := 0; len(qs) < n && len(arts) > 0 && i < 4*n; i++ {
			a := &arts[i%len(arts)]
			if len(a.Body) == 0 {
				continue
			}
			b := a.Body[0]
			ss := sentence.Split(a.Text[b.Start:b.End])
			if len(ss) == 0 {
				continue
			}
			s := ss[(i/len(arts))%len(ss)]
			qs = append(qs, "What happened: "+a.Text[b.Start+s.Start:b.Start+s.End])
		}
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("no questions to time")
	}
	return qs, nil
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[min(i, len(s)-1)].Round(time.Microsecond)
}
