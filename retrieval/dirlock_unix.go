//go:build unix && !aix

package retrieval

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockDir takes, without waiting, the lock that makes its holder the one
// writer of the index in dir: an flock on LockFile there. An flock belongs
// to the open file description, so a second open of the file, in another
// process or in this one, is refused until the holder closes its file or
// ends, however it ends (Go opens files close-on-exec, so no program it
// starts keeps the lock after it). The second writer is refused instead
// of overwriting the first one's log and deleting its new base as
// unnamed.
func lockDir(dir string) (*os.File, error) {
	return lockFile(filepath.Join(dir, LockFile), unix.Flock)
}

// lockFile takes an exclusive flock on the file at path (created if
// need be) through flock, and returns the file that holds it.
func lockFile(path string, flock func(fd int, how int) error) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS) {
			return nil, fmt.Errorf("lock index: %w: a writer needs a directory it can write to; open the index with ReadOnly to read it", err)
		}
		return nil, fmt.Errorf("lock index: %w", err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock index %s: %w", path, err)
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
			if !errors.Is(ferr, unix.EINTR) {
				return
			}
		}
	}); err != nil {
		ferr = err
	}
	if ferr == nil {
		return f, nil
	}
	f.Close()
	switch {
	case errors.Is(ferr, unix.EWOULDBLOCK):
		return nil, errHeld(path)
	case errors.Is(ferr, unix.ENOTSUP), errors.Is(ferr, unix.EOPNOTSUPP), errors.Is(ferr, unix.ENOLCK), errors.Is(ferr, unix.ENOSYS):
		return nil, fmt.Errorf("lock index %s: %w: the file system does not lock files, so nothing would keep a second writer from losing the first one's articles; put the index on a local file system (or an NFS mount with locking)", path, ferr)
	}
	return nil, fmt.Errorf("lock index %s: %w", path, ferr)
}
