package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// TestProgressSummary checks, through run, that with stderr not a terminal
// an ingest and a --corpus load write one summary line there and no
// progress, and that stdout keeps only its own output.
func TestProgressSummary(t *testing.T) {
	t.Parallel()
	corpus := filepath.Join("testdata", "progress")
	data := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		summary string // a regular expression for the whole of stderr
		// stdoutJSON says stdout must hold only JSON lines; otherwise
		// stdoutWant must be in it.
		stdoutJSON bool
		stdoutWant string
	}{
		{
			name:       "ingest",
			args:       []string{"ingest", corpus},
			summary:    `^indexed 3 articles \([1-9][0-9]* chunks\) in [0-9.]+(ms|s)\n$`,
			stdoutWant: "added bridge.md\n",
		},
		{
			name:       "ingest again",
			args:       []string{"ingest", corpus},
			summary:    `^indexed 0 articles \(0 chunks\) in [0-9.]+(ms|s), 3 unchanged\n$`,
			stdoutWant: "skipped bridge.md: unchanged\n",
		},
		{
			name:       "ask --corpus --json",
			args:       []string{"ask", "--json", "--corpus", corpus, "When will the harbour bridge close?"},
			summary:    `^indexed 3 articles \([1-9][0-9]* chunks\) in [0-9.]+(ms|s)\n$`,
			stdoutJSON: true,
		},
	}
	for _, tt := range tests { // in order: "ingest again" follows "ingest"
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runBot(t, env{"BOT_DATA_DIR": data}, "", tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !regexp.MustCompile(tt.summary).MatchString(errOut) {
				t.Errorf("got stderr %q, want one line matching %q", errOut, tt.summary)
			}
			if strings.Contains(out, "indexed ") || strings.Contains(out, "\r") {
				t.Errorf("got progress on stdout: %q", out)
			}
			if tt.stdoutWant != "" && !strings.Contains(out, tt.stdoutWant) {
				t.Errorf("got stdout %q, want %q in it", out, tt.stdoutWant)
			}
			if tt.stdoutJSON {
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				for _, l := range lines {
					var v map[string]any
					if err := json.Unmarshal([]byte(l), &v); err != nil {
						t.Errorf("got stdout line %q, want JSON: %v", l, err)
					}
				}
			}
		})
	}
}

func TestFormatProgress(t *testing.T) {
	tests := []struct {
		done, total int
		elapsed     time.Duration
		want        string
	}{
		{0, 609, 0, "indexing 0/609 articles (0%)"},
		{100, 400, time.Second, "indexing 100/400 articles (25%) · 100 articles/s · ETA 3.0s"},
		{1200, 5000, 2 * time.Second, "indexing 1200/5000 articles (24%) · 600 articles/s · ETA 6.3s"},
		{10, 100000, time.Second, "indexing 10/100000 articles (0%) · 10 articles/s · ETA 2h46m39s"},
		{50, 100, 250 * time.Millisecond, "indexing 50/100 articles (50%) · 200 articles/s · ETA 250ms"},
		{609, 609, 1200 * time.Millisecond, "indexing 609/609 articles (100%) · 508 articles/s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatProgress(tt.done, tt.total, tt.elapsed); got != tt.want {
				t.Errorf("formatProgress(%d, %d, %v) = %q, want %q", tt.done, tt.total, tt.elapsed, got, tt.want)
			}
		})
	}
}

func TestFormatSummary(t *testing.T) {
	tests := []struct {
		st   retrieval.AddStats
		took time.Duration
		want string
	}{
		{retrieval.AddStats{Added: 609, Chunks: 7776}, 1234 * time.Millisecond, "indexed 609 articles (7776 chunks) in 1.2s"},
		{retrieval.AddStats{Added: 2, Updated: 1, Unchanged: 4, Chunks: 9}, 35 * time.Millisecond, "indexed 3 articles (9 chunks) in 35ms, 4 unchanged"},
		{retrieval.AddStats{Added: 100000, Chunks: 1000000}, 125 * time.Second, "indexed 100000 articles (1000000 chunks) in 2m5s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatSummary(tt.st, tt.took); got != tt.want {
				t.Errorf("formatSummary(%+v, %v) = %q, want %q", tt.st, tt.took, got, tt.want)
			}
		})
	}
}

// TestProgressMeterTerminal checks the terminal's line: redrawn with \r at
// most every progressEvery, always at the end, and cleared before the
// summary.
func TestProgressMeterTerminal(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2025, 8, 19, 9, 0, 0, 0, time.UTC)
	m := &progressMeter{w: &buf, tty: true, now: func() time.Time { return clock }}
	steps := []struct {
		advance     time.Duration
		done, total int
		want        string // what this step writes
	}{
		{0, 0, 100, "\rindexing 0/100 articles (0%)\x1b[K"},
		{50 * time.Millisecond, 20, 100, ""},
		{100 * time.Millisecond, 30, 100, "\rindexing 30/100 articles (30%) · 200 articles/s · ETA 350ms\x1b[K"},
		{10 * time.Millisecond, 100, 100, "\rindexing 100/100 articles (100%) · 625 articles/s\x1b[K"},
	}
	for _, s := range steps {
		clock = clock.Add(s.advance)
		buf.Reset()
		m.update(s.done, s.total)
		if got := buf.String(); got != s.want {
			t.Errorf("update(%d, %d) after %v wrote %q, want %q", s.done, s.total, s.advance, got, s.want)
		}
	}
	buf.Reset()
	m.finish(retrieval.AddStats{Added: 100, Chunks: 300}, 160*time.Millisecond)
	if got, want := buf.String(), "\r\x1b[Kindexed 100 articles (300 chunks) in 160ms\n"; got != want {
		t.Errorf("finish wrote %q, want %q", got, want)
	}
	buf.Reset()
	(&progressMeter{w: &buf, now: time.Now}).update(1, 2)
	if buf.Len() != 0 {
		t.Errorf("update without a terminal wrote %q, want nothing", buf.String())
	}
}
