// Package briefing builds the daily briefing: the day's articles grouped into
// stories, each point backed by a verified quote, with disagreements between
// outlets in plain sight.
//
// A Builder picks the articles of a day (or of a topic), groups them into
// stories by content similarity, and writes each story as a headline, two to
// four points with verbatim quotes, the outlets that carried it and the facts
// they report differently. Without a model the briefing is extractive; with
// one (Options.Write) the model writes it and every quote it gives is
// verified before it is shown. State remembers what was posted to a channel,
// so that the next briefing says what changed (StateStore and RunLog read
// what older versions kept in files); Schedule says when it is due every
// day; WatchDir picks up new article files.
//
// The JSON form of Briefing is stable; see README.md in this directory.
package briefing

import (
	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
)

// Briefing is a summary of a day's (or a topic's) articles. Its JSON form is
// the stable shape `bot briefing --json` prints.
type Briefing struct {
	// Date is the day covered, YYYY-MM-DD, or "" when the articles' dates
	// are unknown (or for a topic briefing over all days).
	Date  string `json:"date"`
	Topic string `json:"topic,omitempty"`
	// Articles is the number of articles the briefing covers (the day's or
	// the topic's), those of stories left out for length included.
	Articles int `json:"articles"`
	// Stories are ordered by how many outlets carried them, most first.
	Stories []Story `json:"stories"`
	// Citations are numbered across the whole briefing.
	Citations []citation.Citation `json:"citations"`
	Mode      string              `json:"mode"` // "extractive" or "model"
	Notes     []string            `json:"notes,omitempty"`
	// Since is when the previous briefing to the same place was posted
	// (RFC 3339), when the request named one; the stories then say whether
	// they are New or Updated.
	Since string `json:"since,omitempty"`
}

// Story is a group of articles about the same event.
type Story struct {
	// Key identifies the story for "what changed": the ID of its
	// representative article.
	Key      string   `json:"key"`
	Headline string   `json:"headline"`
	Outlets  []string `json:"outlets"`
	Articles []string `json:"articles"` // article IDs
	// Points are two to four claims, each with its citations.
	Points        []answer.Sentence     `json:"points"`
	Disagreements []answer.Disagreement `json:"disagreements,omitempty"`
	// Threads split a story that fills the briefing into its strands (the
	// security guarantees, the summit plans, the troops...), each with its
	// own headline, points and articles; omitted for other stories.
	Threads []Thread `json:"threads,omitempty"`
	// New is true when the story was not in the previous briefing posted to
	// the same place; Updated when it has articles that one did not, listed
	// in NewArticles.
	New         bool     `json:"new,omitempty"`
	Updated     bool     `json:"updated,omitempty"`
	NewArticles []string `json:"new_articles,omitempty"`
}

// Thread is one strand of a story: the points of the story's articles that
// share its key terms.
type Thread struct {
	Headline string `json:"headline"`
	// Points are one to three claims, none repeating a point of the story
	// or of another thread.
	Points   []answer.Sentence `json:"points"`
	Outlets  []string          `json:"outlets"`
	Articles []string          `json:"articles"` // article IDs of the points, oldest first
}

// Modes of a briefing.
const (
	ModeExtractive = "extractive"
	ModeModel      = "model"
)
