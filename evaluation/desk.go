package evaluation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
)

// This file scores answers to a desk question set: the questions a
// briefing desk asks every day, each judged at sentence level, the way a
// user judges an answer (is the phrase that answers the question in the
// quotes shown?), not by which article is cited.

// What a desk question expects of its answer.
const (
	// ExpectAnswer: a grounded answer with at least one citation whose
	// quotes hold the evidence (see DeskQuestion).
	ExpectAnswer = "answer"
	// ExpectDecline: not grounded and no citations.
	ExpectDecline = "decline"
	// ExpectHelp: no citations and a reply of its own (what the bot can
	// answer, or a clarifying question), not the decline sentence.
	ExpectHelp = "help"
)

// DeskSet is the layout of a desk question set file.
type DeskSet struct {
	Questions []DeskQuestion `json:"questions"`
}

// DeskQuestion is one question of a desk question set and what makes its
// answer right.
type DeskQuestion struct {
	// ID names the question in reports (unique within its set).
	ID string `json:"id"`
	// Kind groups questions in reports: who, where, when, duration, count,
	// yesno, list, overview, disagreement, quote, typo, long, followup,
	// standalone, decline, help.
	Kind string `json:"kind"`
	// Question is what the user types.
	Question string `json:"question"`
	// History holds the user's earlier questions in the same conversation,
	// oldest first. Each is answered in turn, as the terminal chat does,
	// and the question is then asked with those turns as its history.
	History []string `json:"history,omitempty"`
	// Expect is ExpectAnswer, ExpectDecline or ExpectHelp.
	Expect string `json:"expect"`
	// Evidence lists groups of alternative phrases. A group is matched when
	// one of its alternatives is found in the answer's cited quotes joined
	// by spaces, compared after FoldText and with white space collapsed.
	// For a disagreement each side is one group; for a list each item is
	// one group.
	Evidence [][]string `json:"evidence,omitempty"`
	// MinGroups is how many groups must match; 0 means all of them.
	MinGroups int `json:"min_groups,omitempty"`
	// MinPoints is the least number of distinct quotes (an overview's
	// points); MinArticles the least number of distinct articles cited.
	MinPoints   int `json:"min_points,omitempty"`
	MinArticles int `json:"min_articles,omitempty"`
	// Articles, when set, are article IDs of which at least one must be
	// cited (a quote lookup must name the right source).
	Articles []string `json:"articles,omitempty"`
	// EveryPoint, when set, are alternative phrases of which every cited
	// quote must hold one (compared as Evidence is): an overview's points
	// must all be about the topic asked for.
	EveryPoint []string `json:"every_point,omitempty"`
	// Standalone marks a complete question asked after an unrelated one:
	// it must not be merged with its history, so its answer must cite
	// exactly what the same question asked alone cites (see ScoreAlone).
	Standalone bool `json:"standalone,omitempty"`
}

// ParseDeskQuestions reads a desk question set and checks it: every
// question has an ID (unique), a kind, a question and a known expectation;
// an expected answer has something to check (evidence or articles); the
// numbers are within range.
func ParseDeskQuestions(data []byte) ([]DeskQuestion, error) {
	var set DeskSet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("desk questions: %w", err)
	}
	if len(set.Questions) == 0 {
		return nil, errors.New("desk questions: none")
	}
	seen := map[string]bool{}
	for i, q := range set.Questions {
		where := fmt.Sprintf("desk question %d (%q)", i+1, q.ID)
		switch {
		case q.ID == "":
			return nil, fmt.Errorf("%s: no id", where)
		case seen[q.ID]:
			return nil, fmt.Errorf("%s: id used twice", where)
		case q.Kind == "":
			return nil, fmt.Errorf("%s: no kind", where)
		case strings.TrimSpace(q.Question) == "":
			return nil, fmt.Errorf("%s: no question", where)
		case q.MinGroups < 0 || q.MinGroups > len(q.Evidence):
			return nil, fmt.Errorf("%s: min_groups %d with %d evidence groups", where, q.MinGroups, len(q.Evidence))
		case q.MinPoints < 0 || q.MinArticles < 0:
			return nil, fmt.Errorf("%s: negative minimum", where)
		case q.Standalone && len(q.History) == 0:
			return nil, fmt.Errorf("%s: standalone without a history", where)
		}
		seen[q.ID] = true
		switch q.Expect {
		case ExpectAnswer:
			if len(q.Evidence) == 0 && len(q.Articles) == 0 {
				return nil, fmt.Errorf("%s: an expected answer needs evidence or articles", where)
			}
			for _, g := range q.Evidence {
				if len(g) == 0 || slices.Contains(g, "") {
					return nil, fmt.Errorf("%s: empty evidence group or phrase", where)
				}
			}
			if slices.Contains(q.EveryPoint, "") {
				return nil, fmt.Errorf("%s: empty every_point phrase", where)
			}
		case ExpectDecline, ExpectHelp:
			if len(q.Evidence) > 0 || len(q.Articles) > 0 || len(q.EveryPoint) > 0 {
				return nil, fmt.Errorf("%s: expect %q takes no evidence or articles", where, q.Expect)
			}
		default:
			return nil, fmt.Errorf("%s: expect %q: want %s, %s or %s", where, q.Expect, ExpectAnswer, ExpectDecline, ExpectHelp)
		}
	}
	return set.Questions, nil
}

// LoadDeskQuestions reads a desk question set file.
func LoadDeskQuestions(path string) ([]DeskQuestion, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load desk questions: %w", err)
	}
	qs, err := ParseDeskQuestions(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return qs, nil
}

// foldText maps typographic quotes and dashes to their ASCII forms.
var foldText = strings.NewReplacer(
	"‘", "'", "’", "'", "‚", "'", "‛", "'", "′", "'",
	"“", `"`, "”", `"`, "„", `"`, "‟", `"`, "″", `"`,
	"‐", "-", "‑", "-", "‒", "-", "–", "-", "—", "-", "―", "-", "−", "-",
)

// FoldText lower-cases s and folds curly quotes and dashes to their ASCII
// forms: the comparison of the scoring rules.
func FoldText(s string) string {
	return foldText.Replace(strings.ToLower(s))
}

// QuotesText is an answer's cited quotes joined by spaces.
func QuotesText(a answer.Answer) string {
	qs := make([]string, len(a.Citations))
	for i, c := range a.Citations {
		qs[i] = c.Quote
	}
	return strings.Join(qs, " ")
}

// Answered reports an answer that counts as answered: grounded with at
// least one citation.
func Answered(a answer.Answer) bool { return a.Grounded && len(a.Citations) > 0 }

// DeskResult is the verdict on one answer to a desk question.
type DeskResult struct {
	ID, Kind string
	Right    bool
	// Why says what was wrong ("" when right), without the question's
	// words, so that a held-out set's report does not give them away.
	Why string
}

// ScoreDesk judges an answer to q.
func ScoreDesk(q DeskQuestion, a answer.Answer) DeskResult {
	r := DeskResult{ID: q.ID, Kind: q.Kind}
	r.Why = deskMiss(q, a)
	r.Right = r.Why == ""
	return r
}

func deskMiss(q DeskQuestion, a answer.Answer) string {
	switch q.Expect {
	case ExpectDecline:
		if a.Grounded || len(a.Citations) > 0 {
			return fmt.Sprintf("answered with %d quotes, want a decline", len(a.Citations))
		}
		return ""
	case ExpectHelp:
		switch {
		case len(a.Citations) > 0:
			return fmt.Sprintf("%d quotes, want a reply with none", len(a.Citations))
		case strings.TrimSpace(a.Answer) == "":
			return "no reply"
		case strings.TrimSpace(a.Answer) == answer.NotCovered:
			return "declined, want a helpful reply"
		}
		return ""
	}
	if !Answered(a) {
		return "declined"
	}
	var miss []string
	text := strings.Join(strings.Fields(FoldText(QuotesText(a))), " ")
	matched := 0
	for _, g := range q.Evidence {
		for _, alt := range g {
			if strings.Contains(text, strings.Join(strings.Fields(FoldText(alt)), " ")) {
				matched++
				break
			}
		}
	}
	want := q.MinGroups
	if want == 0 {
		want = len(q.Evidence)
	}
	if matched < want {
		miss = append(miss, fmt.Sprintf("evidence %d/%d groups, want %d", matched, len(q.Evidence), want))
	}
	if off := offTopic(q.EveryPoint, a); off > 0 {
		miss = append(miss, fmt.Sprintf("%d of %d points off the topic", off, len(a.Citations)))
	}
	points, arts := citedPoints(a)
	if points < q.MinPoints {
		miss = append(miss, fmt.Sprintf("%d points, want %d", points, q.MinPoints))
	}
	if len(arts) < q.MinArticles {
		miss = append(miss, fmt.Sprintf("%d articles, want %d", len(arts), q.MinArticles))
	}
	if len(q.Articles) > 0 && !slices.ContainsFunc(q.Articles, func(id string) bool { return slices.Contains(arts, id) }) {
		miss = append(miss, "expected article not cited")
	}
	return strings.Join(miss, "; ")
}

// offTopic counts the cited quotes that hold none of phrases (none when
// phrases is empty).
func offTopic(phrases []string, a answer.Answer) int {
	if len(phrases) == 0 {
		return 0
	}
	off := 0
	for _, c := range a.Citations {
		text := strings.Join(strings.Fields(FoldText(c.Quote)), " ")
		if !slices.ContainsFunc(phrases, func(p string) bool {
			return strings.Contains(text, strings.Join(strings.Fields(FoldText(p)), " "))
		}) {
			off++
		}
	}
	return off
}

// ScoreAlone adds to r, the verdict on a stand-alone question's answer
// after its history, the check that it was not merged with that history:
// alone is the answer to the same question asked with no history, and both
// must cite the same quotes.
func ScoreAlone(r DeskResult, a, alone answer.Answer) DeskResult {
	if sameQuotes(a, alone) {
		return r
	}
	r.Right = false
	r.Why = strings.TrimPrefix(r.Why+"; merged with the earlier question (quotes differ from the question asked alone)", "; ")
	return r
}

// sameQuotes reports answers citing the same set of quotes.
func sameQuotes(a, b answer.Answer) bool {
	type span struct {
		src        string
		start, end int
	}
	set := func(x answer.Answer) map[span]bool {
		m := map[span]bool{}
		for _, c := range x.Citations {
			m[span{c.Source, c.Start, c.End}] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}

// citedPoints counts an answer's distinct quotes and lists its distinct
// cited articles.
func citedPoints(a answer.Answer) (int, []string) {
	type span struct {
		src        string
		start, end int
	}
	seen := map[span]bool{}
	var arts []string
	for _, c := range a.Citations {
		seen[span{c.Source, c.Start, c.End}] = true
		if !slices.Contains(arts, c.Source) {
			arts = append(arts, c.Source)
		}
	}
	return len(seen), arts
}

// DeskReport sums up the results of a desk question set.
type DeskReport struct {
	Results []DeskResult
}

// Right counts the right answers.
func (r DeskReport) Right() int {
	n := 0
	for _, x := range r.Results {
		if x.Right {
			n++
		}
	}
	return n
}

// Share is the share of right answers (0 with no questions).
func (r DeskReport) Share() float64 {
	if len(r.Results) == 0 {
		return 0
	}
	return float64(r.Right()) / float64(len(r.Results))
}

// WriteTable prints the report as Markdown: right answers by kind, then
// the misses by ID with what was wrong.
func (r DeskReport) WriteTable(w io.Writer, title string) error {
	type tally struct{ n, right int }
	var kinds []string
	by := map[string]*tally{}
	for _, x := range r.Results {
		t := by[x.Kind]
		if t == nil {
			t = &tally{}
			by[x.Kind] = t
			kinds = append(kinds, x.Kind)
		}
		t.n++
		if x.Right {
			t.right++
		}
	}
	fmt.Fprintf(w, "| %s | questions | right |\n|---|---|---|\n", title)
	fmt.Fprintf(w, "| **all** | %d | %d (%.1f%%) |\n", len(r.Results), r.Right(), 100*r.Share())
	for _, k := range kinds {
		t := by[k]
		fmt.Fprintf(w, "| %s | %d | %d |\n", k, t.n, t.right)
	}
	var misses []string
	for _, x := range r.Results {
		if !x.Right {
			misses = append(misses, fmt.Sprintf("%s (%s): %s", x.ID, x.Kind, x.Why))
		}
	}
	if len(misses) > 0 {
		fmt.Fprintf(w, "\nMissed: %s.\n", strings.Join(misses, "; "))
	}
	_, err := fmt.Fprintln(w)
	return err
}

// AnswerHygiene counts readability faults in answers (issue 14, readable
// answers): the same quote cited twice, unbalanced or doubled quotation
// marks in the answer text, and a cited article named by its ID (a file
// name) in the answer text.
type AnswerHygiene struct {
	Answers, RepeatedQuote, Unbalanced, FileNames int
}

// Add counts one answer.
func (h *AnswerHygiene) Add(a answer.Answer) {
	h.Answers++
	points, _ := citedPoints(a)
	if points < len(a.Citations) {
		h.RepeatedQuote++
	}
	if UnbalancedQuotes(a.Answer) {
		h.Unbalanced++
	}
	if slices.ContainsFunc(a.Citations, func(c citation.Citation) bool { return c.Source != "" && strings.Contains(a.Answer, c.Source) }) {
		h.FileNames++
	}
}

// UnbalancedQuotes reports text whose curly double quotation marks do not
// pair up (as many opening as closing, never two openings or two closings
// in a row) or whose straight double quotation marks are odd in number.
func UnbalancedQuotes(text string) bool {
	depth := 0
	for _, r := range text {
		switch r {
		case '“':
			depth++
		case '”':
			depth--
		}
		if depth < 0 || depth > 1 {
			return true
		}
	}
	return depth != 0 || strings.Count(text, `"`)%2 != 0
}

// WriteTable prints the counts as a Markdown table.
func (h AnswerHygiene) WriteTable(w io.Writer) error {
	_, err := fmt.Fprintf(w, "| answer hygiene | answers |\n|---|---|\n| citing the same quote twice | %d/%d |\n| unbalanced or doubled quotation marks | %d/%d |\n| naming a source by its file name or ID | %d/%d |\n\n",
		h.RepeatedQuote, h.Answers, h.Unbalanced, h.Answers, h.FileNames, h.Answers)
	return err
}
