package briefing

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

// WatchDir polls dir every interval for new or changed article files
// (.txt, .md, .json, .jsonl at its top level, as article.Load reads a
// directory) and passes the articles loaded from them, and the files that
// could not be used, to onNew. Files present when it starts are not passed
// on (the caller loaded them); deleted files are ignored; hidden files and
// editor backups (".x", "x~") are skipped. A file is loaded once its size
// and modification time have stayed the same for one interval, so a file
// still being written is not read half way. Polling needs no dependency and
// works on every file system, network mounts included. WatchDir returns an
// error when dir cannot be read at the start, else nil when ctx is done.
func WatchDir(ctx context.Context, dir string, interval time.Duration, onNew func(ctx context.Context, arts []article.Article, skips []article.Skip)) error {
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
				onNew(ctx, nil, []article.Skip{{Name: dir, Reason: msg}})
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
		if len(ready) == 0 {
			continue
		}
		slices.Sort(ready)
		var arts []article.Article
		var skips []article.Skip
		for _, name := range ready {
			seen[name] = pending[name]
			delete(pending, name)
			a, s, err := article.Load(filepath.Join(dir, name))
			if err != nil {
				skips = append(skips, article.Skip{Name: name, Reason: err.Error()})
				continue
			}
			arts = append(arts, a...)
			skips = append(skips, s...)
		}
		if ctx.Err() != nil {
			return nil
		}
		onNew(ctx, arts, skips)
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
