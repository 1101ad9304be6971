package retrieval_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// TestAddProgress checks that Config.Progress announces an Add's new
// articles and counts every one, once, in order, with either embedder, and
// says nothing for an Add of unchanged articles.
func TestAddProgress(t *testing.T) {
	seedArts := loadSeeds(t)
	var arts []article.Article
	for i := 0; i < 60; i++ { // 300 articles: more than one batch of 256
		for _, a := range seedArts {
			a.ID = fmt.Sprintf("%s-%d", a.ID, i)
			arts = append(arts, a)
		}
	}
	tests := []struct {
		name  string
		embed func() *countingEmbedder // nil: the local embedder
	}{
		{name: "local embedder"},
		{name: "custom embedder", embed: func() *countingEmbedder { return newCountingEmbedder(0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls [][2]int
			cfg := retrieval.Config{Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }}
			if tt.embed != nil {
				cfg.Embed, cfg.EmbedModel = tt.embed().Func, "counting"
			}
			ix := newIndex(t, cfg, nil)
			ctx := context.Background()
			if _, err := ix.Add(ctx, arts); err != nil {
				t.Fatalf("Add: %v", err)
			}
			if len(calls) == 0 {
				t.Fatalf("got no progress calls, want some")
			}
			if calls[0] != [2]int{0, len(arts)} {
				t.Errorf("got first progress call %v, want [0 %d]", calls[0], len(arts))
			}
			prev := 0
			for _, c := range calls[1:] {
				if c[1] != len(arts) || c[0] <= prev || c[0] > c[1] {
					t.Fatalf("got progress calls %v: want done rising to total %d", calls, len(arts))
				}
				prev = c[0]
			}
			if prev != len(arts) {
				t.Errorf("got last done %d, want %d", prev, len(arts))
			}
			calls = nil
			if _, err := ix.Add(ctx, arts); err != nil {
				t.Fatalf("Add again: %v", err)
			}
			if len(calls) != 0 {
				t.Errorf("got progress calls %v for unchanged articles, want none", calls)
			}
		})
	}
}
