package slackbot

import (
	"fmt"
	"log/slog"
	"time"
)

// StateStore is the embedded store the bot keeps what must survive a
// restart in: the events already handled, the feedback and the
// conversation memory. *store.Store
// satisfies it; cmd/bot opens it and passes it in Config.State.
type StateStore interface {
	// Get returns the value under key in bucket, or an error when there is
	// none.
	Get(bucket, key string) ([]byte, error)
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
)

// seenSet remembers the requests already handled (event IDs, messages,
// slash command triggers, button clicks) for a time, not up to a count, so
// a retry or replay within that time is not answered again however busy
// the bot was in between. Claims are decided in memory, on the ack path;
// a background writer saves them in batches, and a new process loads the
// live ones, so a retry that arrives after a restart is still recognised.
type seenSet struct {
	kept *keptMap[struct{}]
}

// newSeenSet loads the live entries of st (when not nil). The first claim
// starts the writer, which saves new claims every flushEvery; Close stops
// it after a last write.
func newSeenSet(st StateStore, ttl, flushEvery time.Duration, now func() time.Time, log *slog.Logger) (*seenSet, error) {
	none := codec[struct{}]{
		encode: func(struct{}) ([]byte, error) { return nil, nil },
		decode: func([]byte) (struct{}, error) { return struct{}{}, nil },
	}
	k, err := newKeptMap(st, seenBucket, 0, ttl, flushEvery, now, log, none)
	if err != nil {
		return nil, fmt.Errorf("load the events already handled: %w", err)
	}
	return &seenSet{kept: k}, nil
}

// Claim records key and reports whether it is new: the first caller for a
// key within the set's lifetime wins, whatever happened in between.
func (s *seenSet) Claim(key string) bool { return s.kept.Claim(key, struct{}{}) }

// Close stops the writer and saves what is still pending. It is safe to
// call more than once.
func (s *seenSet) Close() error { return s.kept.Close() }
