package slackbot

import (
	"regexp"
	"strings"
)

// maxCommandName is the longest slash command Slack accepts, "/" included.
const maxCommandName = 32

// commandPrefixRE is what Config.CommandPrefix may hold: what Slack allows
// in a command's name.
var commandPrefixRE = regexp.MustCompile(`^[a-z0-9_-]*$`)

// baseCommands are the bot's slash commands without a prefix.
var baseCommands = []string{"/ask", "/source", "/briefing"}

// checkCommandPrefix returns the problem with prefix, or "".
func checkCommandPrefix(prefix string) string {
	if !commandPrefixRE.MatchString(prefix) {
		return "BOT_COMMAND_PREFIX may hold only lower-case letters, digits, - and _, such as news-"
	}
	if len("/"+prefix+"briefing") > maxCommandName {
		return "BOT_COMMAND_PREFIX is too long: Slack allows commands of up to 32 characters, and /" + prefix + "briefing is longer"
	}
	return ""
}

// baseCommand returns a slash command's name without Config.CommandPrefix,
// lower-cased ("/ask" for "/news-ask"), or "" when it lacks the prefix.
func (b *Bot) baseCommand(command string) string {
	if rest, ok := strings.CutPrefix(strings.ToLower(command), "/"+b.cfg.CommandPrefix); ok {
		return "/" + rest
	}
	return ""
}

// withCommandNames rewrites the help's `/ask`, `/source` and `/briefing`
// to the names the workspace gave them (Config.CommandPrefix).
func (b *Bot) withCommandNames(s string) string {
	if b.cfg.CommandPrefix == "" {
		return s
	}
	var pairs []string
	for _, c := range baseCommands {
		pairs = append(pairs, "`"+c, "`/"+b.cfg.CommandPrefix+c[1:])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
