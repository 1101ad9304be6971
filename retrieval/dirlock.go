package retrieval

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// LockFile is the file in an index directory whose lock its writer holds
// from New to Close.
const LockFile = "LOCK"

// ErrLocked is the error (wrapped) of opening an index directory for
// writing while another writer holds it.
var ErrLocked = errors.New("index directory locked by another writer")

// relock takes the directory's lock again for a write after Close, and
// refuses it when another writer changed the index in between (its
// manifest, or the size of its last log, which a writer appends to): this
// index's view of the files would be stale, and writing from it would lose
// that writer's changes. Callers hold fileMu.
func (ix *Index) relock() error {
	if ix.files.locked || ix.dir == "" || ix.readOnly {
		return nil
	}
	f, err := lockDir(ix.dir)
	if err != nil {
		return err
	}
	m, _, err := readManifest(ix.dir)
	if err == nil && (!sameManifest(m, ix.files.man) || lastLogSize(ix.dir, m) != ix.files.closedLog) {
		err = fmt.Errorf("lock index: %w: the index in %s changed since this Index closed it; open it again", ErrLocked, ix.dir)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return err
	}
	ix.files.lock, ix.files.locked = f, true
	return nil
}

// unlock drops the directory's lock, noting the size of the last log,
// which another writer would append to. Callers hold fileMu.
func (ix *Index) unlock() error {
	ix.files.closedLog = lastLogSize(ix.dir, ix.files.man)
	var err error
	if ix.files.lock != nil {
		err = ix.files.lock.Close()
	}
	ix.files.lock, ix.files.locked = nil, false
	return err
}

// lastLogSize returns the size of the last log m names, -1 for none or
// when it cannot be read.
func lastLogSize(dir string, m manifest) int64 {
	if len(m.Logs) == 0 {
		return -1
	}
	fi, err := os.Stat(filepath.Join(dir, m.Logs[len(m.Logs)-1]))
	if err != nil {
		return -1
	}
	return fi.Size()
}

// sameManifest reports whether a and b name the same files.
func sameManifest(a, b manifest) bool {
	return a.Base == b.Base && a.Next == b.Next && slices.Equal(a.Logs, b.Logs)
}
