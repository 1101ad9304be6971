package retrieval

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Probe is a diagnostic hook on one search, for cmd/scalebench: attached
// to the search's context with WithProbe, it records each run of each
// piece of the search (who ran it, when, and whether it ran again), and
// can run a hybrid query's two sides on the schedule of stop 18 instead
// of the one pool, for an A/B of the two in one run. A search without a
// probe pays one context lookup, with one that does not record a few
// branches. A probe serves one search at a time.
type Probe struct {
	// Overlap runs the lexical side and the vector scan started together,
	// half the goroutines taking lexical pieces first and half vector
	// ones, instead of all of them lexical pieces first.
	Overlap bool
	// Record asks for the runs of the pieces (Runs).
	Record bool

	spans   []Span
	end     time.Duration
	start   time.Time
	workers atomic.Int32
	mu      sync.Mutex
}

// Span is one run of one piece of a search.
type Span struct {
	Worker int    // the goroutine that ran it, numbered as they started
	Side   string // "lex0", "lex1" (the lexical stages), "vec" or "vecx" (the vector side's exact rescoring)
	Piece  int    // its index in its stage or scan
	Again  bool   // a second run, of a piece another goroutine held late
	// Start and End are the run's, from the search's start.
	Start, End time.Duration
}

// probeKey is the context key of a Probe.
type probeKey struct{}

// WithProbe returns a context whose searches record into p. Nothing is
// recorded without one.
func WithProbe(ctx context.Context, p *Probe) context.Context {
	return context.WithValue(ctx, probeKey{}, p)
}

// probeFrom returns the probe of ctx, nil for none.
func probeFrom(ctx context.Context) *Probe {
	p, _ := ctx.Value(probeKey{}).(*Probe)
	return p
}

// begin starts the probe's clock and clears what an earlier search
// recorded.
func (p *Probe) begin() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start, p.spans, p.end = time.Now(), p.spans[:0], 0
	p.workers.Store(0)
}

// worker numbers a goroutine that starts working on the search; 0 for a
// nil probe.
func (p *Probe) worker() int {
	if p == nil {
		return 0
	}
	return int(p.workers.Add(1) - 1)
}

// now returns the time of day when p records, the zero time otherwise.
func (p *Probe) now() time.Time {
	if p == nil || !p.Record {
		return time.Time{}
	}
	return time.Now()
}

// span records the run of a piece that started at t0.
func (p *Probe) span(worker int, side string, piece int, again bool, t0 time.Time) {
	if p == nil || !p.Record {
		return
	}
	end := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.spans = append(p.spans, Span{Worker: worker, Side: side, Piece: piece, Again: again, Start: t0.Sub(p.start), End: end.Sub(p.start)})
}

// ended records that the search's sides have returned.
func (p *Probe) ended() {
	if p == nil || !p.Record {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end = time.Since(p.start)
}

// Runs returns the runs of the search's pieces recorded so far, in the
// order they ended, and when the search's two sides had both returned,
// from its start. A run of a piece ends after the piece is done (a
// lexical one also after it starts the next stage), and a second run
// may end after the search: a run can be recorded after Search returns.
func (p *Probe) Runs() ([]Span, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.spans), p.end
}
