package briefing

import (
	"context"
	"testing"
)

// benchmarkDay measures building the briefing of one day of the MultiHop-RAG
// corpus (the index is built once, outside the timing).
func benchmarkDay(b *testing.B, pick func(Index) string) {
	ix := multihopIndex(b)
	day := pick(ix)
	n := len(articlesByDay(ix)[day])
	builder := NewBuilder(ix, Options{}, nil)
	req := Request{Date: mustDay(b, day)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		br, err := builder.Build(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if br.Articles != n {
			b.Fatalf("briefed %d articles, want %d", br.Articles, n)
		}
	}
	b.ReportMetric(float64(n), "articles")
}

// BenchmarkBriefingOneDay briefs a typical day: the day with the median
// number of articles.
func BenchmarkBriefingOneDay(b *testing.B) { benchmarkDay(b, typicalDay) }

// BenchmarkBriefingBusiestDay briefs the day with the most articles.
func BenchmarkBriefingBusiestDay(b *testing.B) { benchmarkDay(b, busiestDay) }
