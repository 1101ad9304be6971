package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunSmall(t *testing.T) {
	out := filepath.Join(t.TempDir(), "table.md")
	prof := filepath.Join(t.TempDir(), "prof")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-sizes", "300,600", "-queries", "25", "-out", out, "-pprof", prof, "-bleve-max", "300"}, &stdout, &stderr)
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
	// Two sizes, each with a build row and a query row; the smaller has
	// bleve, the larger not (-bleve-max).
	if len(rows) != 2 {
		t.Fatalf("got rows for %d sizes, want 2:\n%s", len(rows), table)
	}
	for size, lines := range rows {
		if len(lines) != 2 {
			t.Errorf("size %s: got %d rows, want 2", size, len(lines))
		}
		withBleve := !strings.Contains(lines[0], "| - |")
		if small := strings.HasPrefix(size, "30"); small != withBleve {
			t.Errorf("size %s: bleve run %v, want %v:\n%s", size, withBleve, small, lines[0])
		}
	}
	for _, name := range []string{"build-300.cpu", "search-600.cpu", "restart-600.cpu", "heap-300.prof"} {
		if fi, err := os.Stat(filepath.Join(prof, name)); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v", name, err)
		}
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
