package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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

// TestDedupe checks that one article ingested twice under two IDs (a page
// URL and a file) is one article: the same URL updates it in place, the
// same title and text is skipped, anything else is kept as it is.
func TestDedupe(t *testing.T) {
	ctx := context.Background()
	text := "Ferry approved\n\nThe council approved the ferry on Monday."
	held := article.Article{ID: "https://news.example/ferry", URL: "https://news.example/ferry", Title: "Ferry approved", Text: text, Body: []article.Span{{Start: 16, End: len(text)}}}
	ix, err := retrieval.New(ctx, retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(ctx, []article.Article{held}); err != nil {
		t.Fatal(err)
	}
	svc := &Service{Index: ix, SeedMode: SeedsOff, Log: slog.New(slog.DiscardHandler)}
	other := "Ferry approved\n\nThe council turned the ferry down on Monday."
	// body gives an article's text its body span: all but the first line.
	body := func(a article.Article) article.Article {
		a.Body = []article.Span{{Start: strings.Index(a.Text, "\n\n") + 2, End: len(a.Text)}}
		return a
	}
	tests := []struct {
		name    string
		in      []article.Article
		wantIDs []string // of the articles kept, in order
		skipped int
	}{
		{"same URL, another ID", []article.Article{body(article.Article{ID: "ferry.md", URL: "https://news.example/ferry/#top", Title: "Ferry approved", Text: "url: x\n\nThe council approved the ferry on Monday, officially."})}, []string{held.ID}, 0},
		{"same title and body, other header", []article.Article{body(article.Article{ID: "ferry.md", Title: "Ferry approved", Text: "---\ntitle: Ferry approved\n---\n\nThe council approved the ferry on Monday."})}, nil, 1},
		{"same title, other text", []article.Article{body(article.Article{ID: "ferry2.txt", Title: "Ferry approved", Text: other})}, []string{"ferry2.txt"}, 0},
		{"same text, another title", []article.Article{body(article.Article{ID: "copy.txt", Title: "Ferry gets the nod", Text: text})}, nil, 1},
		{"twice in one batch", []article.Article{body(article.Article{ID: "a.txt", Title: "Tram", Text: "Tram\n\nThe tram runs."}), body(article.Article{ID: "b.txt", Title: "Tram", Text: "Tram\n\nThe tram runs."})}, []string{"a.txt"}, 1},
		{"the same ID again", []article.Article{held}, []string{held.ID}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skips := svc.Dedupe(tt.in)
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if !slices.Equal(ids, tt.wantIDs) || len(skips) != tt.skipped {
				t.Errorf("Dedupe kept %v, skipped %v; want %v and %d skipped", ids, skips, tt.wantIDs, tt.skipped)
			}
		})
	}
}
