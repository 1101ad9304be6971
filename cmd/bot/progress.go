package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/briefbot/briefbot/retrieval"
)

// progressEvery is how often a terminal's progress line is redrawn.
const progressEvery = 100 * time.Millisecond

// progressMeter shows on stderr how indexing goes: in a terminal one line,
// overwritten with \r, with articles/s and the time left; then, in a
// terminal or not, one summary line. It never writes to stdout, so that
// `--json` output stays clean.
type progressMeter struct {
	w   io.Writer
	tty bool
	now func() time.Time

	mu        sync.Mutex
	start     time.Time // when the current Add began reporting
	drawn     time.Time // when the line was last drawn
	shown     bool      // a progress line is on screen
	lastDone  int
	lastTotal int
}

// newProgressMeter returns a meter writing to w, drawing progress lines
// only when w is a terminal.
func newProgressMeter(w io.Writer) *progressMeter {
	f, ok := w.(*os.File)
	return &progressMeter{w: w, tty: ok && term.IsTerminal(int(f.Fd())), now: time.Now}
}

// update is a retrieval.Config.Progress func: done of total articles are
// prepared.
func (m *progressMeter) update(done, total int) {
	if m == nil || !m.tty {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.start.IsZero() || total != m.lastTotal || done <= m.lastDone {
		m.start = now // a new Add
	}
	m.lastDone, m.lastTotal = done, total
	if done < total && m.shown && now.Sub(m.drawn) < progressEvery {
		return
	}
	m.drawn, m.shown = now, true
	fmt.Fprintf(m.w, "\r%s\x1b[K", formatProgress(done, total, now.Sub(m.start)))
}

// finish clears the progress line and writes the summary of an Add that
// took took: "indexed 609 articles (7776 chunks) in 1.2s".
func (m *progressMeter) finish(st retrieval.AddStats, took time.Duration) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shown {
		fmt.Fprint(m.w, "\r\x1b[K")
		m.shown = false
	}
	m.start, m.lastDone, m.lastTotal = time.Time{}, 0, 0
	fmt.Fprintln(m.w, formatSummary(st, took))
}

// formatProgress is the progress line for done of total articles after
// elapsed: "indexing 1200/5000 articles (24%) · 850 articles/s · ETA 5s".
func formatProgress(done, total int, elapsed time.Duration) string {
	pct := 0
	if total > 0 {
		pct = done * 100 / total
	}
	s := fmt.Sprintf("indexing %d/%d articles (%d%%)", done, total, pct)
	if done <= 0 || elapsed <= 0 {
		return s
	}
	rate := float64(done) / elapsed.Seconds()
	s += fmt.Sprintf(" · %.0f articles/s", rate)
	if done < total {
		eta := time.Duration(float64(total-done) / rate * float64(time.Second))
		s += " · ETA " + formatTook(eta)
	}
	return s
}

// formatSummary is the one line said once an Add is done.
func formatSummary(st retrieval.AddStats, took time.Duration) string {
	s := fmt.Sprintf("indexed %d articles (%d chunks) in %s", st.Added+st.Updated, st.Chunks, formatTook(took))
	if st.Unchanged > 0 {
		s += fmt.Sprintf(", %d unchanged", st.Unchanged)
	}
	return s
}

// formatTook writes a duration for people: "350ms", "1.2s", "2m5s".
func formatTook(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
