//go:build unix

package retrieval

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// fileMap is a read-only mapping of a whole file.
type fileMap struct {
	data     []byte
	unmapped atomic.Bool
}

// mapFile maps the file at path, read-only.
func mapFile(path string) (*fileMap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() <= 0 || fi.Size() != int64(int(fi.Size())) {
		return nil, errNoMap
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &fileMap{data: data}, nil
}

// unmap releases the mapping.
func (m *fileMap) unmap() {
	if m.unmapped.CompareAndSwap(false, true) {
		unix.Munmap(m.data)
	}
}

// drop gives back the mapped pages of bytes [lo, hi): they leave the
// process's resident set, and are read again from the file (the page
// cache) if touched again.
func (m *fileMap) drop(lo, hi int64) {
	page := int64(os.Getpagesize())
	lo, hi = lo/page*page, min((hi+page-1)/page*page, int64(len(m.data)))
	if lo >= hi || lo < 0 {
		return
	}
	unix.Madvise(m.data[lo:hi], unix.MADV_DONTNEED)
}
