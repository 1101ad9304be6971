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
	"maps"
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

// FeedbackRecord is one click on a "helpful" / "not helpful" button, with
// what the "what was wrong?" form said when it was sent.
type FeedbackRecord struct {
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	Channel string    `json:"channel,omitempty"`
	// Kind is what the answer was: "answer", "source" (a lookup) or
	// "briefing"; "" when the answer was no longer kept.
	Kind      string              `json:"kind,omitempty"`
	Question  string              `json:"question"`
	Answer    string              `json:"answer"`
	Citations []citation.Citation `json:"citations,omitempty"`
	Helpful   bool                `json:"helpful"`
	// Reason is the form's answer: wrong_answer, missing_source,
	// should_have_declined or other; "" when the form was not sent.
	Reason  string `json:"reason,omitempty"`
	Comment string `json:"comment,omitempty"`
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
	return s.put(ctx, feedbackKey(rec.Time, newRef()), rec)
}

// put stores rec under key durably, replacing what was there.
func (s *FeedbackStore) put(ctx context.Context, key string, rec FeedbackRecord) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	if err := s.st.Batch(feedbackBucket, key, raw); err != nil {
		return fmt.Errorf("add feedback: %w", err)
	}
	return nil
}

// get returns the record under key, if there is a readable one.
func (s *FeedbackStore) get(key string) (FeedbackRecord, bool) {
	raw, err := s.st.Get(feedbackBucket, key)
	if err != nil {
		return FeedbackRecord{}, false
	}
	var rec FeedbackRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		s.log.Warn("a damaged feedback record", "key", key, "err", err)
		return FeedbackRecord{}, false
	}
	return rec, true
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
		if r.Kind != "" {
			fmt.Fprintf(&b, " (%s)", r.Kind)
		}
		b.WriteString("\n")
		if r.Reason != "" {
			fmt.Fprintf(&b, "  why: %s", reasonLabel(r.Reason))
			if r.Comment != "" {
				fmt.Fprintf(&b, ": %s", oneLine(r.Comment, 300))
			}
			b.WriteString("\n")
		}
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

// FeedbackTotals counts feedback records: all of them, by the kind of
// answer they are about, and the "not helpful" ones by the reason the form
// gave.
type FeedbackTotals struct {
	Total      int `json:"total"`
	Helpful    int `json:"helpful"`
	NotHelpful int `json:"not_helpful"`
	// ByKind is keyed by FeedbackRecord.Kind ("answer", "source",
	// "briefing"; "unknown" for records without one).
	ByKind map[string]VerdictCounts `json:"by_kind"`
	// ByReason is keyed by FeedbackRecord.Reason, and "none" for "not
	// helpful" clicks whose form was not sent.
	ByReason map[string]int `json:"by_reason"`
}

// VerdictCounts counts helpful and not helpful clicks.
type VerdictCounts struct {
	Helpful    int `json:"helpful"`
	NotHelpful int `json:"not_helpful"`
}

// TallyFeedback counts recs.
func TallyFeedback(recs []FeedbackRecord) FeedbackTotals {
	t := FeedbackTotals{ByKind: map[string]VerdictCounts{}, ByReason: map[string]int{}}
	for _, r := range feedbackReasons {
		t.ByReason[r.Value] = 0
	}
	for _, r := range recs {
		kind := r.Kind
		if kind == "" {
			kind = "unknown"
		}
		k := t.ByKind[kind]
		t.Total++
		if r.Helpful {
			t.Helpful++
			k.Helpful++
		} else {
			t.NotHelpful++
			k.NotHelpful++
			reason := r.Reason
			if reason == "" {
				reason = "none"
			}
			t.ByReason[reason]++
		}
		t.ByKind[kind] = k
	}
	return t
}

// WriteFeedbackTotals prints t for people.
func WriteFeedbackTotals(w io.Writer, t FeedbackTotals) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d helpful, %d not helpful\n", plural(t.Total, "click", "clicks"), t.Helpful, t.NotHelpful)
	if len(t.ByKind) > 0 {
		b.WriteString("By kind of answer:\n")
		kinds := slices.Sorted(maps.Keys(t.ByKind))
		for _, k := range kinds {
			fmt.Fprintf(&b, "  %-10s %4d helpful %4d not helpful\n", k, t.ByKind[k].Helpful, t.ByKind[k].NotHelpful)
		}
	}
	if t.NotHelpful > 0 {
		b.WriteString("Not helpful, by reason:\n")
		for _, r := range feedbackReasons {
			fmt.Fprintf(&b, "  %-22s %4d\n", r.Label, t.ByReason[r.Value])
		}
		fmt.Fprintf(&b, "  %-22s %4d\n", "no reason given", t.ByReason["none"])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// reasonLabel is how a reason reads for people.
func reasonLabel(value string) string {
	for _, r := range feedbackReasons {
		if r.Value == value {
			return strings.ToLower(r.Label)
		}
	}
	return value
}
