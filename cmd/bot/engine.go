package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/ingest"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/seeds"
	"github.com/briefbot/briefbot/store"
)

// engine is the briefing engine as the commands use it.
type engine struct {
	index    *retrieval.Index
	composer *answer.Composer
	briefer  *briefing.Builder
	// ingest adds and removes articles under the bot's rules (seeds,
	// retention, identity).
	ingest *ingest.Service
	// state is the embedded store in BOT_DATA_DIR, whose lock makes this
	// process the data directory's one writer; nil for an in-memory index
	// or a read-only one.
	state *store.Store
	// readOnly tells that BOT_DATA_DIR cannot be written: the index is
	// read as it is and nothing is saved (engineOptions.readOnlyOK).
	readOnly bool
	// watchEvery is how often BOT_ARTICLES_DIR is polled.
	watchEvery time.Duration
	// answerOpts made composer; answers scoped to what a Slack channel
	// follows use them too, with scopes and the counts below.
	answerOpts answerOptions
	log        *slog.Logger
	scopes     scopes
	scoped     answer.Stats
}

// close waits for the index's background merge and lets go of the data
// directory.
func (e *engine) close() error {
	err := e.index.Close()
	if e.state != nil {
		err = errors.Join(err, e.state.Close())
		e.state = nil
	}
	return err
}

type answerOptions = answer.Options

// engineOptions say which articles to serve.
type engineOptions struct {
	// corpus, when set, replaces the seeds and the persistent index with an
	// in-memory index of these articles.
	corpus string
	// memory keeps the seeds' index in memory instead of BOT_DATA_DIR.
	memory bool
	// reader marks a command that only reads the index: when another
	// process is the data directory's writer, it opens the index
	// read-only instead of failing, and it lets go of the directory once
	// the index is open.
	reader bool
	// readOnlyOK marks a command that can serve from a data directory
	// this process cannot write (the chat; every reader can): the index
	// is opened read-only, the state store read-only (or not at all when
	// there is none), and a one-line note on stderr says so.
	readOnlyOK bool
	// maybeEmpty lets the index be empty (ingest, remove).
	maybeEmpty bool
	// noModel leaves the model server out even when one is configured.
	noModel bool
	k       int
	// filter restricts every search (outlets, dates).
	filter retrieval.Filter
	// progress shows indexing progress on stderr; a --corpus load gets
	// one of its own, with its summary line.
	progress *progressMeter
}

// dirArticlesBucket records, in the store, the IDs of the articles loaded
// from BOT_ARTICLES_DIR, so that those whose file was deleted while the bot
// was down are removed at the next start.
const dirArticlesBucket = "articles_dir"

// removedFileReason is why a file of BOT_ARTICLES_DIR whose article was
// removed with `bot remove` is not indexed again.
const removedFileReason = "removed with bot remove; delete the file, or bot ingest it to bring it back"

// errDataDirBusy is the error a second writer gets.
var errDataDirBusy = errors.New("another briefbot process (the bot, or an ingest) is using BOT_DATA_DIR; nothing was changed. Stop it first; to add files while the bot runs, put them in its BOT_ARTICLES_DIR and it picks them up")

// openEngine builds the index and the composer. Without a corpus it opens
// the persistent index in cfg.DataDir (locking the directory), adds
// BOT_ARTICLES_DIR to it (unchanged articles are not embedded again),
// removes the articles whose file was deleted from there, applies the
// retention and serves the seeds as BOT_SEEDS says. Skipped files are
// reported on stderr with their reasons.
func openEngine(ctx context.Context, cfg config, opts engineOptions, logger *slog.Logger, stderr io.Writer) (eng *engine, err error) {
	var arts []article.Article
	var skips []article.Skip
	var seedArts []article.Article
	rcfg := retrieval.Config{Logger: logger}
	var state *store.Store
	readOnly := false
	defer func() {
		if err != nil && state != nil {
			state.Close()
		}
	}()
	persistent := opts.corpus == "" && !opts.memory
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
		a, s, err := article.LoadFS(seeds.FS)
		if err != nil {
			return nil, fmt.Errorf("load seeds: %w", err)
		}
		seedArts, skips = a, s
		if opts.memory {
			arts = seedArts
		}
	}
	if persistent {
		rcfg.Dir = filepath.Join(cfg.DataDir, "index")
		state, err = openState(cfg)
		switch {
		case errors.Is(err, store.ErrLocked) && opts.reader:
			logger.Info("another process writes to BOT_DATA_DIR; opening the index read-only")
			rcfg.ReadOnly = true
		case errors.Is(err, store.ErrLocked):
			return nil, errDataDirBusy
		case errors.Is(err, store.ErrReadOnly) && (opts.reader || opts.readOnlyOK):
			// Read-only still, the store tells which articles were
			// removed (a file of BOT_ARTICLES_DIR must not bring one back).
			state, err = store.OpenReadOnly(cfg.DataDir, time.Second)
			if errors.Is(err, fs.ErrNotExist) {
				state, err = nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("open the bot's state: %w", err)
			}
			readOnly, rcfg.ReadOnly = true, true
			note := "the index is opened read-only"
			if !opts.reader {
				note = "answering from the index as it is (read-only); nothing is saved, and the articles folder, the feeds and the retention are off"
			}
			fmt.Fprintf(stderr, "note: BOT_DATA_DIR %s cannot be written: %s\n", cfg.DataDir, note)
		case err != nil:
			return nil, err
		}
	}
	var dirIDs []string
	if persistent && cfg.ArticlesDir != "" {
		a, s, err := article.Load(cfg.ArticlesDir)
		if err != nil {
			return nil, fmt.Errorf("BOT_ARTICLES_DIR: %w", err)
		}
		skips = append(skips, s...)
		for _, x := range a {
			dirIDs = append(dirIDs, x.ID)
			if state != nil && ingest.WasRemoved(state, x.ID) {
				skips = append(skips, article.Skip{Name: x.ID, Reason: removedFileReason})
				continue
			}
			arts = append(arts, x)
		}
	}
	for _, s := range skips {
		fmt.Fprintf(stderr, "skipped %s\n", s)
	}
	if !persistent && len(arts) == 0 {
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
	meter := opts.progress
	if meter == nil && opts.corpus != "" {
		meter = newProgressMeter(stderr)
	}
	if meter != nil {
		rcfg.Progress = meter.update
	}
	ix, err := retrieval.New(ctx, rcfg)
	if errors.Is(err, retrieval.ErrLocked) && opts.reader {
		// Another program writes the index without the data directory's
		// store.
		logger.Info("another process writes to the index; opening it read-only")
		rcfg.ReadOnly = true
		ix, err = retrieval.New(ctx, rcfg)
	}
	if errors.Is(err, retrieval.ErrLocked) {
		return nil, errDataDirBusy
	}
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	defer func() {
		if err != nil {
			ix.Close() // lets go of the index directory's lock
		}
	}()
	svc := &ingest.Service{Index: ix, Log: logger, SeedMode: ingest.SeedsOn}
	if persistent {
		svc.Seeds, svc.SeedMode, svc.Retention = seedArts, cfg.Seeds, cfg.Retention
	}
	if len(arts) > 0 {
		start := time.Now()
		st, err := ix.Add(ctx, arts)
		if err != nil {
			return nil, fmt.Errorf("index articles: %w", err)
		}
		if opts.corpus != "" {
			meter.finish(st, time.Since(start))
		}
		logger.Debug("index ready", "added", st.Added, "updated", st.Updated, "unchanged", st.Unchanged, "chunks", st.Chunks)
	}
	if state != nil && !readOnly && cfg.ArticlesDir != "" {
		if err := forgetDeletedFiles(ctx, state, ix, dirIDs, logger); err != nil {
			return nil, err
		}
	}
	if persistent {
		if _, err := svc.Expire(ctx, time.Now()); err != nil {
			return nil, err
		}
		if err := svc.SettleSeeds(ctx); err != nil {
			return nil, err
		}
	}
	if ix.Len() == 0 && !opts.maybeEmpty {
		return nil, errors.New("no articles to answer from: the index is empty and BOT_SEEDS=false; add some with bot ingest")
	}
	eng = &engine{index: ix, composer: answer.New(ix, aopts, logger), briefer: briefing.NewBuilder(ix, bopts, logger), ingest: svc, state: state, watchEvery: watchInterval,
		answerOpts: aopts, log: logger, readOnly: readOnly}
	if (opts.reader || readOnly) && state != nil {
		// Everything is in memory now: let a writer have the directory.
		if err := eng.close(); err != nil {
			return nil, err
		}
		state = nil
	}
	return eng, nil
}

// forgetDeletedFiles removes from the index the articles that were loaded
// from BOT_ARTICLES_DIR before and whose file is gone, and records the
// ones loaded now.
func forgetDeletedFiles(ctx context.Context, state *store.Store, ix *retrieval.Index, loaded []string, logger *slog.Logger) error {
	now := map[string]bool{}
	for _, id := range loaded {
		now[id] = true
	}
	var gone []string
	err := state.Each(dirArticlesBucket, func(key string, _ []byte) error {
		if !now[key] {
			gone = append(gone, key)
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read the articles folder's record: %w", err)
	}
	if len(gone) > 0 {
		if _, err := ix.Remove(ctx, gone...); err != nil {
			return fmt.Errorf("remove deleted files' articles: %w", err)
		}
		for _, id := range gone {
			if err := state.Delete(dirArticlesBucket, id); err != nil {
				return err
			}
		}
		logger.Info("removed the articles of files deleted from BOT_ARTICLES_DIR", "articles", len(gone))
	}
	kv := make(map[string][]byte, len(loaded))
	for _, id := range loaded {
		kv[id] = []byte{1}
	}
	if len(kv) > 0 {
		if err := state.PutMany(dirArticlesBucket, kv); err != nil {
			return fmt.Errorf("record the articles folder: %w", err)
		}
	}
	return nil
}
