package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/ingest"
	"github.com/briefbot/briefbot/slackbot"
	"github.com/briefbot/briefbot/webpage"
)

// watchInterval is how often BOT_ARTICLES_DIR is polled for new files.
const watchInterval = 10 * time.Second

// startWatch picks up files added to, changed in or deleted from
// BOT_ARTICLES_DIR while the bot runs, and drops articles past
// BOT_RETENTION as time passes. The goroutines end when ctx is done; wg
// waits for them.
func startWatch(ctx context.Context, wg *sync.WaitGroup, cfg config, eng *engine, logger *slog.Logger) {
	if cfg.Retention > 0 {
		wg.Go(func() {
			tick := time.NewTicker(retentionInterval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-tick.C:
					if _, err := eng.ingest.Expire(ctx, now); err != nil {
						logger.Error("retention", "err", err)
					}
				}
			}
		})
	}
	if cfg.ArticlesDir == "" {
		return
	}
	wg.Go(func() {
		// The IDs each file gave, for when it is deleted (a .txt or .md
		// file's ID is its name).
		fileIDs := map[string][]string{}
		err := ingest.WatchDir(ctx, cfg.ArticlesDir, eng.watchEvery, func(ctx context.Context, ch ingest.Change) {
			for _, s := range ch.Skips {
				logger.Warn("skipped article file", "file", s.Name, "reason", s.Reason)
			}
			var gone []string
			for _, name := range ch.Deleted {
				gone = append(gone, name)
				gone = append(gone, fileIDs[name]...)
				delete(fileIDs, name)
			}
			if len(gone) > 0 {
				n, err := eng.index.Remove(ctx, gone...)
				if err != nil {
					logger.Error("remove deleted files' articles", "dir", cfg.ArticlesDir, "err", err)
				} else if n > 0 {
					logger.Info("removed the articles of deleted files", "dir", cfg.ArticlesDir, "files", ch.Deleted, "articles", n)
				}
				if err := eng.ingest.SettleSeeds(ctx); err != nil {
					logger.Error("demo articles", "err", err)
				}
			}
			var arts []article.Article
			for _, a := range ch.Articles() {
				if eng.state != nil && ingest.WasRemoved(eng.state, a.ID) {
					logger.Info("not indexed again: removed with bot remove", "dir", cfg.ArticlesDir, "id", a.ID)
					continue
				}
				arts = append(arts, a)
			}
			if len(arts) == 0 {
				return
			}
			for name, as := range ch.Files {
				fileIDs[name] = nil
				for _, a := range as {
					fileIDs[name] = append(fileIDs[name], a.ID)
				}
			}
			st, err := eng.ingest.Add(ctx, arts)
			if err != nil {
				logger.Error("index new articles", "dir", cfg.ArticlesDir, "err", err)
				return
			}
			if eng.state != nil {
				kv := map[string][]byte{}
				for _, a := range arts {
					kv[a.ID] = []byte{1}
				}
				if err := eng.state.PutMany(dirArticlesBucket, kv); err != nil {
					logger.Error("record the articles folder", "err", err)
				}
			}
			logger.Info("picked up new articles", "dir", cfg.ArticlesDir, "added", st.Added, "updated", st.Updated)
		})
		if err != nil {
			logger.Error("watch BOT_ARTICLES_DIR", "err", err)
		}
	})
}

// newFeeds returns the feed poller of the engine.
func newFeeds(cfg config, eng *engine) *ingest.Feeds {
	f := &ingest.Feeds{Service: eng.ingest, Fetch: webpage.Options{AllowPrivate: cfg.FetchAllowPrivate}, Interval: cfg.FeedInterval}
	if eng.state != nil {
		f.Store = eng.state
	}
	return f
}

// startFeeds polls BOT_FEEDS every BOT_FEED_INTERVAL (jittered, backing
// off from failing feeds) while the bot runs. The goroutine ends when ctx
// is done; wg waits for it.
func startFeeds(ctx context.Context, wg *sync.WaitGroup, cfg config, eng *engine, logger *slog.Logger) {
	if len(cfg.Feeds) == 0 {
		return
	}
	logger.Info("polling feeds", "feeds", len(cfg.Feeds), "every", cfg.FeedInterval)
	feeds := newFeeds(cfg, eng)
	wg.Go(func() { feeds.Run(ctx, cfg.Feeds) })
}

// retentionInterval is how often articles past BOT_RETENTION are dropped
// while the bot runs.
const retentionInterval = time.Hour

// defaultBriefing returns the daily briefing BOT_BRIEFING_CHANNEL and
// BOT_BRIEFING_TIME ask for (nil for none), which the Slack app schedules
// with the channels subscribed through /briefing subscribe. Its At is the
// last run an older version recorded, so a run missed across the upgrade
// is caught up. It returns an error for settings that cannot be used.
func defaultBriefing(cfg config) (*slackbot.Subscription, error) {
	if cfg.BriefingChannel == "" && cfg.BriefingTime == "" {
		return nil, nil
	}
	if cfg.BriefingTime == "" {
		return nil, settingf("set both BOT_BRIEFING_CHANNEL and BOT_BRIEFING_TIME to post a daily briefing, or neither")
	}
	sched, err := briefing.ParseSchedule(cfg.BriefingTime)
	if err != nil {
		return nil, settingf("BOT_BRIEFING_TIME=%q: %v", cfg.BriefingTime, err)
	}
	if cfg.BriefingChannel == "" {
		return nil, nil // a time alone (as in .env.example) posts nothing
	}
	last, err := briefing.RunLog{Dir: cfg.DataDir}.Last(cfg.BriefingChannel)
	if err != nil {
		return nil, err
	}
	return &slackbot.Subscription{Channel: cfg.BriefingChannel, Time: sched.String(), At: last}, nil
}

// IngestURL fetches a page shared in a DM and adds it to the index.
func (s service) IngestURL(ctx context.Context, rawURL string) (article.Article, error) {
	a, err := webpage.Fetch(ctx, rawURL, webpage.Options{AllowPrivate: s.allowPrivate})
	if err != nil {
		return article.Article{}, err
	}
	return s.add(ctx, a)
}

// IngestFile adds a file shared in a DM to the index. Its ID comes from its
// content, never from the file's name, so it never replaces another
// article.
func (s service) IngestFile(ctx context.Context, name string, data []byte) (article.Article, error) {
	a, err := webpage.FromFile(name, data)
	if err != nil {
		return article.Article{}, err
	}
	a.ID = ingest.SharedFileID(&a)
	return s.add(ctx, a)
}

// add indexes one article durably: the user is told it was added only
// once it is.
func (s service) add(ctx context.Context, a article.Article) (article.Article, error) {
	if _, err := s.eng.ingest.Add(ctx, []article.Article{a}); err != nil {
		return article.Article{}, fmt.Errorf("index %s: %w", a.ID, err)
	}
	return a, nil
}
