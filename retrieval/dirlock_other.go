//go:build !(unix && !aix) && !windows

package retrieval

import "os"

// lockDir takes no lock: this system has no flock. New logs a warning
// that one process at a time must write the index directory.
func lockDir(string) (*os.File, error) { return nil, nil }
