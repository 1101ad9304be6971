// Package store keeps the bot's small state that must survive restarts and
// crashes (event de-duplication, conversation memory, channel settings,
// feedback, schedules, feed status) in one embedded transactional database
// in the data directory, bbolt's single file.
//
// The database file is locked while a process has it open, so it doubles
// as the lock on the data directory: a second process gets ErrLocked.
//
// Callers declare the small interface they need where they use it (see
// STYLE.md), so a shared store (Redis, PostgreSQL) can stand in later; this
// package returns the concrete type.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the database's name inside the data directory.
const FileName = "state.db"

// ErrLocked is returned by Open when another process has the database (and
// so the data directory) open.
var ErrLocked = errors.New("another briefbot process is using this data directory")

// ErrReadOnly is returned by Open when the data directory or the database
// cannot be written (its permissions, or a read-only file system):
// OpenReadOnly may still read it.
var ErrReadOnly = errors.New("the data directory is read-only")

// ErrNotFound is returned by Get for a key that is not there (or, for
// expiring entries, has expired).
var ErrNotFound = errors.New("not found")

// Store is the embedded database. It is safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	path string
}

// Open opens (creating if need be) the database in dir. It waits up to
// lockWait for another process to let go of it, then returns an error
// wrapping ErrLocked; lockWait <= 0 means one second.
func Open(dir string, lockWait time.Duration) (*Store, error) {
	if lockWait <= 0 {
		lockWait = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", readOnly(err))
	}
	path := filepath.Join(dir, FileName)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockWait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, readOnly(err))
	}
	return &Store{db: db, path: path}, nil
}

// readOnly returns err, marked ErrReadOnly too when it says that a file
// cannot be written (permission denied, a read-only file system).
func readOnly(err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	return err
}

// OpenReadOnly opens the database in dir for reading only, beside other
// readers, for a process that cannot write the data directory (Open
// returned ErrReadOnly): every write then fails. A database that is not
// there is an error wrapping fs.ErrNotExist; one that a writer holds,
// ErrLocked after lockWait (<= 0: one second).
func OpenReadOnly(dir string, lockWait time.Duration) (*Store, error) {
	if lockWait <= 0 {
		lockWait = time.Second
	}
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{Timeout: lockWait, ReadOnly: true})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database and releases the lock.
func (s *Store) Close() error { return s.db.Close() }

// Get returns a copy of the value under key in bucket, or ErrNotFound.
func (s *Store) Get(bucket, key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return ErrNotFound
		}
		v := b.Get([]byte(key))
		if v == nil {
			return ErrNotFound
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// Put stores value under key in bucket, durably (one transaction, one
// fsync). For many small writes from concurrent callers use Batch.
func (s *Store) Put(bucket, key string, value []byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return put(tx, bucket, key, value) })
}

// Batch stores value under key in bucket like Put, but coalesces concurrent
// calls into one transaction and one fsync (bbolt's Batch); it returns once
// the write is durable. Use it off latency-critical paths.
func (s *Store) Batch(bucket, key string, value []byte) error {
	return s.db.Batch(func(tx *bbolt.Tx) error { return put(tx, bucket, key, value) })
}

// PutMany stores every key and value of kv in bucket in one transaction.
func (s *Store) PutMany(bucket string, kv map[string][]byte) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		for k, v := range kv {
			if err := put(tx, bucket, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

func put(tx *bbolt.Tx, bucket, key string, value []byte) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return fmt.Errorf("bucket %q: %w", bucket, err)
	}
	return b.Put([]byte(key), value)
}

// Delete removes key from bucket; a missing key is not an error.
func (s *Store) Delete(bucket, key string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
}

// Each calls fn for every key of bucket in key order, with a value that is
// valid only during the call. fn's error stops the walk and is returned.
func (s *Store) Each(bucket string, fn func(key string, value []byte) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error { return fn(string(k), v) })
	})
}

// GetJSON decodes the JSON value under key in bucket into v.
func (s *Store) GetJSON(bucket, key string, v any) error {
	raw, err := s.Get(bucket, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

// PutJSON stores v as JSON under key in bucket.
func (s *Store) PutJSON(bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s/%s: %w", bucket, key, err)
	}
	return s.Put(bucket, key, raw)
}

// Expiring entries carry their expiry time (Unix nanoseconds, 8 bytes big
// endian) before the value.

// PutExpiring stores value under key in bucket until expires, coalesced with
// concurrent calls like Batch.
func (s *Store) PutExpiring(bucket, key string, value []byte, expires time.Time) error {
	return s.db.Batch(func(tx *bbolt.Tx) error { return put(tx, bucket, key, withExpiry(value, expires)) })
}

// PutExpiringMany stores every key of kv in bucket until expires, in one
// transaction.
func (s *Store) PutExpiringMany(bucket string, kv map[string][]byte, expires time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		for k, v := range kv {
			if err := put(tx, bucket, k, withExpiry(v, expires)); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetLive returns the value under key in bucket if it has not expired at
// now, else ErrNotFound.
func (s *Store) GetLive(bucket, key string, now time.Time) ([]byte, error) {
	raw, err := s.Get(bucket, key)
	if err != nil {
		return nil, err
	}
	v, exp, ok := splitExpiry(raw)
	if !ok || !now.Before(exp) {
		return nil, ErrNotFound
	}
	return v, nil
}

// EachLive calls fn for every entry of bucket that has not expired at now.
func (s *Store) EachLive(bucket string, now time.Time, fn func(key string, value []byte, expires time.Time) error) error {
	return s.Each(bucket, func(k string, raw []byte) error {
		v, exp, ok := splitExpiry(raw)
		if !ok || !now.Before(exp) {
			return nil
		}
		return fn(k, v, exp)
	})
}

// Sweep deletes the entries of bucket that have expired at now (and any
// entry too short to carry an expiry) and returns how many it deleted.
func (s *Store) Sweep(bucket string, now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		var dead [][]byte
		err := b.ForEach(func(k, raw []byte) error {
			if _, exp, ok := splitExpiry(raw); !ok || !now.Before(exp) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

func withExpiry(value []byte, expires time.Time) []byte {
	out := make([]byte, 8+len(value))
	binary.BigEndian.PutUint64(out, uint64(expires.UnixNano()))
	copy(out[8:], value)
	return out
}

func splitExpiry(raw []byte) (value []byte, expires time.Time, ok bool) {
	if len(raw) < 8 {
		return nil, time.Time{}, false
	}
	return raw[8:], time.Unix(0, int64(binary.BigEndian.Uint64(raw))), true
}
