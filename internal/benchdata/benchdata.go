// Package benchdata finds the shared benchmark data (MultiHop-RAG, SciFact)
// for tests and benchmarks: the folder shared/benchmarks beside the
// checkout, found from the working directory upwards.
package benchdata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Find returns the shared/benchmarks directory beside the working
// directory or one of its parents, or "" when there is none.
func Find() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "benchmarks")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns the path of a benchmark file (elements joined under
// shared/benchmarks). When the data is absent the test is skipped, except
// in CI (the CI environment variable is set), where a missing data set
// fails the test: CI must not pass by measuring nothing.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	dir := Find()
	p := filepath.Join(append([]string{dir}, elem...)...)
	if dir != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("benchmark data %s not found beside the checkout (CI needs shared/benchmarks)", filepath.Join(elem...))
	}
	tb.Skipf("benchmark data %s not found beside the checkout", filepath.Join(elem...))
	return ""
}

// MultiHopQuestions returns the questions of the MultiHop-RAG dev split, in
// order; the test is skipped (or fails in CI) as with Path.
func MultiHopQuestions(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile(Path(tb, "multihop-rag", "MultiHopRAG.dev.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var qs []struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(data, &qs); err != nil {
		tb.Fatalf("MultiHop-RAG dev questions: %v", err)
	}
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Query
	}
	return out
}
