package main

import (
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// TestDescribeTimeline checks the verdict on a query's longest piece:
// none long, one long while the other goroutine ran no piece (a stall a
// second run could cut), both goroutines in long runs at once, and that every
// run is listed with its goroutine, side, piece and second-run mark.
func TestDescribeTimeline(t *testing.T) {
	ms := time.Millisecond
	span := func(w int, side string, piece int, again bool, start, end time.Duration) retrieval.Span {
		return retrieval.Span{Worker: w, Side: side, Piece: piece, Again: again, Start: start, End: end}
	}
	for _, c := range []struct {
		name  string
		spans []retrieval.Span
		end   time.Duration
		want  []string
	}{
		{
			name:  "short runs",
			spans: []retrieval.Span{span(0, "lex0", 0, false, 0, ms/2), span(1, "vec", 0, false, 0, ms), span(1, "vec", 1, false, ms, 2*ms-1)},
			end:   2 * ms,
			want:  []string{"3 runs (0 second runs) on 2 goroutines", "verdict: no run took 2ms or more", "g0:lex0#0 0-500", "g1:vec#1 1000-1999"},
		},
		{
			name: "one stalled, the other idle",
			spans: []retrieval.Span{span(0, "vec", 3, false, ms, 31*ms), span(1, "vec", 4, false, ms, 2*ms),
				span(1, "vec", 3, true, 30*ms, 31*ms)},
			end:  31 * ms,
			want: []string{"1 second runs", "verdict: vec#3 took 30ms while the other goroutines ran no piece for 28ms of it", "g1:vec#3+ 30000-31000", "g1 busy 2ms"},
		},
		{
			name:  "both stalled",
			spans: []retrieval.Span{span(0, "lex1", 2, false, 0, 20*ms), span(1, "vec", 7, false, ms, 19*ms)},
			end:   20 * ms,
			want:  []string{"verdict: lex1#2 took 20ms while the other goroutines were in runs of their own 18ms of it (all busy or stalled at once)"},
		},
		{
			name: "no piece",
			end:  ms,
			want: []string{"no piece recorded"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := describeTimeline(c.spans, c.end)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to contain %q", got, w)
				}
			}
		})
	}
}
