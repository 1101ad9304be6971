package store

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"syscall"
	"testing"
	"time"
)

func openTemp(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, 200*time.Millisecond)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestPutGetDeleteSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	if _, err := s.Get("b", "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on an empty store: got %v, want ErrNotFound", err)
	}
	if err := s.Put("b", "k1", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Batch("b", "k2", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMany("b", map[string][]byte{"k3": []byte("v3"), "k4": []byte("v4")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("b", "k4"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("nobucket", "k"); err != nil {
		t.Fatalf("Delete in a missing bucket: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTemp(t, dir)
	defer s.Close()
	var got []string
	if err := s.Each("b", func(k string, v []byte) error {
		got = append(got, k+"="+string(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := "[k1=v1 k2=v2 k3=v3]"
	if fmt.Sprint(got) != want {
		t.Errorf("after reopen got %v, want %s", got, want)
	}
	stop := errors.New("stop")
	if err := s.Each("b", func(string, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Each did not return fn's error: got %v", err)
	}
}

func TestJSON(t *testing.T) {
	s := openTemp(t, t.TempDir())
	defer s.Close()
	type rec struct {
		Channel string
		Hour    int
	}
	if err := s.PutJSON("settings", "C1", rec{"C1", 8}); err != nil {
		t.Fatal(err)
	}
	var r rec
	if err := s.GetJSON("settings", "C1", &r); err != nil {
		t.Fatal(err)
	}
	if r != (rec{"C1", 8}) {
		t.Errorf("got %+v, want {C1 8}", r)
	}
	if err := s.Put("settings", "bad", []byte("{")); err != nil {
		t.Fatal(err)
	}
	if err := s.GetJSON("settings", "bad", &r); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("damaged JSON: got %v, want a decode error", err)
	}
}

func TestExpiring(t *testing.T) {
	s := openTemp(t, t.TempDir())
	defer s.Close()
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	if err := s.PutExpiring("seen", "old", nil, now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutExpiring("seen", "new", []byte("x"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutExpiringMany("seen", map[string][]byte{"a": nil, "b": nil}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("seen", "short", []byte("1")); err != nil { // too short to carry an expiry
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want error
	}{
		{"old", ErrNotFound},
		{"new", nil},
		{"a", nil},
		{"short", ErrNotFound},
		{"missing", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := s.GetLive("seen", tt.key, now)
			if !errors.Is(err, tt.want) {
				t.Errorf("GetLive(%q): got %v, want %v", tt.key, err, tt.want)
			}
		})
	}
	if v, _ := s.GetLive("seen", "new", now); string(v) != "x" {
		t.Errorf("GetLive value: got %q, want x", v)
	}
	live := 0
	if err := s.EachLive("seen", now, func(string, []byte, time.Time) error { live++; return nil }); err != nil {
		t.Fatal(err)
	}
	if live != 3 {
		t.Errorf("EachLive: got %d live entries, want 3", live)
	}
	n, err := s.Sweep("seen", now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Sweep removed %d, want 2 (expired and damaged)", n)
	}
	if n, _ := s.Sweep("seen", now.Add(2*time.Hour)); n != 3 {
		t.Errorf("second Sweep removed %d, want 3", n)
	}
}

// TestLocked: a second Open of the same directory fails with ErrLocked; once the first closes, it opens.
func TestLocked(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, dir)
	_, err := Open(dir, 100*time.Millisecond)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: got %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestBatchConcurrent(t *testing.T) {
	s := openTemp(t, t.TempDir())
	defer s.Close()
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := s.Batch("events", fmt.Sprintf("e%03d", i), []byte{1}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	count := 0
	s.Each("events", func(string, []byte) error { count++; return nil })
	if count != n {
		t.Errorf("got %d entries after %d concurrent Batch calls, want %d", count, n, n)
	}
}

func BenchmarkBatchVsPut(b *testing.B) {
	for _, mode := range []string{"put", "batch"} {
		b.Run(mode, func(b *testing.B) {
			s := openTemp(b, b.TempDir())
			defer s.Close()
			b.SetParallelism(16)
			var i int64
			var mu sync.Mutex
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.Lock()
					i++
					k := fmt.Sprint(i)
					mu.Unlock()
					var err error
					if mode == "put" {
						err = s.Put("events", k, nil)
					} else {
						err = s.Batch("events", k, nil)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestOpenReadOnly checks the store a process that cannot write the data
// directory opens: it reads what a writer stored, refuses writes, and is
// fs.ErrNotExist where there is no database.
func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenReadOnly(dir, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenReadOnly without a database: got %v, want fs.ErrNotExist", err)
	}
	s := openTemp(t, dir)
	if err := s.Put("b", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if v, err := r.Get("b", "k"); err != nil || string(v) != "v" {
		t.Errorf("Get: got %q, %v, want %q", v, err, "v")
	}
	if err := r.Put("b", "k2", []byte("v2")); err == nil {
		t.Error("Put on a read-only store: no error")
	}
}

// TestReadOnlyErrorsMarked checks that Open's errors that say a file
// cannot be written are ErrReadOnly, and only those.
func TestReadOnlyErrorsMarked(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&fs.PathError{Op: "open", Path: "state.db", Err: syscall.EACCES}, true},
		{&fs.PathError{Op: "open", Path: "state.db", Err: syscall.EROFS}, true},
		{&fs.PathError{Op: "open", Path: "state.db", Err: syscall.ENOSPC}, false},
		{errors.New("invalid database"), false},
	} {
		if got := errors.Is(readOnly(tt.err), ErrReadOnly); got != tt.want {
			t.Errorf("%v: errors.Is ErrReadOnly %t, want %t", tt.err, got, tt.want)
		}
	}
}
