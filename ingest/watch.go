package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
)

// DefaultWatchInterval is how often WatchDir looks at the directory when
// given no interval.
const DefaultWatchInterval = 5 * time.Second

// watchedExt are the article files WatchDir loads.
var watchedExt = []string{".txt", ".md", ".json", ".jsonl"}

// fileStamp is what WatchDir compares to see a file change.
type fileStamp struct {
	size int64
	mod  int64 // modification time, Unix nanoseconds
}

// Change is what WatchDir saw change in the directory.
type Change struct {
	// Files are the new or changed files and the articles loaded from
	// each (file name -> articles).
	Files map[string][]article.Article
	// Skips are the files that could not be used, with the reasons.
	Skips []article.Skip
	// Deleted are the files that were there and are gone.
	Deleted []string
}

// Articles returns every article of the changed files, file by file in
// name order.
func (c Change) Articles() []article.Article {
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []article.Article
	for _, n := range names {
		out = append(out, c.Files[n]...)
	}
	return out
}

// WatchDir polls dir every interval for new, changed or deleted article
// files (.txt, .md, .json, .jsonl at its top level, as article.Load reads a
// directory) and passes the articles loaded from them, the files that
// could not be used and the deleted ones to onChange. Files present when it
// starts are not passed on (the caller loaded them); hidden files and
// editor backups (".x", "x~") are skipped. A file is loaded once its size
// and modification time have stayed the same for one interval, so a file
// still being written is not read half way. Polling needs no dependency and
// works on every file system, network mounts included. WatchDir returns an
// error when dir cannot be read at the start, else nil when ctx is done.
func WatchDir(ctx context.Context, dir string, interval time.Duration, onChange func(ctx context.Context, ch Change)) error {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	seen, err := scanDir(dir)
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	pending := map[string]fileStamp{}
	lastErr := ""
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now, err := scanDir(dir)
		if err != nil {
			// Report a failing directory once, not at every tick.
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				onChange(ctx, Change{Skips: []article.Skip{{Name: dir, Reason: msg}}})
			}
			continue
		}
		lastErr = ""
		var ready []string
		for name, st := range now {
			if old, ok := seen[name]; ok && old == st {
				continue
			}
			if p, ok := pending[name]; ok && p == st {
				ready = append(ready, name)
				continue
			}
			pending[name] = st // changed since the last look: wait for it to settle
		}
		for name := range pending {
			if _, ok := now[name]; !ok {
				delete(pending, name) // deleted before it settled
			}
		}
		var ch Change
		for name := range seen {
			if _, ok := now[name]; !ok {
				ch.Deleted = append(ch.Deleted, name)
				delete(seen, name)
			}
		}
		slices.Sort(ch.Deleted)
		if len(ready) == 0 && len(ch.Deleted) == 0 {
			continue
		}
		slices.Sort(ready)
		for _, name := range ready {
			seen[name] = pending[name]
			delete(pending, name)
			a, s, err := article.Load(filepath.Join(dir, name))
			if err != nil {
				ch.Skips = append(ch.Skips, article.Skip{Name: name, Reason: err.Error()})
				continue
			}
			if ch.Files == nil {
				ch.Files = map[string][]article.Article{}
			}
			ch.Files[name] = a
			ch.Skips = append(ch.Skips, s...)
		}
		if ctx.Err() != nil {
			return nil
		}
		onChange(ctx, ch)
	}
}

// scanDir returns the article files at the top of dir with their stamps.
func scanDir(dir string) (map[string]fileStamp, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]fileStamp, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
			!slices.Contains(watchedExt, strings.ToLower(filepath.Ext(name))) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since the listing
		}
		out[name] = fileStamp{size: info.Size(), mod: info.ModTime().UnixNano()}
	}
	return out, nil
}
