package ingest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// TestSettleSeedsRefreshesStaleSeeds checks that a seed indexed as an
// older version read it (other body spans, as before a change of the page
// reader) is indexed again, and that unchanged seeds are left alone.
func TestSettleSeedsRefreshesStaleSeeds(t *testing.T) {
	ctx := context.Background()
	text := "Talks resume in Geneva\n\nThe talks resumed on Thursday.\n\nFarmers blocked the motorway."
	seed := article.Article{ID: "seed.txt", Title: "Talks resume in Geneva", Text: text, Body: []article.Span{{Start: 24, End: len(text)}}}
	old := seed
	old.Body = []article.Span{{Start: 24, End: 54}} // the last paragraph read as chrome
	ix, err := retrieval.New(ctx, retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(ctx, []article.Article{old}); err != nil {
		t.Fatal(err)
	}
	svc := &Service{Index: ix, Seeds: []article.Article{seed}, SeedMode: SeedsOn, Log: slog.New(slog.DiscardHandler)}
	for i := range 2 {
		if err := svc.SettleSeeds(ctx); err != nil {
			t.Fatal(err)
		}
		got, ok := ix.Article(seed.ID)
		if !ok {
			t.Fatalf("settle %d: seed not indexed", i+1)
		}
		if got.Hash() != seed.Hash() || len(got.Body) != 1 || got.Body[0] != seed.Body[0] {
			t.Errorf("settle %d: indexed body %v, want %v", i+1, got.Body, seed.Body)
		}
	}
}
