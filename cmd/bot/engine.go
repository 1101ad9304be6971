package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/seeds"
)

// engine is the briefing engine as the commands use it.
type engine struct {
	index    *retrieval.Index
	composer *answer.Composer
	briefer  *briefing.Builder
}

type answerOptions = answer.Options

// engineOptions say which articles to serve.
type engineOptions struct {
	// corpus, when set, replaces the seeds and the persistent index with an
	// in-memory index of these articles.
	corpus string
	// memory keeps the seeds' index in memory instead of BOT_DATA_DIR.
	memory bool
	// noModel leaves the model server out even when one is configured.
	noModel bool
	k       int
	// filter restricts every search (outlets, dates).
	filter retrieval.Filter
}

// openEngine builds the index and the composer. Without a corpus it opens
// the persistent index in cfg.DataDir and adds the embedded seeds and
// BOT_ARTICLES_DIR to it (unchanged articles are not embedded again).
// Skipped files are reported on stderr with their reasons.
func openEngine(ctx context.Context, cfg config, opts engineOptions, logger *slog.Logger, stderr io.Writer) (*engine, error) {
	var arts []article.Article
	var skips []article.Skip
	rcfg := retrieval.Config{Logger: logger}
	if opts.corpus != "" {
		a, s, err := article.Load(opts.corpus)
		if err != nil {
			if errors.Is(err, article.ErrNotFound) {
				return nil, usagef("--corpus %s: no such file or directory", opts.corpus)
			}
			return nil, fmt.Errorf("load corpus: %w", err)
		}
		arts, skips = a, s
	} else {
		if !opts.memory {
			rcfg.Dir = filepath.Join(cfg.DataDir, "index")
		}
		a, s, err := article.LoadFS(seeds.FS)
		if err != nil {
			return nil, fmt.Errorf("load seeds: %w", err)
		}
		arts, skips = a, s
		if cfg.ArticlesDir != "" && !opts.memory {
			a, s, err := article.Load(cfg.ArticlesDir)
			if err != nil {
				return nil, fmt.Errorf("BOT_ARTICLES_DIR: %w", err)
			}
			arts, skips = append(arts, a...), append(skips, s...)
		}
	}
	for _, s := range skips {
		fmt.Fprintf(stderr, "skipped %s\n", s)
	}
	if len(arts) == 0 {
		return nil, fmt.Errorf("no articles to answer from (%d files skipped)", len(skips))
	}
	var model *modelSetup
	if !opts.noModel {
		m, err := openModel(ctx, cfg, logger)
		if err != nil {
			return nil, err
		}
		model = m
	}
	aopts := answerOptions{K: opts.k, Filter: opts.filter}
	var bopts briefing.Options
	if model != nil {
		if model.applyIndex != nil {
			model.applyIndex(&rcfg)
		}
		if model.applyAnswer != nil {
			model.applyAnswer(&aopts)
		}
		if model.applyBriefing != nil {
			model.applyBriefing(&bopts)
		}
	}
	if rcfg.Dir != "" {
		if err := os.MkdirAll(rcfg.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("BOT_DATA_DIR: %w", err)
		}
	}
	ix, err := retrieval.New(ctx, rcfg)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	st, err := ix.Add(ctx, arts)
	if err != nil {
		return nil, fmt.Errorf("index articles: %w", err)
	}
	logger.Debug("index ready", "added", st.Added, "updated", st.Updated, "unchanged", st.Unchanged, "chunks", st.Chunks)
	comp := answer.New(ix, aopts, logger)
	brief := briefing.NewBuilder(ix, bopts, logger)
	return &engine{index: ix, composer: comp, briefer: brief}, nil
}
