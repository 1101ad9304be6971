package benchdata

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records how Path ends the test instead of
// ending it.
type recorder struct {
	testing.TB
	first string // "skip" or "fatal": the first of them called
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(string, ...any) {
	if r.first == "" {
		r.first = "fatal"
	}
}

func (r *recorder) Skipf(string, ...any) {
	if r.first == "" {
		r.first = "skip"
	}
}

func TestPath(t *testing.T) {
	root := t.TempDir()
	checkout := filepath.Join(root, "checkout", "pkg")
	if err := os.MkdirAll(checkout, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "shared", "benchmarks", "multihop-rag")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "corpus.json"), []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(checkout)
	tests := []struct {
		name      string
		ci        string
		elem      []string
		wantPath  string
		wantFirst string
	}{
		{"found beside the checkout", "", []string{"multihop-rag", "corpus.json"}, filepath.Join(data, "corpus.json"), ""},
		{"found in CI", "true", []string{"multihop-rag", "corpus.json"}, filepath.Join(data, "corpus.json"), ""},
		{"missing: skipped", "", []string{"scifact", "corpus.jsonl"}, "", "skip"},
		{"missing in CI: fails", "true", []string{"scifact", "corpus.jsonl"}, "", "fatal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			got := Path(r, tt.elem...)
			if r.first != tt.wantFirst {
				t.Errorf("Path ended the test with %q, want %q", r.first, tt.wantFirst)
			}
			if tt.wantPath != "" && got != tt.wantPath {
				t.Errorf("Path = %q, want %q", got, tt.wantPath)
			}
		})
	}
}
