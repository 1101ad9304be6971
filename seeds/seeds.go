// Package seeds holds the five seed articles the bot ships with, embedded in
// the binary so that the bot works with no files, keys or downloads, and the
// question sets written over them.
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

// DeskQuestions is the desk question set as JSON (layout:
// evaluation.DeskSet): the questions a briefing desk asks every day, in its
// own words (who, where, when, how long, how many, yes/no, lists,
// overviews, disagreements, quote lookups, typos, follow-ups, out-of-scope
// questions and small talk), each with the phrases its quotes must hold.
// `bot eval` scores it at sentence level.
//
//go:embed desk_questions.json
var DeskQuestions string
