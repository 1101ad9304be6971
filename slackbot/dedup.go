package slackbot

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// StateStore is the embedded store the bot keeps what must survive a
// restart in: the events already handled and the feedback. *store.Store
// satisfies it; cmd/bot opens it and passes it in Config.State.
type StateStore interface {
	// PutMany stores every key and value of kv in bucket in one transaction.
	PutMany(bucket string, kv map[string][]byte) error
	// Batch stores one value, coalesced with concurrent calls into one
	// transaction; it returns once the write is durable.
	Batch(bucket, key string, value []byte) error
	// Each calls fn for every key of bucket in key order.
	Each(bucket string, fn func(key string, value []byte) error) error
	// PutExpiringMany stores every key of kv in bucket until expires, in
	// one transaction.
	PutExpiringMany(bucket string, kv map[string][]byte, expires time.Time) error
	// EachLive calls fn for every entry of bucket that has not expired.
	EachLive(bucket string, now time.Time, fn func(key string, value []byte, expires time.Time) error) error
	// Sweep deletes the entries of bucket that have expired.
	Sweep(bucket string, now time.Time) (int, error)
}

const (
	// seenBucket holds the requests already handled, with their expiry.
	seenBucket = "slack_seen"
	// seenFlushEvery is how often the requests claimed since the last
	// write are saved, in one transaction: never one fsync per event.
	seenFlushEvery = 250 * time.Millisecond
	// seenSweepEvery is how often expired entries are deleted from disk.
	seenSweepEvery = 10 * time.Minute
)

// seenSet remembers the requests already handled (event IDs, messages,
// slash command triggers, button clicks) for a time, not up to a count, so
// a retry or replay within that time is not answered again however busy
// the bot was in between. Claims are decided in memory, on the ack path;
// a background writer saves them in batches, and a new process loads the
// live ones, so a retry that arrives after a restart is still recognised.
type seenSet struct {
	mem   *ttlCache[string, struct{}]
	st    StateStore // nil: in memory only
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	pending map[string][]byte
	quit    chan struct{}
	done    chan struct{}
	started bool
	closed  bool
}

// newSeenSet loads the live entries of st (when not nil). The first claim
// starts the writer, which saves new claims every flushEvery; Close stops
// it after a last write.
func newSeenSet(st StateStore, ttl, flushEvery time.Duration, now func() time.Time, log *slog.Logger) (*seenSet, error) {
	s := &seenSet{mem: newTTLCache[string, struct{}](0, ttl, now), st: st, ttl: ttl, now: now, log: log,
		every: flushEvery, pending: map[string][]byte{}}
	if st == nil {
		return s, nil
	}
	type entry struct {
		key     string
		expires time.Time
	}
	var live []entry
	err := st.EachLive(seenBucket, now(), func(k string, _ []byte, exp time.Time) error {
		live = append(live, entry{k, exp})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load the events already handled: %w", err)
	}
	// Oldest expiry first, as the cache keeps them.
	slices.SortFunc(live, func(a, b entry) int { return a.expires.Compare(b.expires) })
	for _, e := range live {
		s.mem.putUntil(e.key, struct{}{}, e.expires)
	}
	s.quit, s.done = make(chan struct{}), make(chan struct{})
	return s, nil
}

// Claim records key and reports whether it is new: the first caller for a
// key within the set's lifetime wins, whatever happened in between.
func (s *seenSet) Claim(key string) bool {
	if !s.mem.Claim(key, struct{}{}) {
		return false
	}
	if s.st != nil {
		s.mu.Lock()
		if !s.closed {
			s.pending[key] = nil
			if !s.started { // the writer starts with the first claim
				s.started = true
				go s.write()
			}
		}
		s.mu.Unlock()
	}
	return true
}

// write saves the pending claims every s.every and sweeps expired ones now
// and then, until Close.
func (s *seenSet) write() {
	defer close(s.done)
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	lastSweep := time.Time{}
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
		if err := s.flush(); err != nil {
			s.log.Error("saving the events already handled failed", "err", err)
		}
		if now := s.now(); now.Sub(lastSweep) >= seenSweepEvery {
			lastSweep = now
			if _, err := s.st.Sweep(seenBucket, now); err != nil {
				s.log.Error("deleting expired events failed", "err", err)
			}
		}
	}
}

// flush writes the claims made since the last flush in one transaction.
func (s *seenSet) flush() error {
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.mu.Unlock()
		return nil
	}
	batch := s.pending
	s.pending = map[string][]byte{}
	s.mu.Unlock()
	if err := s.st.PutExpiringMany(seenBucket, batch, s.now().Add(s.ttl)); err != nil {
		return fmt.Errorf("save %d events already handled: %w", len(batch), err)
	}
	return nil
}

// Close stops the writer and saves what is still pending. It is safe to
// call more than once.
func (s *seenSet) Close() error {
	if s.st == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil // nothing was claimed, nothing to save
	}
	close(s.quit)
	<-s.done
	return s.flush()
}
