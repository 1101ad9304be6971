package slackbot

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/citation"
)

func TestFeedbackStoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st := openTestStore(t, dir)
	s, err := OpenFeedback(st, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.List(); err != nil || len(got) != 0 {
		t.Fatalf("empty store: got %v, %v", got, err)
	}
	base := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	for i, q := range []string{"first", "second", "third"} {
		rec := FeedbackRecord{Time: base.Add(time.Duration(i) * time.Minute), User: "U1", Channel: "C1", Question: q,
			Answer: "answer to " + q, Citations: []citation.Citation{citeBudget}, Helpful: i%2 == 0}
		if err := s.Add(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	again, err := OpenFeedback(st, dir, nil)
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

// TestFeedbackStoreConcurrent: concurrent clicks, even at the same
// instant, are all kept.
func TestFeedbackStoreConcurrent(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenFeedback(openTestStore(t, dir), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := s.Add(t.Context(), FeedbackRecord{Time: time.Unix(int64(i%3), 0), User: "U", Question: strings.Repeat("q", 5000)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(got) != 20 {
		t.Errorf("got %d records, want 20", len(got))
	}
}

// TestFeedbackImportJSONL: an older version's feedback.jsonl is imported
// once; a torn line (a crash mid-write, the next record appended to it) is
// skipped and every whole record kept, the one joined to it included.
func TestFeedbackImportJSONL(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		want      []string // questions, newest first
		wantAfter []string
	}{
		{
			name: "clean",
			file: `{"time":"2025-03-04T09:00:00Z","user":"U1","question":"a","answer":"x","helpful":true}` + "\n" +
				`{"time":"2025-03-04T09:01:00Z","user":"U2","question":"b","answer":"y","helpful":false}` + "\n",
			want: []string{"b", "a"},
		},
		{
			name: "torn line joined by the next record",
			file: `{"time":"2025-03-04T09:00:00Z","user":"U1","question":"a","answer":"x","helpful":true}` + "\n" +
				`{"time":"2025-03-04T09:01:00Z","user":"U2","quest` +
				`{"time":"2025-03-04T09:02:00Z","user":"U3","question":"c","answer":"z","helpful":true}` + "\n" +
				`{"time":"2025-03-04T09:03:00Z","user":"U4","question":"d","answer":"w","helpful":false}` + "\n",
			want: []string{"d", "c", "a"},
		},
		{
			name: "torn last line and garbage",
			file: "not json\n" + `{"time":"2025-03-04T09:00:00Z","user":"U1","question":"a","answer":"x","helpful":true}` + "\n" +
				`{"time":"2025-03-04T09:01:00Z","user":"U2","quest`,
			want: []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FeedbackFile)
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			st := openTestStore(t, dir)
			for round := range 2 { // the second open imports nothing again
				s, err := OpenFeedback(st, dir, nil)
				if err != nil {
					t.Fatalf("round %d: OpenFeedback: %v", round, err)
				}
				got, err := s.List()
				if err != nil {
					t.Fatal(err)
				}
				var qs []string
				for _, r := range got {
					qs = append(qs, r.Question)
				}
				if strings.Join(qs, ",") != strings.Join(tt.want, ",") {
					t.Errorf("round %d: got %v, want %v", round, qs, tt.want)
				}
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("got %s still there (err %v), want it renamed after the import", path, err)
			}
			if _, err := os.Stat(path + ".imported"); err != nil {
				t.Errorf("got %v, want %s.imported", err, path)
			}
		})
	}
}

func TestTallyFeedback(t *testing.T) {
	recs := []FeedbackRecord{
		{Kind: kindAsk, Helpful: true},
		{Kind: kindAsk, Reason: "wrong_answer"},
		{Kind: kindAsk, Reason: "wrong_answer"},
		{Kind: kindSource, Reason: "missing_source", Comment: "no Courier"},
		{Kind: kindBriefing},
		{Helpful: true}, // an answer no longer kept
	}
	got := TallyFeedback(recs)
	if got.Total != 6 || got.Helpful != 2 || got.NotHelpful != 4 {
		t.Errorf("got totals %d/%d/%d, want 6 clicks, 2 helpful, 4 not", got.Total, got.Helpful, got.NotHelpful)
	}
	wantKinds := map[string]VerdictCounts{kindAsk: {1, 2}, kindSource: {0, 1}, kindBriefing: {0, 1}, "unknown": {1, 0}}
	for k, want := range wantKinds {
		if got.ByKind[k] != want {
			t.Errorf("got %s %+v, want %+v", k, got.ByKind[k], want)
		}
	}
	wantReasons := map[string]int{"wrong_answer": 2, "missing_source": 1, "should_have_declined": 0, "other": 0, "none": 1}
	for r, want := range wantReasons {
		if got.ByReason[r] != want {
			t.Errorf("got %d %s, want %d", got.ByReason[r], r, want)
		}
	}
	var out strings.Builder
	if err := WriteFeedbackTotals(&out, got); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"6 clicks: 2 helpful, 4 not helpful", "answer        1 helpful    2 not helpful", "Wrong answer              2", "no reason given           1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("totals lack %q:\n%s", want, out.String())
		}
	}
}
