package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunSmall(t *testing.T) {
	out := filepath.Join(t.TempDir(), "table.md")
	prof := filepath.Join(t.TempDir(), "prof")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-sizes", "300,600", "-queries", "25", "-out", out, "-pprof", prof, "-bleve-max", "300",
		"-real", "-real-file", filepath.Join("testdata", "multihop_dev_sample.json")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	table := stdout.String()
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(written) != table {
		t.Error("the -out file differs from what was printed")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) > 5 && cells[0] != "chunks" && !strings.HasPrefix(cells[0], "-") {
			rows[cells[0]] = append(rows[cells[0]], line)
		}
	}
	// Two sizes, each with a build row, a resident set row and two query
	// rows (synthetic and real questions); the smaller has bleve, the
	// larger not (-bleve-max).
	if len(rows) != 2 {
		t.Fatalf("got rows for %d sizes, want 2:\n%s", len(rows), table)
	}
	for size, lines := range rows {
		if len(lines) != 4 {
			t.Fatalf("size %s: got %d rows, want 4:\n%s", size, len(lines), table)
		}
		withBleve := !strings.Contains(lines[0], "| - | - | 2")
		if small := strings.HasPrefix(size, "30"); small != withBleve {
			t.Errorf("size %s: bleve run %v, want %v:\n%s", size, withBleve, small, lines[0])
		}
		if strings.Count(lines[1], "x) |") != 4 {
			t.Errorf("size %s: got resident set row\n%s\nwant four phases with their ratios", size, lines[1])
		}
		if !strings.Contains(lines[2], "| synthetic |") || !strings.Contains(lines[3], "| real |") {
			t.Errorf("size %s: got query rows\n%s\n%s\nwant synthetic then real", size, lines[2], lines[3])
		}
	}
	for _, name := range []string{"build-300-512.cpu", "search-600-512.cpu", "restart-600-512.cpu", "heap-300-512.prof"} {
		if fi, err := os.Stat(filepath.Join(prof, name)); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", name, err)
		}
	}
	for _, phase := range []string{"build", "restart", "add", "merge"} {
		if !strings.Contains(stderr.String(), phase+" peak ") {
			t.Errorf("no %s peak in the log:\n%s", phase, stderr.String())
		}
	}
	if !strings.Contains(table, "| chunks | dims | before | build | restart | add | merge |") {
		t.Errorf("no resident set table:\n%s", table)
	}
	if !strings.Contains(stderr.String(), "restart:") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-sizes", "10,20"}, true},
		{[]string{"-sizes", "10,x"}, false},
		{[]string{"-sizes", "0"}, false},
		{[]string{"-queries", "0"}, false},
		{[]string{"extra"}, false},
		{[]string{"-dims", "512,1536"}, true},
		{[]string{"-dims", "768"}, false},
		{[]string{"-candidates", "0"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseFlags(tt.args, &bytes.Buffer{})
			if (err == nil) != tt.ok {
				t.Errorf("got error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p50, p99 := percentiles(ds)
	if p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("got p50 %v, p99 %v; want 50ms, 99ms", p50, p99)
	}
}

// TestRunJSON checks -json: one object per line per size, dimension,
// engine and question set, with exactly the keys.
func TestRunJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-sizes", "300", "-queries", "20", "-dims", "512,1536", "-json",
		"-real", "-real-file", filepath.Join("testdata", "multihop_dev_sample.json")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	wantKeys := []string{"bytes_per_chunk", "dims", "engine", "floor_p99_over_p50", "p50_ms", "p99_ms", "questions", "recall_at_10", "size"}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		mem, hasMem := m["memory"].(map[string]any)
		if hasMem != (m["engine"] == "ours") {
			t.Errorf("line %q: got memory %v, want it on ours lines only", line, hasMem)
		}
		for _, phase := range []string{"build", "restart", "add", "merge"} {
			if !hasMem {
				break
			}
			p, _ := mem[phase].(map[string]any)
			peak, _ := p["peak_mb"].(float64)
			settled, _ := p["settled_mb"].(float64)
			ratio, _ := p["ratio"].(float64)
			// Where the system tells no resident set, all three are 0.
			if peak < 0 || settled < 0 || (settled > 0 && math.Abs(ratio-peak/settled) > 0.01) {
				t.Errorf("line %q: %s got peak %v, settled %v, ratio %v; want ratio = peak / settled", line, phase, peak, settled, ratio)
			}
		}
		if gc, ok := m["gc"].(map[string]any); ok != (m["engine"] == "ours") {
			t.Errorf("line %q: got gc %v, want it on ours lines only", line, ok)
		} else if ok {
			cycles, _ := gc["cycles"].(float64)
			pause, _ := gc["pause_ms"].(float64)
			during, _ := gc["ours_queries"].(float64)
			if cycles < 0 || pause < 0 || during < 0 || during > 0 && cycles == 0 {
				t.Errorf("line %q: got gc %v cycles, %v ms of pauses, %v of ours's queries during one; want counts >= 0, no query during a collection when none ran", line, cycles, pause, during)
			}
		}
		// The machine's own tail, on every line: the floor's p99 over its
		// p50 (at least 1).
		if tail, _ := m["floor_p99_over_p50"].(float64); tail < 1 {
			t.Errorf("line %q: got floor_p99_over_p50 %v, want at least 1", line, m["floor_p99_over_p50"])
		}
		delete(m, "memory")
		delete(m, "gc")
		keys := slices.Sorted(maps.Keys(m))
		if !slices.Equal(keys, wantKeys) {
			t.Fatalf("line %q: got keys %v, want %v", line, keys, wantKeys)
		}
		if m["size"] != 300.0 {
			t.Errorf("line %q: got size %v, want the -sizes value 300", line, m["size"])
		}
		p50, p99 := m["p50_ms"].(float64), m["p99_ms"].(float64)
		if p50 <= 0 || p99 < p50 {
			t.Errorf("line %q: got p50 %v and p99 %v, want 0 < p50 <= p99", line, p50, p99)
		}
		if m["engine"] == "quant" || m["engine"] == "ours" || m["engine"] == "vector" {
			if r, ok := m["recall_at_10"].(float64); !ok || r < 0.9 || r > 1 {
				t.Errorf("line %q: got %v recall %v, want in [0.9, 1]", line, m["engine"], m["recall_at_10"])
			}
		}
		seen[fmt.Sprintf("%v/%v/%v", m["dims"], m["engine"], m["questions"])] = true
	}
	for _, dims := range []string{"512", "1536"} {
		for _, engine := range []string{"ours", "chromem", "floor", "quant", "lexical", "vector"} {
			for _, qs := range []string{"synthetic", "real"} {
				if k := dims + "/" + engine + "/" + qs; !seen[k] {
					t.Errorf("no line for %s", k)
				}
			}
		}
	}
	// bleve indexes text: it runs with the first dimension only.
	if !seen["512/bleve/real"] || seen["1536/bleve/real"] {
		t.Errorf("got bleve lines 512: %v, 1536: %v; want 512 only", seen["512/bleve/real"], seen["1536/bleve/real"])
	}
}

// TestRunSizesBelowK checks that sizes smaller than -k run: chromem-go
// refuses to be asked for more results than it holds.
func TestRunSizesBelowK(t *testing.T) {
	for _, args := range [][]string{
		{"-sizes", "1", "-queries", "2", "-json"},
		{"-sizes", "20", "-queries", "2", "-k", "500", "-json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), args, &stdout, &stderr); err != nil {
				t.Fatalf("run: got error %v, want none\n%s", err, stderr.String())
			}
			if !strings.Contains(stdout.String(), `"engine":"chromem"`) {
				t.Errorf("got output %q, want a chromem line", stdout.String())
			}
		})
	}
}

// TestRunUnwritableOutFailsFirst checks that an -out file that cannot be
// written is an error before anything is measured.
func TestRunUnwritableOutFailsFirst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "no such dir", "table.md")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-sizes", "50", "-queries", "2", "-out", out}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "table.md") {
		t.Errorf("got error %v, want one naming table.md", err)
	}
	if stdout.Len()+stderr.Len() > 0 {
		t.Errorf("got %d bytes of output before the error, want none: nothing measured", stdout.Len()+stderr.Len())
	}
}

// TestTimeSetInterleaves checks the timing order: every question goes to
// every engine once, before the next question, and each engine follows
// each other in some question (a fixed rotation would always run the
// same engine right after the floor, which evicts the caches).
func TestTimeSetInterleaves(t *testing.T) {
	names := []string{"ours", "lexical", "vector", "floor"}
	var log []string
	var engines []*engine
	for _, name := range names {
		engines = append(engines, &engine{name: name, query: func(context.Context, string) error {
			log = append(log, name)
			return nil
		}})
	}
	qs := make([]string, 40)
	for i := range qs {
		qs[i] = fmt.Sprint("question ", i)
	}
	o := options{budget: time.Hour}
	sr, err := timeSet(context.Background(), o, engines, "synthetic", qs, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sr.queries != len(qs) {
		t.Fatalf("got %d timed queries, want %d", sr.queries, len(qs))
	}
	warm := 5 * len(names) // each engine's warm-up queries first
	timed := log[warm:]
	if len(timed) != len(qs)*len(names) {
		t.Fatalf("got %d timed queries in all, want %d", len(timed), len(qs)*len(names))
	}
	follows := map[[2]string]bool{}
	for i := 0; i < len(timed); i += len(names) {
		block := timed[i : i+len(names)]
		if got := slices.Sorted(slices.Values(block)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
			t.Fatalf("question %d went to %v, want each of %v once", i/len(names), block, names)
		}
		for j := 1; j < len(block); j++ {
			follows[[2]string{block[j-1], block[j]}] = true
		}
	}
	if want := len(names) * (len(names) - 1); len(follows) != want {
		t.Errorf("got %d of the %d ordered pairs of engines one after the other: %v", len(follows), want, follows)
	}
	for _, e := range engines {
		if tm := sr.times[e.name]; len(e.times) != len(qs) || tm.p99 < tm.p50 {
			t.Errorf("%s: got %d times, p50 %v, p99 %v; want %d, p50 <= p99", e.name, len(e.times), tm.p50, tm.p99, len(qs))
		}
	}
}
