package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/briefbot/briefbot/answer"
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
		Addr:          cfg.Addr,
		HealthAddr:    socketHealthAddr(cfg),
		DataDir:       cfg.DataDir,
		AnswerTimeout: cfg.AnswerTimeout,
		RateLimit:     rate.Limit(cfg.RatePerMinute / 60),
		RateBurst:     cfg.RateBurst,
	}
}

// runSlack runs the Slack app until ctx is done.
func runSlack(ctx context.Context, cfg config, logger *slog.Logger, stderr io.Writer) error {
	scfg := slackConfig(cfg)
	if err := scfg.Validate(); err != nil {
		return settingError{err.Error()}
	}
	eng, err := openEngine(ctx, cfg, engineOptions{k: cfg.K}, logger, stderr)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	bot, err := slackbot.New(scfg, service{eng: eng, allowPrivate: cfg.FetchAllowPrivate}, logger, reg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: background work stops with the app
	if err := startSchedule(ctx, &wg, cfg, eng, bot, logger); err != nil {
		return err
	}
	startWatch(ctx, &wg, cfg, eng, logger)
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

func (s service) Source(ctx context.Context, text string) (answer.SourceResult, error) {
	return s.eng.composer.Source(ctx, text)
}

func (s service) Briefing(ctx context.Context, req slackbot.BriefingRequest) (briefing.Briefing, error) {
	r := briefing.Request{Topic: req.Topic}
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
func (s service) DroppedQuotes() int64 { return s.eng.composer.Stats().QuotesDropped.Load() }

// ModelErrors feeds the Slack app's metric of answers for which the model
// failed or could not be verified and the extractive answer was given.
func (s service) ModelErrors() int64 { return s.eng.composer.Stats().ModelFallbacks.Load() }
