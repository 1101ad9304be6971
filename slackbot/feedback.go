package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/briefbot/briefbot/citation"
)

// FeedbackFile is the JSON Lines file older versions kept feedback in,
// inside the data directory. OpenFeedback imports it into the store once
// and renames it FeedbackFile+".imported".
const FeedbackFile = "feedback.jsonl"

// feedbackBucket holds the feedback records, keyed by time.
const feedbackBucket = "feedback"

// FeedbackRecord is one click on a "helpful" / "not helpful" button.
type FeedbackRecord struct {
	Time      time.Time           `json:"time"`
	User      string              `json:"user"`
	Channel   string              `json:"channel,omitempty"`
	Question  string              `json:"question"`
	Answer    string              `json:"answer"`
	Citations []citation.Citation `json:"citations,omitempty"`
	Helpful   bool                `json:"helpful"`
}

// FeedbackStore keeps feedback records in the bot's embedded store. It is
// safe for concurrent use.
type FeedbackStore struct {
	st  StateStore
	log *slog.Logger
}

// OpenFeedback returns the feedback kept in st. When dir holds a
// feedback.jsonl from an older version, its records are imported first (a
// damaged line is skipped with a warning, the rest kept) and the file is
// renamed, so it is imported once.
func OpenFeedback(st StateStore, dir string, logger *slog.Logger) (*FeedbackStore, error) {
	if st == nil {
		return nil, errors.New("open feedback: no state store")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &FeedbackStore{st: st, log: logger}
	if dir != "" {
		if err := s.importJSONL(filepath.Join(dir, FeedbackFile)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// importJSONL copies the records of an old feedback.jsonl into the store
// and renames the file. Keys depend only on the record and its line, so
// an import cut short by a crash and done again stores nothing twice.
func (s *FeedbackStore) importJSONL(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("import feedback: %w", err)
	}
	recs, bad := parseFeedbackLines(data)
	for _, n := range bad {
		s.log.Warn("import feedback: skipped a damaged line", "file", path, "line", n)
	}
	kv := make(map[string][]byte, len(recs))
	for i, rec := range recs {
		raw, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("import feedback: %w", err)
		}
		kv[feedbackKey(rec.Time, fmt.Sprintf("jsonl%08d", i))] = raw
	}
	if len(kv) > 0 {
		if err := s.st.PutMany(feedbackBucket, kv); err != nil {
			return fmt.Errorf("import feedback from %s: %w", path, err)
		}
	}
	if err := os.Rename(path, path+".imported"); err != nil {
		return fmt.Errorf("import feedback: %w", err)
	}
	s.log.Info("imported feedback into the store", "file", path, "records", len(recs), "damaged_lines", len(bad))
	return nil
}

// parseFeedbackLines reads JSON Lines feedback, skipping damaged lines and
// returning their numbers. A torn write followed by a newer record on the
// same line loses only the torn part: the record after it is kept.
func parseFeedbackLines(data []byte) (recs []FeedbackRecord, bad []int) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var rec FeedbackRecord
		if json.Unmarshal(line, &rec) == nil {
			recs = append(recs, rec)
			continue
		}
		bad = append(bad, i+1)
		if j := bytes.LastIndex(line, []byte(`{"time":`)); j > 0 && json.Unmarshal(line[j:], &rec) == nil {
			recs = append(recs, rec)
		}
	}
	return recs, bad
}

// feedbackKey orders records by time: fixed-width UTC nanoseconds, then a
// suffix that keeps records of the same instant apart.
func feedbackKey(t time.Time, suffix string) string {
	return fmt.Sprintf("%020d-%s", max(t.UnixNano(), 0), suffix)
}

// Add stores rec durably; concurrent calls share one transaction.
func (s *FeedbackStore) Add(ctx context.Context, rec FeedbackRecord) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	if err := s.st.Batch(feedbackBucket, feedbackKey(rec.Time, newRef()), raw); err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	return nil
}

// List returns every stored record, newest first. A record that cannot be
// read is skipped with a warning.
func (s *FeedbackStore) List() ([]FeedbackRecord, error) {
	var recs []FeedbackRecord
	err := s.st.Each(feedbackBucket, func(k string, v []byte) error {
		var rec FeedbackRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			s.log.Warn("skipped a damaged feedback record", "key", k, "err", err)
			return nil
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	slices.Reverse(recs)
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
func sourceLine(c citation.Citation) string {
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
