package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/slackbot"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/time/rate"
)

// slackConfig turns the bot's settings into the Slack app's.
func slackConfig(cfg config) slackbot.Config {
	return slackbot.Config{
		BotToken:      cfg.SlackBotToken,
		AppToken:      cfg.SlackAppToken,
		SigningSecret: cfg.SlackSigningSecret,
		APIURL:        cfg.SlackAPIURL,
		CommandPrefix: cfg.CommandPrefix,
		Addr:          cfg.Addr,
		HealthAddr:    socketHealthAddr(cfg),
		DataDir:       cfg.DataDir,
		AnswerTimeout: cfg.AnswerTimeout,
		RateLimit:     rate.Limit(cfg.RatePerMinute / 60),
		RateBurst:     cfg.RateBurst,
		Workers:       cfg.Workers,
		QueueSize:     cfg.QueueSize,
	}
}

// runSlack runs the Slack app until ctx is done.
func runSlack(ctx context.Context, cfg config, logger *slog.Logger, stderr io.Writer) error {
	scfg := slackConfig(cfg)
	if err := scfg.Validate(); err != nil {
		return settingError{err.Error()}
	}
	daily, err := defaultBriefing(cfg)
	if err != nil {
		return err
	}
	scfg.DefaultBriefing = daily
	if daily != nil {
		// What an older version last posted there, from its files.
		if st, err := (briefing.StateStore{Dir: cfg.DataDir}).Load(daily.Channel); err == nil {
			scfg.DefaultBriefingState = &st
		}
	}
	eng, err := openEngine(ctx, cfg, engineOptions{k: cfg.K}, logger, stderr)
	if err != nil {
		return err
	}
	defer eng.close() // closes the state too, after the bot has stopped writing to it
	if eng.state == nil {
		return errors.New("the Slack app needs the data directory's state, and it was not opened")
	}
	// The engine opened the embedded store (one per process: its lock is
	// the data directory's); the Slack app keeps its state there too.
	scfg.State = eng.state
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	bot, err := slackbot.New(scfg, service{eng: eng, allowPrivate: cfg.FetchAllowPrivate}, logger, reg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// One deferred call, so the background work is told to stop (cancel)
	// before it is waited for, whichever way this function returns.
	defer func() {
		cancel()
		wg.Wait()
	}()
	startWatch(ctx, &wg, cfg, eng, logger)
	startFeeds(ctx, &wg, cfg, eng, logger)
	logger.Info("starting slack app", "mode", scfg.Mode(), "articles", len(eng.index.Articles()))
	return bot.Run(ctx)
}

// service adapts the engine to what the Slack app needs.
type service struct {
	eng          *engine
	allowPrivate bool // links shared in DMs may point at private addresses
}

func (s service) Answer(ctx context.Context, question string, history []answer.Turn) (answer.Answer, error) {
	return s.eng.composer.Answer(ctx, question, history)
}

// Ask answers a question from Slack and tells q.Progress the quotes being
// checked and each sentence of a model's answer once verified, which the
// Slack app streams. q.Channel (the channel asked in, or an assistant
// thread's context channel) does not scope the answer yet.
func (s service) Ask(ctx context.Context, q slackbot.Question) (answer.Answer, error) {
	return s.eng.composer.Answer(answer.WithProgress(ctx, q.Progress), q.Text, q.History)
}

// ArticleCount is the number of indexed articles, for the assistant's
// prompts and status.
func (s service) ArticleCount() int { return s.eng.index.Len() }

// NewestHeadlines returns the headlines of the n newest articles that have
// one (articles without a date last), for the assistant's prompts.
func (s service) NewestHeadlines(n int) []string {
	arts := slices.DeleteFunc(s.eng.index.Articles(), func(a *article.Article) bool { return strings.TrimSpace(a.Title) == "" })
	slices.SortStableFunc(arts, func(a, b *article.Article) int { return b.PublishedAt.Compare(a.PublishedAt) })
	var heads []string
	for _, a := range arts[:min(n, len(arts))] {
		heads = append(heads, a.Title)
	}
	return heads
}

func (s service) Source(ctx context.Context, text string) (answer.SourceResult, error) {
	return s.eng.composer.Source(ctx, text)
}

func (s service) Briefing(ctx context.Context, req slackbot.BriefingRequest) (briefing.Briefing, error) {
	r := briefing.Request{Topic: req.Topic, Since: req.Since}
	if req.Date != "" {
		d, err := time.Parse("2006-01-02", req.Date)
		if err != nil {
			return briefing.Briefing{}, fmt.Errorf("briefing date %q: %w", req.Date, err)
		}
		r.Date = d
	}
	return s.eng.briefer.Build(ctx, r)
}

// DroppedQuotes feeds the Slack app's metric of quotes that failed
// verification.
func (s service) DroppedQuotes() int64 {
	return s.eng.composer.Stats().QuotesDropped.Load() + s.eng.scoped.QuotesDropped.Load()
}

// ModelErrors feeds the Slack app's metric of answers for which the model
// failed or could not be verified and the extractive answer was given.
func (s service) ModelErrors() int64 {
	return s.eng.composer.Stats().ModelFallbacks.Load() + s.eng.scoped.ModelFallbacks.Load()
}
