package main

import (
	"context"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
)

func TestNewestArticles(t *testing.T) {
	day := func(d int) *article.Article {
		return &article.Article{ID: "d" + string(rune('0'+d)), PublishedAt: time.Date(2025, 3, d, 9, 0, 0, 0, time.UTC)}
	}
	undated := func(id string) *article.Article { return &article.Article{ID: id} }
	tests := []struct {
		name string
		arts []*article.Article
		n    int
		want []string
	}{
		{"newest first", []*article.Article{day(2), day(5), day(1), day(4), day(3)}, 3, []string{"d5", "d4", "d3"}},
		{"undated fill the rest", []*article.Article{undated("u1"), day(2), undated("u2"), undated("u3")}, 3, []string{"d2", "u1", "u2"}},
		{"none", nil, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range newestArticles(tt.arts, tt.n) {
				got = append(got, a.ID)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestLibrary: the Home tab's description of the seeds.
func TestLibrary(t *testing.T) {
	t.Parallel()
	eng := testEngine(t, engineOptions{k: 8})
	feed := map[string]any{"url": "https://feeds.example/world.xml", "title": "World", "last_poll": "2026-03-28T06:45:00Z", "last_result": "not modified"}
	if err := eng.state.PutJSON("feeds", "https://feeds.example/world.xml", feed); err != nil {
		t.Fatal(err)
	}
	lib, err := service{eng: eng}.Library(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if lib.Articles != 5 || len(lib.Newest) != 5 || len(lib.Outlets) != 2 || lib.Outlets[0].Name != "(unknown)" || lib.Outlets[0].Articles != 4 {
		t.Errorf("got %d articles, %d newest, outlets %+v; want the 5 seeds, 4 of unknown outlet", lib.Articles, len(lib.Newest), lib.Outlets)
	}
	if len(lib.Feeds) != 1 || lib.Feeds[0].Title != "World" || lib.Feeds[0].LastResult != "not modified" || lib.Feeds[0].LastPoll.IsZero() {
		t.Errorf("got feeds %+v, want World with its last poll", lib.Feeds)
	}
}
