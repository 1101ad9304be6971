//go:build unix

package retrieval

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes, without waiting, the lock that makes its holder the one
// writer of the index in dir: an flock on LockFile there, which the
// kernel drops when the process ends, however it ends. A second writer,
// in another process or in this one, is refused instead of overwriting
// the first one's log and deleting its new base as unnamed files.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock index: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock index: %w: %s is held by another writer (another process, or an Index of this one that is not closed); open the index with ReadOnly to read it beside its writer", ErrLocked, path)
		}
		return nil, fmt.Errorf("lock index %s: %w", path, err)
	}
	return f, nil
}
