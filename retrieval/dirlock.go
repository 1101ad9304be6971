package retrieval

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// LockFile is the file in an index directory whose lock its writer holds
// from New to Close. The file stays when the lock is dropped: only the
// lock on it means anything, and the kernel drops that when its process
// ends, however it ends, so a crash leaves no stale lock. A ReadOnly index
// neither takes nor needs it. A writer whose LockFile was deleted or
// replaced (taken for a stale lock) writes no more (checkHeld).
const LockFile = "LOCK"

// ErrLocked is the error (wrapped) of writing to an index directory that
// another writer holds: New of a second writer, while the first one (in
// another process, or an Index of this one that is not closed) holds the
// directory; or a write of a closed Index after another writer changed
// the index.
var ErrLocked = errors.New("index directory held by another writer")

// errHeld is the error of a lock on path that another holds.
func errHeld(path string) error {
	return fmt.Errorf("lock index: %w: %s is locked by another process, or by an Index of this process that is not closed; open the index with ReadOnly to read it beside its writer", ErrLocked, path)
}

// relock takes the directory's lock again for a write after Close, and
// refuses it when another writer changed the index in between: this
// index's view of the files would be stale, and writing from it would
// lose that writer's changes. Callers hold fileMu.
func (ix *Index) relock() error {
	if ix.dir == "" || ix.readOnly {
		return nil
	}
	if ix.files.locked {
		return ix.checkHeld()
	}
	if ix.files.closedLog == staleView {
		return fmt.Errorf("lock index: %w: this Index lost its lock of %s and writes no more; open the index again", ErrLocked, ix.dir)
	}
	f, err := lockDir(ix.dir)
	if err != nil {
		return err
	}
	m, _, err := readManifest(ix.dir)
	if err == nil && !ix.files.unchanged(ix.dir, m) {
		err = fmt.Errorf("lock index: %w: it changed the index in %s after this Index was closed; open the index again", ErrLocked, ix.dir)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return err
	}
	// A writer that began a merge and ended before it named the new base
	// wrote nothing else, but took a number.
	ix.files.man.Next = max(ix.files.man.Next, m.Next)
	ix.files.lock, ix.files.locked = f, true
	return nil
}

// staleView is a size no log has, for closedLog: relock refuses every
// later write of the Index.
const staleView = -2

// checkHeld makes sure, before a write, that the lock this index holds
// still keeps other writers out: that LockFile in its directory is the
// file it locked. A user who took LOCK for a stale lock and deleted or
// replaced it let a second writer in, whose merge would delete what this
// one writes, so this one drops its lock and log and refuses this write
// and every later one. Callers hold fileMu.
func (ix *Index) checkHeld() error {
	if ix.files.lock == nil {
		return nil // this system has no lock
	}
	path := filepath.Join(ix.dir, LockFile)
	held, err := ix.files.lock.Stat()
	if err != nil {
		return fmt.Errorf("lock index: %w", err)
	}
	now, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lock index: %w", err)
	}
	if err == nil && os.SameFile(held, now) {
		return nil
	}
	ix.files.lock.Close()
	if ix.files.log != nil {
		ix.files.log.Close()
		ix.files.log = nil
	}
	ix.files.lock, ix.files.locked, ix.files.closedLog = nil, false, staleView
	return fmt.Errorf("lock index: %w: %s was removed or replaced while this Index held it, so another writer may have opened the index; this Index writes no more: open the index again", ErrLocked, path)
}

// unlock drops the directory's lock, noting what identifies the state of
// the files that the index writes to: another writer changes it with its
// first write. Callers hold fileMu.
func (ix *Index) unlock() error {
	if !ix.files.locked {
		// Not holding the lock, this Index cannot know whether another
		// writer changed the files since it last held it.
		return nil
	}
	ix.files.closedLog = lastLogSize(ix.dir, ix.files.man)
	var err error
	if ix.files.lock != nil {
		err = ix.files.lock.Close()
	}
	ix.files.lock, ix.files.locked = nil, false
	return err
}

// unchanged reports whether m, the manifest in dir, and the files'
// sizes are as the index left them when it dropped the lock: the same base
// and logs, and the last log (which a writer appends to) of the same size.
// The manifest's next number is not compared: the open repairs a damaged
// one in memory only, and relock keeps the larger.
func (f *segFiles) unchanged(dir string, m manifest) bool {
	return m.Base == f.man.Base && slices.Equal(m.Logs, f.man.Logs) && lastLogSize(dir, m) == f.closedLog
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
