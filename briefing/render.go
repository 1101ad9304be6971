package briefing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/briefbot/briefbot/answer"
)

// Text renders the briefing for a terminal: a title line, then each story
// with its headline, points and their citation markers, outlets and the
// facts the outlets report differently, then the numbered citations with
// their verbatim quotes and sources, then the notes.
func (b Briefing) Text() string {
	var w strings.Builder
	title := "Briefing"
	switch {
	case b.Date != "" && b.Topic != "":
		title = fmt.Sprintf("Briefing for %s on %q", b.Date, b.Topic)
	case b.Date != "":
		title = "Briefing for " + b.Date
	case b.Topic != "":
		title = fmt.Sprintf("Briefing on %q", b.Topic)
	default:
		title = "Briefing (dates unknown)"
	}
	fmt.Fprintf(&w, "%s: %d %s, %d %s", title, len(b.Stories), plural(len(b.Stories), "story", "stories"), b.Articles, plural(b.Articles, "article", "articles"))
	if b.Mode == ModeModel {
		w.WriteString(" (written by the model; quotes verified)")
	}
	w.WriteString("\n")
	if b.Since != "" {
		newN, updN := 0, 0
		for _, s := range b.Stories {
			if s.New {
				newN++
			}
			if s.Updated {
				updN++
			}
		}
		fmt.Fprintf(&w, "Since the last briefing (%s): %d new, %d updated, %d unchanged.\n", b.Since, newN, updN, len(b.Stories)-newN-updN)
	}
	byN := make(map[int]answer.Citation, len(b.Citations))
	for _, c := range b.Citations {
		byN[c.N] = c
	}
	for i, s := range b.Stories {
		w.WriteString("\n")
		head := fmt.Sprintf("%d. %s", i+1, s.Headline)
		switch {
		case s.New:
			head += " [new]"
		case s.Updated:
			head += fmt.Sprintf(" [updated: %d new %s]", len(s.NewArticles), plural(len(s.NewArticles), "article", "articles"))
		}
		w.WriteString(wrap(head, 78, "   ") + "\n")
		for _, p := range s.Points {
			w.WriteString("   • " + wrap(p.Text+marks(p.Text, p.Citations), 73, "     ") + "\n")
		}
		if len(s.Outlets) > 0 {
			w.WriteString("   " + wrap(fmt.Sprintf("Outlets (%d): %s", len(s.Outlets), strings.Join(s.Outlets, ", ")), 75, "     ") + "\n")
		}
		for _, d := range s.Disagreements {
			w.WriteString("   " + wrap(differs(d, byN), 75, "     ") + "\n")
		}
	}
	if len(b.Stories) == 0 {
		w.WriteString("\nNo stories.\n")
	}
	if len(b.Citations) > 0 {
		w.WriteString("\nSources\n")
	}
	for _, c := range b.Citations {
		fmt.Fprintf(&w, "[%d] %s\n", c.N, wrap("“"+collapse(c.Quote)+"”", 74, "    "))
		fmt.Fprintf(&w, "    — %s\n", wrap(SourceLine(c), 72, "      "))
	}
	for _, n := range b.Notes {
		w.WriteString("\n" + wrap("Note: "+n, 78, "  "))
	}
	if len(b.Notes) > 0 {
		w.WriteString("\n")
	}
	return w.String()
}

// differs states a disagreement: "Outlets differ on a figure (purchase,
// weapons): The Guardian says “$100bn” [3]; The Independent says “$90bn” [7]."
func differs(d answer.Disagreement, byN map[int]answer.Citation) string {
	var sides []string
	for _, s := range d.Sides {
		who := "one source"
		if c, ok := byN[s.Citation]; ok {
			who = c.Outlet
			if who == "" {
				who = unknownOutlet(c.Source)
			}
		}
		sides = append(sides, fmt.Sprintf("%s says “%s” [%d]", who, s.Says, s.Citation))
	}
	kind := d.Kind
	if kind == "" {
		kind = "fact"
	}
	about := ""
	if d.About != "" {
		about = " (" + d.About + ")"
	}
	return fmt.Sprintf("Outlets differ on a %s%s: %s.", kind, about, strings.Join(sides, "; "))
}

// SourceLine names a citation's article: outlet, title, author, date, link
// and ID, whichever are known; an unknown date is said to be unknown.
func SourceLine(c answer.Citation) string {
	var parts []string
	if c.Outlet != "" {
		parts = append(parts, c.Outlet)
	}
	if c.Title != "" {
		parts = append(parts, "“"+collapse(c.Title)+"”")
	}
	if c.Author != "" {
		parts = append(parts, c.Author)
	}
	if c.PublishedAt != "" {
		parts = append(parts, c.PublishedAt)
	} else {
		parts = append(parts, "date unknown")
	}
	if c.URL != "" && c.URL != c.Source {
		parts = append(parts, c.URL)
	}
	parts = append(parts, c.Source)
	return strings.Join(parts, " · ")
}

// marks returns " [1][2]" for the citations not already marked in text.
func marks(text string, ns []int) string {
	var b strings.Builder
	for _, n := range ns {
		m := "[" + strconv.Itoa(n) + "]"
		if !strings.Contains(text, m) {
			b.WriteString(m)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return " " + b.String()
}

// wrap folds text at width columns, indenting continuation lines.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		if i > 0 {
			if col+1+n > width {
				b.WriteString("\n" + indent)
				col = len(indent)
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += n
	}
	return b.String()
}
