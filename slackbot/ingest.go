package slackbot

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/briefbot/briefbot/article"
)

// Ingester is implemented by a Service that can add articles shared in a DM.
// An error whose text is meant for the person who shared the article has a
// UserMessage() string method (webpage's errors do); other errors are
// logged, and the person is told only that something went wrong.
type Ingester interface {
	IngestURL(ctx context.Context, rawURL string) (article.Article, error)
	IngestFile(ctx context.Context, name string, data []byte) (article.Article, error)
}

// maxAddsPerMessage is how many links and files one direct message may ask
// the bot to add; the rest are skipped with a note.
const maxAddsPerMessage = 3

// What the bot says about adding articles.
const (
	msgCannotAdd = "I can't add articles here: this briefbot answers questions about the articles it already has. Ask whoever runs it to add the article."
	usageAdd     = "To add an article, send me its link (on its own, or after `add`), or share a .txt, .md or .html file with me here."
	usageAddLine = "• In a direct message, send me a link (or `add LINK`) or share a .txt, .md or .html file, and I add the article so you can ask about it."
)

// fileExt returns the extension of a file kind the bot accepts: kind is a
// file extension (".md"), a Slack file type ("markdown") or a MIME type
// ("text/markdown"); ok is false for other kinds. Extensions map to
// themselves; the others to the extension to give a file whose name has
// none (a snippet called "Untitled", say).
func fileExt(kind string) (ext string, ok bool) {
	switch kind {
	case ".txt", ".md", ".markdown", ".html", ".htm":
		return kind, true
	case "text", "text/plain":
		return ".txt", true
	case "markdown", "text/markdown", "text/x-markdown":
		return ".md", true
	case "html", "text/html":
		return ".html", true
	}
	return "", false
}

// errFileTooLarge ends a download that goes past Config.MaxFileBytes.
var errFileTooLarge = errors.New("file too large")

// bareURL matches an http(s) address written without Slack's <…> markup.
var bareURL = regexp.MustCompile(`(?i)\bhttps?://[^\s<>|]+`)

// addLinks reads the Slack text of a direct message and reports whether it
// asks the bot to add links, and which. It does when the message is only
// links (with white space or punctuation around them), or when it starts
// with "add" or "ingest" (optionally after "please", optionally followed by
// a colon) and has at least one link. A question with a link in it ("What
// does <https://…> say about the budget?") is not: it is answered as a
// question. Slack sends links as <https://…> or <https://…|label>; the
// address is the part before the "|", with Slack's &amp; escapes undone.
// Duplicates are dropped; order is kept.
func addLinks(raw, botUserID string) (urls []string, ok bool) {
	rest := slackMarkup.ReplaceAllStringFunc(raw, func(m string) string {
		target, _, _ := strings.Cut(m[1:len(m)-1], "|")
		if !isHTTP(target) {
			return m // a mention or a channel: cleanText reads it
		}
		urls = append(urls, unescapeSlack(target))
		return " "
	})
	rest = cleanText(rest, botUserID)
	rest = bareURL.ReplaceAllStringFunc(rest, func(u string) string {
		urls = append(urls, strings.TrimRight(u, ".,;:!?)]}\"'”’"))
		return " "
	})
	if len(urls) == 0 {
		return nil, false
	}
	urls = dedupe(urls)
	if !strings.ContainsFunc(rest, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return urls, true
	}
	if addVerb(rest) {
		return urls, true
	}
	return nil, false
}

// addVerb reports whether text starts with "add" or "ingest", optionally
// after "please" and followed by a colon.
func addVerb(text string) bool {
	words := strings.Fields(strings.ToLower(text))
	if len(words) > 0 && strings.Trim(words[0], ",") == "please" {
		words = words[1:]
	}
	if len(words) == 0 {
		return false
	}
	switch strings.TrimRight(words[0], ":,") {
	case "add", "ingest":
		return true
	}
	return false
}

// onlyAddVerb reports whether a message is just "add" or "ingest", with
// nothing to add: the bot then says how to add an article.
func onlyAddVerb(text string) bool {
	switch strings.ToLower(strings.Trim(text, " :.!?")) {
	case "add", "ingest", "please add":
		return true
	}
	return false
}

func isHTTP(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// unescapeSlack undoes Slack's escaping of &, < and > in message text.
func unescapeSlack(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// planAddition returns the work for a direct message that shares files or
// asks the bot to add links, or nil when the message is something else (a
// question, a quote to look up). The text of a message that shares files is
// their caption: links in it are added only when it asks for that, and it
// is not answered as a question.
func (b *Bot) planAddition(me identity, c conversation, e *slackevents.MessageEvent) func(context.Context) {
	var files []slack.File
	if e.SubType == "file_share" && e.Message != nil {
		files = e.Message.Files
	}
	urls, isAdd := addLinks(e.Text, me.userID)
	ing, canAdd := b.svc.(Ingester)
	if len(files) == 0 && !isAdd {
		if onlyAddVerb(cleanText(e.Text, me.userID)) {
			reply := usageAdd
			if !canAdd {
				reply = msgCannotAdd
			}
			return func(ctx context.Context) { b.post(ctx, c.channel, c.threadTS, renderText(reply)) }
		}
		return nil
	}
	if ok, wait := b.limiter.Allow(c.user); !ok {
		b.metrics.userLimited.Inc()
		return func(ctx context.Context) { b.tellPrivately(ctx, c, rateLimited(wait)) }
	}
	if !canAdd {
		return func(ctx context.Context) { b.post(ctx, c.channel, c.threadTS, renderText(msgCannotAdd)) }
	}
	return func(ctx context.Context) { b.add(ctx, c, ing, files, urls) }
}

// add adds the files and links of a direct message, at most
// maxAddsPerMessage of them, within AnswerTimeout, and tells the person
// what was added or why not, one line each.
func (b *Bot) add(ctx context.Context, c conversation, ing Ingester, files []slack.File, urls []string) {
	skipped := 0
	if n := len(files) + len(urls); n > maxAddsPerMessage {
		skipped = n - maxAddsPerMessage
		if len(files) > maxAddsPerMessage {
			files = files[:maxAddsPerMessage]
		}
		urls = urls[:maxAddsPerMessage-len(files)]
	}
	actx, cancel := context.WithTimeout(ctx, b.cfg.AnswerTimeout)
	defer cancel()
	var lines []string
	for _, f := range files {
		lines = append(lines, b.addFile(actx, ing, f))
	}
	for _, u := range urls {
		lines = append(lines, b.addURL(actx, ing, u))
	}
	if skipped > 0 {
		them := "them"
		if skipped == 1 {
			them = "it"
		}
		lines = append(lines, fmt.Sprintf("I add at most %d links or files per message, so I skipped %s; please send %s again.",
			maxAddsPerMessage, plural(skipped, "other", "others"), them))
	}
	b.post(ctx, c.channel, c.threadTS, renderText(strings.Join(lines, "\n")))
}

// addURL adds one shared link and returns the line that tells the person
// how it went.
func (b *Bot) addURL(ctx context.Context, ing Ingester, u string) string {
	a, err := ing.IngestURL(ctx, u)
	if err != nil {
		b.metrics.ingested.WithLabelValues(ingestURL, resultError).Inc()
		b.log.Warn("adding a shared link failed", "url", u, "err", err)
		return "Couldn't add " + u + ": " + addFailure(err)
	}
	b.metrics.ingested.WithLabelValues(ingestURL, resultOK).Inc()
	b.log.Info("added a shared link", "url", u, "id", a.ID, "title", a.Title, "outlet", a.Outlet)
	return added(a)
}

// addFile downloads one shared file from Slack and adds it, and returns
// the line that tells the person how it went. Files of other types, files
// stored outside Slack and files over MaxFileBytes are refused before any
// download.
func (b *Bot) addFile(ctx context.Context, ing Ingester, f slack.File) string {
	if f.FileAccess == "check_file_info" || (f.URLPrivateDownload == "" && f.URLPrivate == "" && f.ID != "") {
		// Slack sometimes sends only the file's ID (Slack Connect, some
		// clients): files.info has the rest.
		info, _, _, err := b.api.GetFileInfoContext(ctx, f.ID, 0, 0)
		if err != nil {
			b.slackError("files.info", err)
			b.metrics.ingested.WithLabelValues(ingestFile, resultError).Inc()
			return "Couldn't add the file you shared: Slack didn't let me see it."
		}
		f = *info
	}
	name := fileName(f)
	refuse := func(reason string, err error) string {
		b.metrics.ingested.WithLabelValues(ingestFile, resultError).Inc()
		b.log.Warn("adding a shared file failed", "file", name, "file_id", f.ID, "size", f.Size, "mimetype", f.Mimetype, "reason", reason, "err", err)
		return "Couldn't add " + name + ": " + reason
	}
	ingestName, ok := acceptedName(name, f)
	if !ok {
		return refuse("I can only add .txt, .md and .html files.", nil)
	}
	if f.IsExternal || f.Mode == "external" {
		return refuse("it is stored outside Slack; send me a link to it instead.", nil)
	}
	dl := f.URLPrivateDownload
	if dl == "" {
		dl = f.URLPrivate
	}
	if dl == "" {
		return refuse("Slack didn't give me a way to download it.", nil)
	}
	limit := b.cfg.MaxFileBytes
	if int64(f.Size) > limit {
		return refuse(fmt.Sprintf("it is too large (%s; the limit is %s).", byteSize(int64(f.Size)), byteSize(limit)), nil)
	}
	w := &cappedBuffer{max: limit}
	if err := b.api.GetFileContext(ctx, dl, w); err != nil {
		switch {
		case errors.Is(err, errFileTooLarge):
			return refuse(fmt.Sprintf("it is too large (over %s, the limit).", byteSize(limit)), err)
		case errors.Is(err, context.DeadlineExceeded):
			return refuse("downloading it from Slack took too long.", err)
		}
		b.slackError("files.download", err)
		return refuse("I couldn't download it from Slack.", err)
	}
	a, err := ing.IngestFile(ctx, ingestName, w.buf)
	if err != nil {
		return refuse(addFailure(err), err)
	}
	b.metrics.ingested.WithLabelValues(ingestFile, resultOK).Inc()
	b.log.Info("added a shared file", "file", name, "bytes", len(w.buf), "id", a.ID, "title", a.Title, "outlet", a.Outlet)
	return added(a)
}

// fileName is the shared file's name without any directory part, or its
// title or ID when it has none.
func fileName(f slack.File) string {
	for _, n := range []string{f.Name, f.Title, f.ID} {
		n = path.Base(strings.ReplaceAll(strings.TrimSpace(n), "\\", "/"))
		if n != "" && n != "." && n != "/" {
			return n
		}
	}
	return "the file"
}

// acceptedName reports whether the bot takes a file of this kind and
// returns the name to give the Ingester: the file's own name when its
// extension is one the bot takes, else (for a snippet without an
// extension) the name with the extension its Slack file type or MIME type
// implies.
func acceptedName(name string, f slack.File) (string, bool) {
	if ext := strings.ToLower(path.Ext(name)); ext != "" {
		if _, ok := fileExt(ext); ok {
			return name, true
		}
		return "", false
	}
	for _, kind := range []string{strings.ToLower(f.Filetype), mimeType(f.Mimetype)} {
		if e, ok := fileExt(kind); ok && !strings.HasPrefix(kind, ".") {
			return name + e, true
		}
	}
	return "", false
}

func mimeType(s string) string {
	t, _, _ := strings.Cut(s, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// added is the confirmation for an added article.
func added(a article.Article) string {
	outlet := strings.TrimSpace(a.Outlet)
	if outlet == "" {
		outlet = "outlet unknown"
	}
	date := a.Date()
	if date == "" {
		date = "date unknown"
	}
	return fmt.Sprintf("Added “%s” (%s, %s) – you can ask about it now.", oneLine(a.DisplayTitle(), 200), oneLine(outlet, 100), date)
}

// msgAddFailed is what the person who shared an article is told when
// adding it failed on the bot's side (the log has the details).
const msgAddFailed = "something went wrong on my side while adding it; please try again later."

// userMessager is an error whose message is written for the person who
// asked (a refused address, a page that is not an article): only such
// errors are shown in Slack. Any other error (a full disk, a read-only
// data directory) is logged and the person gets a plain sentence, never a
// server path.
type userMessager interface {
	UserMessage() string
}

// addFailure is why an article could not be added, for the person who
// shared it.
func addFailure(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "it took too long."
	}
	var um userMessager
	if !errors.As(err, &um) {
		return msgAddFailed
	}
	msg := oneLine(um.UserMessage(), 300)
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "…") && !strings.HasSuffix(msg, "!") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return msg
}

// cappedBuffer collects a download and fails once it passes max bytes.
type cappedBuffer struct {
	buf []byte
	max int64
}

// Write implements io.Writer.
func (w *cappedBuffer) Write(p []byte) (int, error) {
	if int64(len(w.buf))+int64(len(p)) > w.max {
		return 0, errFileTooLarge
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// byteSize is n in bytes, KiB or MiB, for people.
func byteSize(n int64) string {
	unit := func(d float64, name string) string {
		s := strconv.FormatFloat(float64(n)/d, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0") + " " + name
	}
	switch {
	case n >= 1<<20:
		return unit(1<<20, "MiB")
	case n >= 1<<10:
		return unit(1<<10, "KiB")
	}
	return plural(int(n), "byte", "bytes")
}

// usage is the help text, with how to add articles when the service can.
func (b *Bot) usage() string {
	if _, ok := b.svc.(Ingester); !ok {
		return b.withCommandNames(Usage)
	}
	lines := strings.Split(Usage, "\n")
	lines = slices.Insert(lines, len(lines)-1, usageAddLine)
	return b.withCommandNames(strings.Join(lines, "\n"))
}
