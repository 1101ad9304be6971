// Package seeds holds the five seed articles the bot ships with, embedded in
// the binary so that the bot works with no files, keys or downloads, and the
// question set written over them.
package seeds

import "embed"

// FS holds the seed articles as plain-text files named by their stable IDs.
//
//go:embed *.txt
var FS embed.FS

// Questions is the seed question set as JSON: questions the seeds answer,
// each with the articles that answer it, and questions they cannot answer.
// The tests and `bot eval` use it.
//
//go:embed questions.json
var Questions string
