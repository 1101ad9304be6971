package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/briefbot/briefbot/answer"
)

// FeedbackFile is the name of the feedback store inside the data directory.
const FeedbackFile = "feedback.jsonl"

// FeedbackRecord is one click on a "helpful" / "not helpful" button.
type FeedbackRecord struct {
	Time      time.Time         `json:"time"`
	User      string            `json:"user"`
	Channel   string            `json:"channel,omitempty"`
	Question  string            `json:"question"`
	Answer    string            `json:"answer"`
	Citations []answer.Citation `json:"citations,omitempty"`
	Helpful   bool              `json:"helpful"`
}

// FeedbackStore appends feedback records to a JSON Lines file and reads
// them back. It is safe for concurrent use within one process.
type FeedbackStore struct {
	path string
	mu   sync.Mutex
}

// OpenFeedback returns the store in dir, creating dir when needed. The file
// itself is created by the first Add.
func OpenFeedback(dir string) (*FeedbackStore, error) {
	if dir == "" {
		return nil, fmt.Errorf("open feedback store: no data directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open feedback store: %w", err)
	}
	return &FeedbackStore{path: filepath.Join(dir, FeedbackFile)}, nil
}

// Path returns the file the store writes.
func (s *FeedbackStore) Path() string { return s.path }

// Add appends rec as one line and syncs the file, so a record that Add
// reported as stored survives a crash.
func (s *FeedbackStore) Add(ctx context.Context, rec FeedbackRecord) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	line = append(line, '\n')

	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("add feedback to %s: %w", s.path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// List returns every stored record, newest first. A missing file is an
// empty store. A last line cut short by a crash is skipped; any other line
// that is not a record is an error.
func (s *FeedbackStore) List() ([]FeedbackRecord, error) {
	s.mu.Lock()
	data, err := os.ReadFile(s.path)
	s.mu.Unlock()
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	lines := bytes.Split(data, []byte("\n"))
	var recs []FeedbackRecord
	for i, line := range lines {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var rec FeedbackRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			if i == len(lines)-1 { // no newline after it: a write cut short
				break
			}
			return nil, fmt.Errorf("list feedback: %s line %d: %w", s.path, i+1, err)
		}
		recs = append(recs, rec)
	}
	// The file is in append order; reverse it, then order by time so that
	// records with clocks out of step still come newest first.
	for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
		recs[i], recs[j] = recs[j], recs[i]
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.After(recs[j].Time) })
	return recs, nil
}

// WriteFeedback prints records for people, one block per record, in the
// order given (List gives newest first).
func WriteFeedback(w io.Writer, recs []FeedbackRecord) error {
	if len(recs) == 0 {
		_, err := fmt.Fprintln(w, "No feedback recorded yet.")
		return err
	}
	var b strings.Builder
	for i, r := range recs {
		if i > 0 {
			b.WriteString("\n")
		}
		verdict := "not helpful"
		if r.Helpful {
			verdict = "helpful"
		}
		fmt.Fprintf(&b, "%s  %s  by %s", r.Time.UTC().Format(time.RFC3339), verdict, r.User)
		if r.Channel != "" {
			fmt.Fprintf(&b, " in %s", r.Channel)
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "  Q: %s\n", oneLine(r.Question, 200))
		fmt.Fprintf(&b, "  A: %s\n", oneLine(r.Answer, 300))
		for _, c := range r.Citations {
			fmt.Fprintf(&b, "  [%d] %s — %s\n", c.N, oneLine(c.Quote, 160), sourceLine(c))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine collapses whitespace in s and cuts it to max runes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncateRunes(s, max)
}

// sourceLine is "Outlet · Title · date · URL" without the parts that are
// unknown, as plain text.
func sourceLine(c answer.Citation) string {
	var parts []string
	for _, p := range []string{c.Outlet, c.Title, c.PublishedAt, c.URL} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return c.Source
	}
	return strings.Join(parts, " · ")
}
