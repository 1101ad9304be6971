package slackbot

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/answer"
)

func TestFeedbackStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := OpenFeedback(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.List(); err != nil || len(got) != 0 {
		t.Fatalf("empty store: got %v, %v", got, err)
	}
	base := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	for i, q := range []string{"first", "second", "third"} {
		rec := FeedbackRecord{Time: base.Add(time.Duration(i) * time.Minute), User: "U1", Channel: "C1", Question: q,
			Answer: "answer to " + q, Citations: []answer.Citation{citeBudget}, Helpful: i%2 == 0}
		if err := s.Add(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	// A second process opening the same directory sees them, newest first.
	again, err := OpenFeedback(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.List()
	if err != nil {
		t.Fatal(err)
	}
	var qs []string
	for _, r := range got {
		qs = append(qs, r.Question)
	}
	if strings.Join(qs, ",") != "third,second,first" {
		t.Errorf("got order %v, want third,second,first", qs)
	}
	if got[0].Citations[0] != citeBudget || !got[0].Helpful || got[1].Helpful || !got[0].Time.Equal(base.Add(2*time.Minute)) {
		t.Errorf("got %+v, want the records as stored", got[0])
	}
}

func TestFeedbackStoreConcurrentAndTornLine(t *testing.T) {
	s, err := OpenFeedback(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := s.Add(t.Context(), FeedbackRecord{Time: time.Unix(int64(i), 0), User: "U", Question: strings.Repeat("q", 5000)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// A crash in the middle of a write leaves a torn last line.
	f, err := os.OpenFile(s.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"time":"2025-03-04T09:00:00Z","user":"U","quest`)
	f.Close()
	got, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(got) != 20 {
		t.Errorf("got %d records, want 20", len(got))
	}
	// A bad line in the middle is an error, not silently skipped.
	if err := os.WriteFile(s.Path(), []byte("{}\nnot json\n{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("got %v, want an error naming line 2", err)
	}
}
