package slackbot

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/citation"
)

// Slack's limits for one message.
const (
	maxSectionChars  = 3000 // text of a section block or a context element
	maxBlocks        = 50   // blocks in one message
	maxHeaderChars   = 150  // text of a header block
	maxContextElems  = 10   // elements in a context block
	maxFallbackChars = 3900 // the text fallback; Slack truncates past 4,000
)

// Action IDs of the buttons the bot adds to its answers.
const (
	actionHelpful    = "feedback_helpful"
	actionNotHelpful = "feedback_not_helpful"
	actionShare      = "share_answer"
)

// NotCovered is what the bot says when the articles do not support an
// answer.
const NotCovered = "The articles don't cover this."

// message is one Slack message: Block Kit blocks and the plain-text
// fallback Slack shows in notifications.
type message struct {
	Blocks []slack.Block
	Text   string
}

// unit is a run of blocks that belong together (a citation's quote and its
// source line), with their plain-text form for the fallback.
type unit struct {
	blocks []slack.Block
	text   string
}

// renderOpts says what goes around the rendered result.
type renderOpts struct {
	// ref identifies the stored answer the buttons refer to; "" means no
	// buttons.
	ref string
	// share adds a "Share in channel" button (private slash command
	// replies).
	share bool
	// header is a mrkdwn line shown first, already escaped.
	header string
	// headerText is header as plain text for the fallback.
	headerText string
}

// renderAnswer renders a composed answer: the answer, the disagreements,
// each citation's verbatim quote with its article, and the notes.
func renderAnswer(a answer.Answer, o renderOpts) []message {
	return pack(append(answerTextUnits(a), answerTailUnits(a)...), o)
}

// answerTextUnits are the answer's text, or the sentence saying the
// articles do not cover the question.
func answerTextUnits(a answer.Answer) []unit {
	if a.Grounded {
		return textUnits(escapeText(a.Answer), a.Answer)
	}
	u := sectionUnit(":grey_question: "+NotCovered, NotCovered)
	if extra := strings.TrimSpace(a.Answer); extra != "" && !strings.EqualFold(extra, NotCovered) {
		u.blocks = append(u.blocks, contextBlock(escapeText(extra)))
		u.text += "\n" + extra
	}
	return []unit{u}
}

// answerTailUnits are what follows the answer's text: where the sources
// differ, the sources, and the notes.
func answerTailUnits(a answer.Answer) []unit {
	var units []unit
	if len(a.Disagreements) > 0 {
		units = append(units, disagreementUnits(a.Disagreements, a.Citations)...)
	}
	if a.Grounded {
		for _, c := range a.Citations {
			if answer.Shows(a, c) {
				// The answer's text already shows the quote: name the source only.
				units = append(units, unit{blocks: []slack.Block{contextBlock(fmt.Sprintf("[%d] %s", c.N, citationSource(c)))}, text: fmt.Sprintf("[%d] %s", c.N, c.ShortLine())})
				continue
			}
			units = append(units, citationUnit(c))
		}
	}
	return append(units, notesUnit(a.Notes)...)
}

func renderSource(r answer.SourceResult, o renderOpts) []message {
	var units []unit
	switch n := len(r.Matches); n {
	case 0:
		units = append(units, sectionUnit(":mag: I couldn't find this text in the articles.", "I couldn't find this text in the articles."))
	default:
		exact := 0
		for _, m := range r.Matches {
			if m.Exact {
				exact++
			}
		}
		var head string
		switch {
		case exact == n:
			head = fmt.Sprintf("Found in %s:", plural(n, "article", "articles"))
		case exact == 0:
			head = fmt.Sprintf("Not found word for word; the closest %s:", plural(n, "passage", "passages"))
		default:
			head = fmt.Sprintf("Found in %s, plus %s:", plural(exact, "article", "articles"), plural(n-exact, "near match", "near matches"))
		}
		units = append(units, sectionUnit(":mag: "+head, head))
	}
	for _, m := range r.Matches {
		units = append(units, matchUnit(m))
	}
	units = append(units, notesUnit(r.Notes)...)
	return pack(units, o)
}

// renderBriefing renders a briefing: a header, each story with its points,
// outlets and disagreements, followed by the quotes its points cite.
func renderBriefing(b briefing.Briefing, o renderOpts) []message {
	title := "Briefing"
	switch {
	case b.Date != "" && b.Topic != "":
		title = fmt.Sprintf("Briefing for %s: %s", b.Date, b.Topic)
	case b.Date != "":
		title = "Briefing for " + b.Date
	case b.Topic != "":
		title = "Briefing: " + b.Topic
	}
	title = truncateRunes(title, maxHeaderChars)
	units := []unit{{
		blocks: []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, title, false, false))},
		text:   title,
	}}
	if b.Articles > 0 {
		line := fmt.Sprintf("%s from %s", plural(len(b.Stories), "story", "stories"), plural(b.Articles, "article", "articles"))
		if b.Since != "" {
			newN, updN := 0, 0
			for _, s := range b.Stories {
				switch {
				case s.New:
					newN++
				case s.Updated:
					updN++
				}
			}
			line += fmt.Sprintf(" · %d new, %d updated since the last briefing", newN, updN)
		}
		units = append(units, unit{blocks: []slack.Block{contextBlock(escapeText(line))}, text: line})
	}
	if len(b.Stories) == 0 {
		units = append(units, sectionUnit("No articles to summarise for this day or topic.", "No articles to summarise for this day or topic."))
	}
	byN := make(map[int]citation.Citation, len(b.Citations))
	for _, c := range b.Citations {
		byN[c.N] = c
	}
	shown := make(map[int]bool)
	for i, s := range b.Stories {
		if i > 0 {
			units = append(units, unit{blocks: []slack.Block{slack.NewDividerBlock()}})
		}
		units = append(units, storyUnits(s, b.Citations)...)
		points := slices.Clone(s.Points)
		for _, th := range s.Threads {
			points = append(points, th.Points...)
		}
		for _, p := range points {
			for _, n := range p.Citations {
				if c, ok := byN[n]; ok && !shown[n] {
					shown[n] = true
					units = append(units, citationUnit(c))
				}
			}
		}
	}
	for _, c := range b.Citations {
		if !shown[c.N] {
			shown[c.N] = true
			units = append(units, citationUnit(c))
		}
	}
	units = append(units, notesUnit(b.Notes)...)
	return pack(units, o)
}

// renderText renders a short message: usage, an apology, a confirmation.
func renderText(text string) []message {
	return pack(textUnits(escape(text), text), renderOpts{})
}

func storyUnits(s briefing.Story, cites []citation.Citation) []unit {
	var md, plain strings.Builder
	head := oneLine(s.Headline, 300)
	switch {
	case s.New:
		md.WriteString("`NEW` *" + escapeText(head) + "*")
		plain.WriteString("NEW: " + head)
	case s.Updated:
		md.WriteString("`UPDATED` *" + escapeText(head) + "*")
		plain.WriteString("UPDATED: " + head)
		if n := len(s.NewArticles); n > 0 {
			more := "+" + plural(n, "new article", "new articles")
			md.WriteString(" _(" + more + ")_")
			plain.WriteString(" (" + more + ")")
		}
	default:
		md.WriteString("*" + escapeText(head) + "*")
		plain.WriteString(head)
	}
	for _, p := range s.Points {
		marks := p.Marks()
		md.WriteString("\n• " + escapeText(p.Text) + marks)
		plain.WriteString("\n• " + p.Text + marks)
	}
	units := textUnits(md.String(), plain.String())
	for _, th := range s.Threads {
		md.Reset()
		plain.Reset()
		head := oneLine(th.Headline, 300)
		md.WriteString("▸ *" + escape(head) + "*")
		plain.WriteString("▸ " + head)
		for _, p := range th.Points {
			marks := p.Marks()
			md.WriteString("\n    ◦ " + escape(p.Text) + marks)
			plain.WriteString("\n    ◦ " + p.Text + marks)
		}
		units = append(units, textUnits(md.String(), plain.String())...)
		if len(th.Outlets) > 0 {
			line := "Outlets: " + strings.Join(th.Outlets, ", ")
			units = append(units, unit{blocks: []slack.Block{contextBlock(escape(line))}, text: line})
		}
	}
	if len(s.Outlets) > 0 {
		line := "Outlets: " + strings.Join(s.Outlets, ", ")
		units = append(units, unit{blocks: []slack.Block{contextBlock(escapeText(line))}, text: line})
	}
	if len(s.Disagreements) > 0 {
		units = append(units, disagreementUnits(s.Disagreements, cites)...)
	}
	return units
}

// disagreementUnits renders "Outlets differ" lines: what each side says,
// which outlet says it and the citation that backs it.
func disagreementUnits(ds []answer.Disagreement, cites []citation.Citation) []unit {
	outlet := make(map[int]string, len(cites))
	for _, c := range cites {
		outlet[c.N] = c.OutletName()
	}
	var md, plain strings.Builder
	md.WriteString(":warning: *Outlets differ:*")
	plain.WriteString("Outlets differ:")
	for _, d := range ds {
		var mdSides, plainSides []string
		for _, s := range d.Sides {
			who := outlet[s.Citation]
			if who == "" {
				who = "one source"
			}
			mark := ""
			if s.Citation > 0 {
				mark = " [" + strconv.Itoa(s.Citation) + "]"
			}
			mdSides = append(mdSides, fmt.Sprintf("%s says “%s”%s", escapeText(who), escapeText(s.Says), mark))
			plainSides = append(plainSides, fmt.Sprintf("%s says “%s”%s", who, s.Says, mark))
		}
		about := strings.TrimSpace(d.About)
		if about == "" {
			about = d.Kind
		}
		md.WriteString("\n• " + escapeText(about) + ": " + strings.Join(mdSides, "; "))
		plain.WriteString("\n• " + about + ": " + strings.Join(plainSides, "; "))
	}
	return textUnits(md.String(), plain.String())
}

// citationUnit is a citation's verbatim quote as a quote block and a
// context line naming its article.
func citationUnit(c citation.Citation) unit {
	u := unit{blocks: quoteSections(escapeText(c.Quote))}
	src := citationSource(c)
	u.blocks = append(u.blocks, contextBlock(fmt.Sprintf("[%d] %s", c.N, src)))
	u.text = fmt.Sprintf("[%d] “%s” — %s", c.N, oneLine(c.Quote, 500), sourceLine(c))
	return u
}

// matchUnit is one source-lookup match: the sentence around it with the
// match in bold, the article, and how close the match is.
func matchUnit(m answer.SourceMatch) unit {
	sentence := m.Sentence
	if sentence == "" {
		sentence = m.Quote
	}
	var md string
	if i := strings.Index(sentence, m.Quote); m.Quote != "" && i >= 0 && !strings.Contains(m.Quote, "\n") && strings.TrimSpace(m.Quote) == m.Quote {
		md = escapeText(sentence[:i]) + "*" + escapeText(m.Quote) + "*" + escapeText(sentence[i+len(m.Quote):])
	} else {
		md = escapeText(sentence)
	}
	u := unit{blocks: quoteSections(md)}
	var how []string
	if m.Exact {
		how = append(how, "exact match")
	} else {
		how = append(how, fmt.Sprintf("near match (%.0f%% similar)", m.Similarity*100))
	}
	switch m.Altered {
	case "":
	case "trimmed":
		how = append(how, "your text was trimmed: the article's passage is longer")
	case "altered":
		how = append(how, "your text was altered: its wording differs from the article's")
	default:
		how = append(how, "your text differs from the article's: "+m.Altered)
	}
	u.blocks = append(u.blocks, contextBlock(citationSource(m.Citation)+" · "+escape(strings.Join(how, " · "))))
	u.text = fmt.Sprintf("“%s” — %s (%s)", oneLine(sentence, 500), sourceLine(m.Citation), strings.Join(how, "; "))
	return u
}

// citationSource is "Outlet · Title · date · <url|link>" in mrkdwn.
func citationSource(c citation.Citation) string {
	var parts []string
	if c.Outlet != "" {
		parts = append(parts, "*"+escapeText(oneLine(c.Outlet, 100))+"*")
	}
	if c.Title != "" {
		parts = append(parts, escapeText(oneLine(c.Title, 300)))
	}
	if c.PublishedAt != "" {
		parts = append(parts, escapeText(c.PublishedAt))
	}
	if link := safeLink(c.URL); link != "" {
		parts = append(parts, "<"+link+"|link>")
	}
	if len(parts) == 0 {
		parts = append(parts, escapeText(c.Source))
	}
	return strings.Join(parts, " · ")
}

// safeLink returns u escaped for a mrkdwn link, or "" when it is not an
// http(s) URL that can be linked safely.
func safeLink(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	if strings.ContainsAny(u, "|<> \n\t") {
		return ""
	}
	return strings.ReplaceAll(u, "&", "&amp;")
}

func notesUnit(notes []string) []unit {
	var elems []slack.MixedElement
	var plain []string
	for _, n := range notes {
		n = strings.TrimSpace(n)
		if n == "" || len(elems) == maxContextElems {
			continue
		}
		elems = append(elems, slack.NewTextBlockObject(slack.MarkdownType, truncateRunes(":information_source: "+escape(n), maxSectionChars), false, true))
		plain = append(plain, "Note: "+n)
	}
	if len(elems) == 0 {
		return nil
	}
	return []unit{{blocks: []slack.Block{slack.NewContextBlock("", elems...)}, text: strings.Join(plain, "\n")}}
}

// textUnits splits mrkdwn text into sections within Slack's limit; plain
// is its fallback form.
func textUnits(md, plain string) []unit {
	parts := splitText(md, maxSectionChars)
	units := make([]unit, 0, len(parts))
	for i, p := range parts {
		u := unit{blocks: []slack.Block{sectionBlock(p)}}
		if i == 0 {
			u.text = plain
		}
		units = append(units, u)
	}
	return units
}

func sectionUnit(md, plain string) unit {
	return unit{blocks: []slack.Block{sectionBlock(md)}, text: plain}
}

func sectionBlock(md string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, md, false, true), nil, nil)
}

func contextBlock(md string) *slack.ContextBlock {
	return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, truncateRunes(md, maxSectionChars), false, true))
}

// quoteSections renders escaped text as mrkdwn quote sections, each within
// the section limit.
func quoteSections(md string) []slack.Block {
	md = strings.TrimSpace(md)
	if md == "" {
		md = "…"
	}
	quoted := "> " + strings.ReplaceAll(md, "\n", "\n> ")
	var blocks []slack.Block
	for _, p := range splitText(quoted, maxSectionChars-2) {
		if !strings.HasPrefix(p, ">") {
			p = "> " + p
		}
		blocks = append(blocks, sectionBlock(p))
	}
	return blocks
}

// pack lays units out into messages of at most maxBlocks blocks, never
// splitting a unit unless it alone is too big, and puts the buttons on the
// last message.
func pack(units []unit, o renderOpts) []message {
	// The fallback is read as mrkdwn too, and Slack notifies from it: a
	// unit's plain text is escaped like the blocks. The header's is
	// escaped already, and may mention the person who asked.
	for i := range units {
		units[i].text = escape(units[i].text)
	}
	if o.header != "" {
		units = append([]unit{{blocks: []slack.Block{contextBlock(o.header)}, text: o.headerText}}, units...)
	}
	footer := actionsBlock(o)
	limit := maxBlocks
	if footer != nil {
		limit-- // room for the buttons on whichever message is last
	}
	var msgs []message
	var cur message
	var text []string
	flush := func() {
		if len(cur.Blocks) == 0 {
			return
		}
		cur.Text = fallback(text)
		msgs = append(msgs, cur)
		cur, text = message{}, nil
	}
	for _, u := range units {
		for len(u.blocks) > limit { // a unit larger than a message: cut it
			flush()
			cur.Blocks = slices.Clip(u.blocks[:limit])
			text = append(text, u.text)
			u.blocks, u.text = u.blocks[limit:], ""
			flush()
		}
		if len(cur.Blocks)+len(u.blocks) > limit {
			flush()
		}
		cur.Blocks = append(cur.Blocks, u.blocks...)
		if u.text != "" {
			text = append(text, u.text)
		}
	}
	flush()
	if len(msgs) == 0 {
		msgs = append(msgs, message{Blocks: []slack.Block{sectionBlock("…")}, Text: "…"})
	}
	if footer != nil {
		last := &msgs[len(msgs)-1]
		last.Blocks = append(last.Blocks, footer)
	}
	for i := range msgs {
		if msgs[i].Text == "" {
			msgs[i].Text = "(continued)"
		}
	}
	return msgs
}

func actionsBlock(o renderOpts) *slack.ActionBlock {
	if o.ref == "" {
		return nil
	}
	var elems []slack.BlockElement
	if o.share {
		elems = append(elems, slack.NewButtonBlockElement(actionShare, o.ref,
			slack.NewTextBlockObject(slack.PlainTextType, ":loudspeaker: Share in channel", true, false)).WithStyle(slack.StylePrimary))
	}
	elems = append(elems,
		slack.NewButtonBlockElement(actionHelpful, o.ref, slack.NewTextBlockObject(slack.PlainTextType, ":thumbsup: Helpful", true, false)),
		slack.NewButtonBlockElement(actionNotHelpful, o.ref, slack.NewTextBlockObject(slack.PlainTextType, ":thumbsdown: Not helpful", true, false)),
	)
	return slack.NewActionBlock("answer_actions", elems...)
}

// fallback joins escaped parts into a message's notification text.
func fallback(parts []string) string {
	s := strings.TrimSpace(strings.Join(parts, "\n"))
	if utf8.RuneCountInString(s) <= maxFallbackChars {
		return s
	}
	cut := runeOffset(s, maxFallbackChars-1)
	if amp := strings.LastIndexByte(s[:cut], '&'); amp >= 0 && !strings.Contains(s[amp:cut], ";") {
		cut = amp // do not cut "&amp;" in two
	}
	return s[:cut] + "…"
}

// escape makes text safe inside mrkdwn, in blocks and in the fallback
// text: Slack reads &, < and > as markup (mentions such as <!channel>,
// <!subteam^…> and <@U…>, and links such as <https://evil|slack.com>), so
// they become &amp;, &lt; and &gt;, as Slack's formatting reference asks.
func escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeText is escape for text from articles, the model or users, shown
// as it is: Slack has no escape for the emphasis marks *, _, ~ and `, so
// each gets a zero-width joiner on either side, which keeps it from opening
// or closing bold, italics, strike-through or code. Verbatim text stays
// verbatim on screen, and the quote verifier ignores the joiners when such
// text is pasted back.
func escapeText(s string) string {
	return textEscaper.Replace(s)
}

// zwj is the zero-width joiner that neutralises an emphasis mark.
const zwj = "\u200d"

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;",
	"*", zwj+"*"+zwj, "_", zwj+"_"+zwj, "~", zwj+"~"+zwj, "`", zwj+"`"+zwj)

// splitText cuts s into pieces of at most max runes, preferring paragraph,
// line, sentence and word boundaries, and never cutting an HTML entity. Its
// cost is linear in the length of s: each piece looks at no more than the
// max runes it may hold.
func splitText(s string, max int) []string {
	s = strings.TrimSpace(s)
	var out []string
	for {
		cut := runeOffset(s, max)
		if cut >= len(s) {
			break
		}
		head := s[:cut]
		i := breakPoint(head)
		if i <= 0 {
			i = cut
			if amp := strings.LastIndexByte(head, '&'); amp >= 0 && amp > cut-6 && !strings.Contains(head[amp:], ";") && amp > 0 {
				i = amp // do not cut "&amp;" in two
			}
		}
		if piece := strings.TrimSpace(s[:i]); piece != "" {
			out = append(out, piece)
		}
		s = strings.TrimSpace(s[i:])
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// breakPoint returns the byte offset at which to end a piece of head: after
// the last paragraph, line, sentence or word break in its second half.
func breakPoint(head string) int {
	for _, sep := range []string{"\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " "} {
		if j := strings.LastIndex(head, sep); j > 0 && j >= len(head)/2 {
			return j + len(sep)
		}
	}
	if j := strings.LastIndexAny(head, " \n"); j > 0 {
		return j + 1
	}
	return 0
}

// runeOffset returns the byte offset just past the first n runes of s.
func runeOffset(s string, n int) int {
	i := 0
	for range n {
		if i >= len(s) {
			return len(s)
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// truncateRunes cuts s to at most max runes, ending with "…" when cut.
func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return s[:runeOffset(s, max-1)] + "…"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
