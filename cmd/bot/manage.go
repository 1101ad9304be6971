package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/ingest"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/store"
)

// runRemove takes articles out of the persistent index by ID or URL; they
// are never quoted again.
func runRemove(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) (err error) {
	// A flag set of its own, so that --help is never read as an ID.
	args, err = parseFlags(newFlags("remove", stderr), args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usagef("remove needs an article ID or URL")
	}
	eng, err := openEngine(ctx, cfg, engineOptions{k: cfg.K, maybeEmpty: true}, logger, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, eng.close()) }()
	var missing []string
	for _, arg := range args {
		ids, err := eng.ingest.Remove(ctx, arg)
		if errors.Is(err, ingest.ErrNoArticle) {
			missing = append(missing, arg)
			continue
		}
		if err != nil {
			return fmt.Errorf("remove %s: %w", arg, err)
		}
		// A feed that still lists it must not bring it back.
		if eng.state != nil {
			if err := ingest.RecordRemoved(eng.state, ids, time.Now()); err != nil {
				return err
			}
		}
		for _, id := range ids {
			fmt.Fprintf(stdout, "removed %s\n", id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no article with the ID or URL %s in %s", strings.Join(missing, ", "), cfg.DataDir)
	}
	return nil
}

// status is what `bot status --json` prints.
type status struct {
	ingest.Summary
	Feeds      []ingest.FeedStatus `json:"feeds"`
	IndexBytes int64               `json:"index_bytes"`
	DataDir    string              `json:"data_dir"`
}

// runStatus describes the persistent index without changing anything: it
// opens the index read-only, so it works while the bot runs.
func runStatus(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("status takes no arguments, got %q", rest)
	}
	dir := filepath.Join(cfg.DataDir, "index")
	ix, err := retrieval.New(ctx, statusIndexConfig(cfg, dir, logger))
	if err != nil {
		return fmt.Errorf("open index: %w", err)
	}
	_, size := ix.Files()
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		abs = cfg.DataDir
	}
	st := status{Summary: ingest.Summarize(ix.Articles(), ix.ChunkCount()), Feeds: []ingest.FeedStatus{}, IndexBytes: size, DataDir: abs}
	// The index's figures are worth showing even when the feeds' status
	// cannot be read.
	if feeds, err := feedStatuses(cfg.DataDir); err != nil {
		fmt.Fprintf(stderr, "note: the feeds' status is not shown: %v\n", err)
	} else {
		st.Feeds = append(st.Feeds, feeds...)
	}
	if *asJSON {
		return writeJSONLine(stdout, st)
	}
	fmt.Fprintf(stdout, "data directory: %s\n", st.DataDir)
	fmt.Fprintf(stdout, "articles: %d (%d chunks), index %.1f MB on disk\n", st.Articles, st.Chunks, float64(st.IndexBytes)/1e6)
	if st.Newest != "" {
		fmt.Fprintf(stdout, "dates: %s to %s\n", st.Oldest[:10], st.Newest[:10])
	}
	outlets := make([]string, 0, len(st.Outlets))
	for o := range st.Outlets {
		outlets = append(outlets, o)
	}
	slices.SortFunc(outlets, func(a, b string) int {
		if d := st.Outlets[b] - st.Outlets[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, o := range outlets {
		fmt.Fprintf(stdout, "  %5d  %s\n", st.Outlets[o], o)
	}
	fmt.Fprintf(stdout, "feeds: %d\n", len(st.Feeds))
	for _, f := range st.Feeds {
		fmt.Fprintf(stdout, "  %s (%s): last poll %s, %s\n", f.URL, f.Title, f.LastPoll.Local().Format(time.DateTime), f.LastResult)
	}
	return nil
}

// feedStatuses reads the feeds' status from the store in dataDir. While
// another process (the running bot, which polls the feeds) has the store
// open, bbolt lets no second process open its file, so the status is read
// from a copy of the file taken when two reads in a row agree (no commit
// in between).
func feedStatuses(dataDir string) ([]ingest.FeedStatus, error) {
	state, err := store.Open(dataDir, 0)
	if errors.Is(err, store.ErrReadOnly) {
		state, err = store.OpenReadOnly(dataDir, 0)
	}
	if errors.Is(err, store.ErrLocked) {
		snap, serr := snapshotStore(dataDir)
		if serr != nil {
			return nil, fmt.Errorf("the bot has its state open, and a copy could not be read: %w", serr)
		}
		defer os.RemoveAll(snap)
		state, err = store.Open(snap, 0)
	}
	if err != nil {
		return nil, err
	}
	defer state.Close()
	var out []ingest.FeedStatus
	err = state.Each(ingest.FeedsBucket, func(_ string, v []byte) error {
		var f ingest.FeedStatus
		if json.Unmarshal(v, &f) == nil {
			f.GUIDs = nil
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

// maxStoreSnapshot bounds the store file `bot status` copies.
const maxStoreSnapshot = 64 << 20

// snapshotStore copies the store file of dataDir into a new temporary
// directory, once two reads of it in a row are equal, and returns the
// directory.
func snapshotStore(dataDir string) (string, error) {
	path := filepath.Join(dataDir, store.FileName)
	prev, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for range 5 {
		if len(prev) > maxStoreSnapshot {
			return "", fmt.Errorf("%s is over %d MB", path, maxStoreSnapshot>>20)
		}
		cur, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		if bytes.Equal(prev, cur) {
			dir, err := os.MkdirTemp("", "briefbot-status-")
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(dir, store.FileName), cur, 0o600); err != nil {
				os.RemoveAll(dir)
				return "", err
			}
			return dir, nil
		}
		prev = cur
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("the store kept changing while it was read")
}

// statusIndexConfig opens the index read-only under the embedding model it
// was made with, with an embedding function that is never called (status
// embeds nothing), so that nothing is indexed again.
func statusIndexConfig(cfg config, dir string, logger *slog.Logger) retrieval.Config {
	rc := retrieval.Config{Dir: dir, ReadOnly: true, Logger: logger}
	if cfg.ModelEmbeddings {
		rc.EmbedModel = embedModelName(cfg)
		rc.Embed = func(context.Context, string) ([]float32, error) {
			return nil, errors.New("status embeds nothing")
		}
	}
	return rc
}
