//go:build !unix

package retrieval

// fileMap is a mapping of a file; this system has none.
type fileMap struct {
	data []byte
}

// mapFile fails: files are not mapped here.
func mapFile(string) (*fileMap, error) { return nil, errNoMap }

func (m *fileMap) unmap() {}

func (m *fileMap) drop(lo, hi int64) {}
