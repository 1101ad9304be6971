package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/ingest"
	"github.com/briefbot/briefbot/slackbot"
)

// homeNewest is how many of the newest articles the Home tab lists.
const homeNewest = 5

// Library describes the articles and feeds for the Slack app's Home tab.
func (s service) Library(ctx context.Context) (slackbot.Library, error) {
	arts := s.eng.index.Articles()
	sm := ingest.Summarize(arts, 0)
	lib := slackbot.Library{Articles: sm.Articles}
	for name, n := range sm.Outlets {
		lib.Outlets = append(lib.Outlets, slackbot.OutletCount{Name: name, Articles: n})
	}
	slices.SortFunc(lib.Outlets, func(a, b slackbot.OutletCount) int {
		if a.Articles != b.Articles {
			return b.Articles - a.Articles
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, a := range newestArticles(arts, homeNewest) {
		lib.Newest = append(lib.Newest, slackbot.LibraryArticle{Title: a.DisplayTitle(), Outlet: a.Outlet, Date: a.Date(), URL: a.URL})
	}
	if s.eng.state != nil {
		err := s.eng.state.Each(ingest.FeedsBucket, func(_ string, v []byte) error {
			var f ingest.FeedStatus
			if json.Unmarshal(v, &f) == nil {
				lib.Feeds = append(lib.Feeds, slackbot.FeedInfo{URL: f.URL, Title: f.Title, LastPoll: f.LastPoll, LastResult: f.LastResult})
			}
			return nil
		})
		if err != nil {
			return lib, fmt.Errorf("read the feeds' status: %w", err)
		}
	}
	return lib, ctx.Err()
}

// newestArticles returns the n most recently published articles, newest
// first; when fewer are dated, undated ones (in index order) fill the list.
func newestArticles(arts []*article.Article, n int) []*article.Article {
	var top, undated []*article.Article
	for _, a := range arts {
		if a.PublishedAt.IsZero() {
			if len(undated) < n {
				undated = append(undated, a)
			}
			continue
		}
		i, _ := slices.BinarySearchFunc(top, a, func(x, y *article.Article) int { return y.PublishedAt.Compare(x.PublishedAt) })
		if i < n {
			top = slices.Insert(top, i, a)
			if len(top) > n {
				top = top[:n]
			}
		}
	}
	return append(top, undated[:min(len(undated), n-len(top))]...)
}

// The Slack app finds these through its Service.
var (
	_ slackbot.Librarian      = service{}
	_ slackbot.ScopedAnswerer = service{}
)
