// Package seeds holds the five seed articles the bot ships with, embedded in
// the binary so that the bot works with no files, keys or downloads.
package seeds

import "embed"

// FS holds the seed articles as plain-text files named by their stable IDs.
//
//go:embed *.txt
var FS embed.FS
