package slackbot

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"
)

// TestManifests reads the two app manifests as Slack's manifest schema
// (slack-go's slack.Manifest) and checks them against what the bot does:
// the scopes (each with a comment saying what it is for, no unused
// im:read/im:write), the events the bot handles, the shortcut, the Home
// tab, the assistant view, the commands, and the header's count of
// request_url lines. The mention-only variant reads no channel messages.
func TestManifests(t *testing.T) {
	common := []string{"app_mentions:read", "assistant:write", "im:history", "chat:write", "commands", "files:read", "reactions:write",
		"channels:read", "groups:read"} // conversations.members, for the /briefing settings
	commonEvents := []string{"app_mention", "app_home_opened", "assistant_thread_started", "assistant_thread_context_changed", "message.im"}
	for _, tc := range []struct {
		file             string
		scopes, events   []string
		noScopes, noEvts []string
	}{
		{"../slack-app-manifest.yaml",
			append(slices.Clone(common), "channels:history", "groups:history", "mpim:history"),
			append(slices.Clone(commonEvents), "message.channels", "message.groups", "message.mpim"),
			[]string{"im:read", "im:write"}, nil},
		{"../slack-app-manifest-mention-only.yaml", common, commonEvents,
			[]string{"im:read", "im:write", "channels:history", "groups:history", "mpim:history"},
			[]string{"message.channels", "message.groups", "message.mpim"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var m slack.Manifest
			if err := yaml.Unmarshal(raw, &m); err != nil {
				t.Fatalf("not a manifest: %v", err)
			}
			scopes := m.OAuthConfig.Scopes.Bot
			slices.Sort(scopes)
			want := slices.Sorted(slices.Values(tc.scopes))
			if !slices.Equal(scopes, want) {
				t.Errorf("got bot scopes %v, want %v", scopes, want)
			}
			for _, s := range tc.noScopes {
				if slices.Contains(scopes, s) {
					t.Errorf("scope %s is not used and should not be asked for", s)
				}
			}
			for _, line := range scopeLines(string(raw)) {
				if !strings.Contains(line, "#") {
					t.Errorf("scope line %q has no comment saying what it is for", strings.TrimSpace(line))
				}
			}
			events := m.Settings.EventSubscriptions.BotEvents
			if got, want := slices.Sorted(slices.Values(events)), slices.Sorted(slices.Values(tc.events)); !slices.Equal(got, want) {
				t.Errorf("got events %v, want %v", got, want)
			}
			for _, e := range tc.noEvts {
				if slices.Contains(events, e) {
					t.Errorf("event %s reads channel messages", e)
				}
			}
			if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != "find_source" || m.Features.Shortcuts[0].Type != slack.MessageShortcut {
				t.Errorf("got shortcuts %+v, want the find_source message shortcut", m.Features.Shortcuts)
			}
			if !m.Features.AppHome.HomeTabEnabled || !m.Features.AppHome.MessagesTabEnabled {
				t.Errorf("got app home %+v, want the Home and Messages tabs", m.Features.AppHome)
			}
			if m.Features.AssistantView == nil || m.Features.AssistantView.AssistantDescription == "" {
				t.Error("the assistant view is not enabled")
			}
			var cmds []string
			for _, c := range m.Features.SlashCommands {
				cmds = append(cmds, c.Command)
			}
			if got, want := slices.Sorted(slices.Values(cmds)), slices.Sorted(slices.Values(baseCommands)); !slices.Equal(got, want) {
				t.Errorf("got commands %v, want %v", got, want)
			}
			if !m.Settings.Interactivity.IsEnabled || !m.Settings.SocketModeEnabled {
				t.Errorf("got interactivity %v, socket mode %v; want both on", m.Settings.Interactivity.IsEnabled, m.Settings.SocketModeEnabled)
			}
			urls := len(regexp.MustCompile(`(?m)^\s+# request_url: `).FindAllString(string(raw), -1))
			if urls != 2 || !strings.Contains(string(raw), "the two request_url lines") {
				t.Errorf("the manifest has %d commented request_url lines; its header must count them right (two)", urls)
			}
		})
	}
}

// scopeLines returns the lines listing the bot scopes.
func scopeLines(raw string) []string {
	_, rest, _ := strings.Cut(raw, "    bot:\n")
	var out []string
	for _, l := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(l, "      - ") {
			break
		}
		out = append(out, l)
	}
	return out
}
