package ingest

import (
	"context"
	"fmt"
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

// TestUserArticleWithASeedsID checks that an article of the user's that
// carries a seed's ID (a file named like a seed) is neither retired with
// the seeds nor replaced by the seed: "added" means it stays.
func TestUserArticleWithASeedsID(t *testing.T) {
	seedText := "Talks resume in Geneva\n\nThe talks resumed on Thursday."
	seed := article.Article{ID: "000_seed.txt", Title: "Talks resume in Geneva", Text: seedText, Body: []article.Span{{Start: 24, End: len(seedText)}}}
	userText := "Giraffes cross\n\nThe council approved seventeen giraffe crossings."
	mine := article.Article{ID: seed.ID, Title: "Giraffes cross", Text: userText, Body: []article.Span{{Start: 16, End: len(userText)}}}
	other := article.Article{ID: "other.txt", Text: "Other\n\nAnother story entirely.", Body: []article.Span{{Start: 7, End: 30}}}
	for _, tc := range []struct {
		mode SeedMode
		add  []article.Article
	}{
		{SeedsAuto, []article.Article{mine}},
		{SeedsAuto, []article.Article{other, mine}},
		{SeedsOn, []article.Article{mine}},
		{SeedsOff, []article.Article{mine}},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.mode, len(tc.add)), func(t *testing.T) {
			ctx := context.Background()
			ix, err := retrieval.New(ctx, retrieval.Config{})
			if err != nil {
				t.Fatal(err)
			}
			svc := &Service{Index: ix, Seeds: []article.Article{seed}, SeedMode: tc.mode, Log: slog.New(slog.DiscardHandler)}
			if err := svc.SettleSeeds(ctx); err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.add {
				if _, err := svc.Add(ctx, []article.Article{a}); err != nil {
					t.Fatal(err)
				}
			}
			if err := svc.SettleSeeds(ctx); err != nil {
				t.Fatal(err)
			}
			got, ok := ix.Article(seed.ID)
			if !ok {
				t.Fatalf("article %s: gone, want the user's article", seed.ID)
			}
			if got.Text != userText {
				t.Errorf("article %s: text %q, want the user's %q", seed.ID, got.Text, userText)
			}
			if n, want := len(ix.Articles()), len(tc.add); n != want {
				t.Errorf("got %d articles, want %d", n, want)
			}
		})
	}
}
