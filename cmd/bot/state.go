package main

import (
	"fmt"
	"time"

	"github.com/briefbot/briefbot/store"
)

// openState opens the embedded store in the data directory (store.FileName):
// the small state that survives restarts. Its file lock is also the data
// directory's lock, so a second process writing there gets a clear error
// (store.ErrLocked) instead of losing work. Open it once per process.
func openState(cfg config) (*store.Store, error) {
	s, err := store.Open(cfg.DataDir, time.Second)
	if err != nil {
		return nil, fmt.Errorf("open the bot's state: %w", err)
	}
	return s, nil
}
