//go:build !unix

package retrieval

import "os"

// lockDir takes no lock where flock is not available: there the caller
// must make sure that one process at a time writes an index directory.
func lockDir(string) (*os.File, error) { return nil, nil }
