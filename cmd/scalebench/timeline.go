package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// longRun is the least a piece's run takes to count as a stall in a
// timeline: pieces take 0.05-1 ms on a quiet machine.
const longRun = 2 * time.Millisecond

// timelines describes, for the n slowest queries of e (which recorded
// probes), when each piece of the query ran on which goroutine, and what
// the others did meanwhile.
func timelines(e *engine, n int) []string {
	order := make([]int, len(e.probes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(e.times[b], e.times[a]) })
	var out []string
	for _, i := range order[:min(n, len(order))] {
		spans, end := e.probes[i].Runs()
		out = append(out, fmt.Sprintf("timeline of %s, question %d, %v: %s", e.name, i, e.times[i].Round(time.Microsecond), describeTimeline(spans, end)))
	}
	return out
}

// describeTimeline summarises a probe's runs, the query's sides done at
// end (Probe.Runs): per goroutine, its busy
// time, its longest run and its longest gap; the verdict on the longest
// run (did another goroutine run no piece while it ran: waiting, a stall
// a second run could cut, or stalled itself outside a piece; or were all
// in runs, busy or stalled at once); then every run as
// worker:side#piece start-end in µs from the search's start, "+" marking
// a second run.
func describeTimeline(spans []retrieval.Span, end time.Duration) string {
	if len(spans) == 0 {
		return fmt.Sprintf("sides done at %v; no piece recorded (the query ran without pieces)", us(end))
	}
	spans = slices.Clone(spans)
	slices.SortStableFunc(spans, func(a, b retrieval.Span) int { return cmp.Compare(a.Start, b.Start) })
	byWorker := map[int][]retrieval.Span{}
	var workers []int
	for _, s := range spans {
		if _, ok := byWorker[s.Worker]; !ok {
			workers = append(workers, s.Worker)
		}
		byWorker[s.Worker] = append(byWorker[s.Worker], s)
	}
	slices.Sort(workers)
	var b strings.Builder
	fmt.Fprintf(&b, "sides done at %v, %d runs (%d second runs) on %d goroutines", us(end), len(spans), countAgain(spans), len(workers))
	for _, w := range workers {
		ss := byWorker[w]
		busy, gap, last := time.Duration(0), time.Duration(0), time.Duration(0)
		long := ss[0]
		for _, s := range ss {
			busy += s.End - s.Start
			gap = max(gap, s.Start-last)
			last = max(last, s.End)
			if s.End-s.Start > long.End-long.Start {
				long = s
			}
		}
		gap = max(gap, end-last)
		fmt.Fprintf(&b, "; g%d busy %v, longest run %s %v, longest gap %v", w, us(busy), spanName(long), us(long.End-long.Start), us(gap))
	}
	long := spans[0]
	for _, s := range spans {
		if s.End-s.Start > long.End-long.Start {
			long = s
		}
	}
	d := long.End - long.Start
	if d < longRun {
		fmt.Fprintf(&b, "; verdict: no run took %v or more", longRun)
	} else {
		// What the other goroutines did while the longest run ran.
		idle := time.Duration(0)
		for _, w := range workers {
			if w == long.Worker {
				continue
			}
			idle += d - covered(byWorker[w], long.Start, long.End)
		}
		others := time.Duration(len(workers)-1) * d
		switch {
		case len(workers) == 1:
			fmt.Fprintf(&b, "; verdict: %s took %v on the only goroutine", spanName(long), us(d))
		case idle*2 > others:
			fmt.Fprintf(&b, "; verdict: %s took %v while the other goroutines ran no piece for %v of it (waiting: a stall a second run could cut; or stalled themselves)", spanName(long), us(d), us(idle))
		default:
			fmt.Fprintf(&b, "; verdict: %s took %v while the other goroutines were in runs of their own %v of it (all busy or stalled at once)", spanName(long), us(d), us(others-idle))
		}
	}
	b.WriteString("; runs:")
	for _, s := range spans {
		fmt.Fprintf(&b, " g%d:%s %d-%d", s.Worker, spanName(s), s.Start.Microseconds(), s.End.Microseconds())
	}
	return b.String()
}

// covered returns how much of [lo, hi) the spans, of one goroutine and
// so disjoint, cover.
func covered(spans []retrieval.Span, lo, hi time.Duration) time.Duration {
	c := time.Duration(0)
	for _, s := range spans {
		if a, z := max(s.Start, lo), min(s.End, hi); z > a {
			c += z - a
		}
	}
	return c
}

// countAgain returns how many of spans are second runs.
func countAgain(spans []retrieval.Span) int {
	n := 0
	for _, s := range spans {
		if s.Again {
			n++
		}
	}
	return n
}

// spanName names a run: its side and piece, "+" for a second run.
func spanName(s retrieval.Span) string {
	again := ""
	if s.Again {
		again = "+"
	}
	return fmt.Sprintf("%s#%d%s", s.Side, s.Piece, again)
}

// us rounds d to microseconds.
func us(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
