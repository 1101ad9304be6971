package llm

import (
	"errors"
	"sync/atomic"
)

// Stats counts a Client's requests since it was made.
type Stats struct {
	// Requests is the number of HTTP requests sent, retries included.
	Requests int64
	// Retries is the number of requests that were sent again after a
	// failure.
	Retries int64
	// FormatFallbacks is the number of times the server rejected a
	// response_format and the client fell back to a simpler one.
	FormatFallbacks int64
	// Failures counts calls that failed for good (after any retries), by
	// the kind of their last failure. Kinds that never failed are absent.
	Failures map[Kind]int64
}

// stats holds a Client's counters. The map is built in New and never
// changes; its values are atomic.
type stats struct {
	requests, retries, fallbacks atomic.Int64
	failures                     map[Kind]*atomic.Int64
}

// init makes the failure counters; New calls it once.
func (s *stats) init() {
	s.failures = make(map[Kind]*atomic.Int64)
	for _, k := range allKinds() {
		s.failures[k] = new(atomic.Int64)
	}
}

// count counts err as a call's final failure when it is an *Error, and
// returns it.
func (s *stats) count(err error) error {
	var e *Error
	if errors.As(err, &e) {
		if n, ok := s.failures[e.Kind]; ok {
			n.Add(1)
		}
	}
	return err
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	out := Stats{
		Requests:        c.stats.requests.Load(),
		Retries:         c.stats.retries.Load(),
		FormatFallbacks: c.stats.fallbacks.Load(),
		Failures:        make(map[Kind]int64),
	}
	for k, n := range c.stats.failures {
		if v := n.Load(); v > 0 {
			out.Failures[k] = v
		}
	}
	return out
}
