package slackbot

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// keptSweepEvery is how often expired entries are deleted from disk.
const keptSweepEvery = 10 * time.Minute

// codec turns a kept value into bytes for the store and back.
type codec[V any] struct {
	encode func(V) ([]byte, error)
	decode func([]byte) (V, error)
}

// keptMap is a map whose entries expire, bounded when max > 0, held in
// memory and kept in one bucket of the store, so that a new process finds
// the live entries again. Reads are from memory; every change is saved by
// a background writer, every flushEvery, in one transaction (never one
// fsync per change); Close saves what is left. An entry dropped because
// the map is full is deleted from the store as well. It is safe for
// concurrent use.
type keptMap[V any] struct {
	mem    *ttlCache[string, V]
	st     StateStore // nil: in memory only
	bucket string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
	every  time.Duration
	codec  codec[V]

	mu      sync.Mutex
	pending map[string][]byte // to save
	dropped map[string]bool   // to delete: evicted since the last flush
	quit    chan struct{}
	done    chan struct{}
	started bool
	closed  bool
}

// newKeptMap loads the live entries of bucket in st (when st is not nil);
// an entry that cannot be decoded is skipped with a warning. The first
// change starts the writer.
func newKeptMap[V any](st StateStore, bucket string, max int, ttl, flushEvery time.Duration, now func() time.Time, log *slog.Logger, c codec[V]) (*keptMap[V], error) {
	m := &keptMap[V]{mem: newTTLCache[string, V](max, ttl, now), st: st, bucket: bucket, ttl: ttl, now: now, log: log,
		every: flushEvery, codec: c, pending: map[string][]byte{}, dropped: map[string]bool{}}
	if st == nil {
		return m, nil
	}
	type entry struct {
		key     string
		val     V
		expires time.Time
	}
	var live []entry
	err := st.EachLive(bucket, now(), func(k string, raw []byte, exp time.Time) error {
		v, err := c.decode(raw)
		if err != nil {
			log.Warn("skipped a damaged saved entry", "bucket", bucket, "key", k, "err", err)
			return nil
		}
		live = append(live, entry{k, v, exp})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", bucket, err)
	}
	// Oldest expiry first, as the cache keeps them; past max the oldest
	// go, and are deleted at the first flush.
	slices.SortFunc(live, func(a, b entry) int { return a.expires.Compare(b.expires) })
	m.mem.evicted = m.drop
	for _, e := range live {
		m.mem.putUntil(e.key, e.val, e.expires)
	}
	m.quit, m.done = make(chan struct{}), make(chan struct{})
	if len(m.dropped) > 0 {
		m.startLocked()
	}
	return m, nil
}

// Get returns the live value for k.
func (m *keptMap[V]) Get(k string) (V, bool) { return m.mem.Get(k) }

// Claim stores v under k only when k has no live entry and reports whether
// it did: the first caller for a key wins.
func (m *keptMap[V]) Claim(k string, v V) bool {
	if !m.mem.Claim(k, v) {
		return false
	}
	m.save(k, v)
	return true
}

// Put stores v under k, renewing its expiry.
func (m *keptMap[V]) Put(k string, v V) {
	m.Update(k, func(V, bool) V { return v })
}

// Update applies fn to the live value for k (the zero value when there is
// none) and stores the result. Changes to one key are saved in the order
// they were made.
func (m *keptMap[V]) Update(k string, fn func(V, bool) V) {
	m.mem.Update(k, func(cur V, found bool) V {
		v := fn(cur, found)
		m.save(k, v) // under the cache's lock, so saves keep the order of changes
		return v
	})
}

// save queues k's new value for the writer.
func (m *keptMap[V]) save(k string, v V) {
	if m.st == nil {
		return
	}
	raw, err := m.codec.encode(v)
	if err != nil {
		m.log.Error("cannot save an entry", "bucket", m.bucket, "key", k, "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.pending[k] = raw
	delete(m.dropped, k)
	m.startLocked()
}

// drop queues the deletion of an entry evicted from memory.
func (m *keptMap[V]) drop(k string) {
	if m.st == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	delete(m.pending, k)
	m.dropped[k] = true
	m.startLocked()
}

// startLocked starts the writer once; m.mu must be held.
func (m *keptMap[V]) startLocked() {
	if !m.started && m.quit != nil {
		m.started = true
		go m.write()
	}
}

// write saves the pending changes every m.every and sweeps expired entries
// now and then, until Close.
func (m *keptMap[V]) write() {
	defer close(m.done)
	tick := time.NewTicker(m.every)
	defer tick.Stop()
	lastSweep := time.Time{}
	for {
		select {
		case <-m.quit:
			return
		case <-tick.C:
		}
		if err := m.flush(); err != nil {
			m.log.Error("saving failed", "bucket", m.bucket, "err", err)
		}
		if now := m.now(); now.Sub(lastSweep) >= keptSweepEvery {
			lastSweep = now
			if _, err := m.st.Sweep(m.bucket, now); err != nil {
				m.log.Error("deleting expired entries failed", "bucket", m.bucket, "err", err)
			}
		}
	}
}

// flush writes the changes made since the last flush: the new values in
// one transaction, and the evicted keys as already expired (the next sweep
// deletes them).
func (m *keptMap[V]) flush() error {
	m.mu.Lock()
	batch, gone := m.pending, m.dropped
	m.pending, m.dropped = map[string][]byte{}, map[string]bool{}
	m.mu.Unlock()
	if len(gone) > 0 {
		dead := make(map[string][]byte, len(gone))
		for k := range gone {
			dead[k] = nil
		}
		if err := m.st.PutExpiringMany(m.bucket, dead, time.Unix(0, 0)); err != nil {
			return fmt.Errorf("drop %d entries of %s: %w", len(dead), m.bucket, err)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := m.st.PutExpiringMany(m.bucket, batch, m.now().Add(m.ttl)); err != nil {
		return fmt.Errorf("save %d entries of %s: %w", len(batch), m.bucket, err)
	}
	return nil
}

// Close stops the writer and saves what is still pending. It is safe to
// call more than once.
func (m *keptMap[V]) Close() error {
	if m.st == nil {
		return nil
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	started := m.started
	m.mu.Unlock()
	if !started {
		return nil // nothing changed, nothing to save
	}
	close(m.quit)
	<-m.done
	return m.flush()
}
