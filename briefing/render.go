package briefing

import (
	"fmt"
	"strings"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/termtext"
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
	byN := make(map[int]citation.Citation, len(b.Citations))
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
		w.WriteString(termtext.Wrap(head, 78, "   ") + "\n")
		for _, p := range s.Points {
			w.WriteString("   • " + termtext.Wrap(p.Text+p.Marks(), 73, "     ") + "\n")
		}
		for j, th := range s.Threads {
			w.WriteString("   " + termtext.Wrap(fmt.Sprintf("%d.%d %s", i+1, j+1, th.Headline), 75, "       ") + "\n")
			for _, p := range th.Points {
				w.WriteString("       – " + termtext.Wrap(p.Text+p.Marks(), 69, "         ") + "\n")
			}
			if len(th.Outlets) > 0 {
				w.WriteString("       " + termtext.Wrap(fmt.Sprintf("Outlets (%d): %s", len(th.Outlets), strings.Join(th.Outlets, ", ")), 71, "         ") + "\n")
			}
		}
		if len(s.Outlets) > 0 {
			w.WriteString("   " + termtext.Wrap(fmt.Sprintf("Outlets (%d): %s", len(s.Outlets), strings.Join(s.Outlets, ", ")), 75, "     ") + "\n")
		}
		for _, d := range s.Disagreements {
			w.WriteString("   " + termtext.Wrap(differs(d, byN), 75, "     ") + "\n")
		}
	}
	if len(b.Stories) == 0 {
		w.WriteString("\nNo stories.\n")
	}
	if len(b.Citations) > 0 {
		w.WriteString("\nSources\n")
	}
	for _, c := range b.Citations {
		fmt.Fprintf(&w, "[%d] %s\n", c.N, termtext.Wrap("“"+collapse(c.Quote)+"”", 74, "    "))
		fmt.Fprintf(&w, "    — %s\n", termtext.Wrap(c.SourceLine(), 72, "      "))
	}
	for _, n := range b.Notes {
		w.WriteString("\n" + termtext.Wrap("Note: "+n, 78, "  "))
	}
	if len(b.Notes) > 0 {
		w.WriteString("\n")
	}
	return w.String()
}

// differs states a disagreement: "Outlets differ on a figure (purchase,
// weapons): The Guardian says “$100bn” [3]; The Independent says “$90bn” [7]."
func differs(d answer.Disagreement, byN map[int]citation.Citation) string {
	var sides []string
	for _, s := range d.Sides {
		who := "one source"
		if c, ok := byN[s.Citation]; ok {
			who = c.OutletName()
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
