// Package briefing builds the daily briefing: the day's articles grouped into
// stories, each point backed by a verified quote, with disagreements between
// outlets in plain sight.
package briefing

import "github.com/briefbot/briefbot/answer"

// Briefing is a summary of a day's (or a topic's) articles. Its JSON form is
// the stable shape `bot briefing --json` prints.
type Briefing struct {
	// Date is the day covered, YYYY-MM-DD, or "" when the articles' dates
	// are unknown.
	Date  string `json:"date"`
	Topic string `json:"topic,omitempty"`
	// Stories are ordered by how many outlets carried them, most first.
	Stories []Story `json:"stories"`
	// Citations are numbered across the whole briefing.
	Citations []answer.Citation `json:"citations"`
	Mode      string            `json:"mode"` // "extractive" or "model"
	Notes     []string          `json:"notes,omitempty"`
}

// Story is a group of articles about the same event.
type Story struct {
	Headline string   `json:"headline"`
	Outlets  []string `json:"outlets"`
	Articles []string `json:"articles"` // article IDs
	// Points are two to four claims, each with its citations.
	Points        []answer.Sentence     `json:"points"`
	Disagreements []answer.Disagreement `json:"disagreements,omitempty"`
	// New is true when the story was not in the previous briefing posted to
	// the same place; Updated when it has articles that one did not.
	New     bool `json:"new,omitempty"`
	Updated bool `json:"updated,omitempty"`
}
