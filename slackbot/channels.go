package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
)

// channelsBucket holds each channel's settings (channelSettings as JSON),
// keyed by channel ID.
const channelsBucket = "channels"

// Subscription is a channel's daily briefing: posted at Time (such as
// "08:00 Europe/London") on Topic ("" for all stories).
type Subscription struct {
	Channel string `json:"channel"`
	// Time is the time of day and IANA time zone, as briefing.ParseSchedule
	// reads it.
	Time  string `json:"time"`
	Topic string `json:"topic,omitempty"`
	// By is the user who subscribed the channel, At when.
	By string    `json:"by,omitempty"`
	At time.Time `json:"at"`
}

// Scope restricts the answers given in a channel to what it follows: the
// articles of these outlets (matched case-insensitively, in part) and about
// this topic. The zero Scope is everything.
type Scope struct {
	Outlets []string `json:"outlets,omitempty"`
	Topic   string   `json:"topic,omitempty"`
}

// IsZero reports whether the scope restricts nothing.
func (s Scope) IsZero() bool { return len(s.Outlets) == 0 && s.Topic == "" }

// String describes the scope for people: "Reuters or BBC articles about
// “ukraine”".
func (s Scope) String() string {
	what := "articles"
	if len(s.Outlets) > 0 {
		what = strings.Join(s.Outlets, " or ") + " articles"
	}
	if s.Topic != "" {
		what += " about “" + s.Topic + "”"
	}
	return what
}

// ScopedAnswerer is a Service that can answer from part of the articles;
// the bot needs it to honour `/briefing follow`.
type ScopedAnswerer interface {
	AnswerScoped(ctx context.Context, question string, history []answer.Turn, scope Scope) (answer.Answer, error)
}

// channelSettings is what the store keeps for a channel.
type channelSettings struct {
	Channel      string        `json:"channel"`
	Subscription *Subscription `json:"subscription,omitempty"`
	// Unsubscribed turns off the default subscription (BOT_BRIEFING_CHANNEL)
	// for this channel.
	Unsubscribed bool   `json:"unsubscribed,omitempty"`
	Follow       *Scope `json:"follow,omitempty"`
	// LastRun is when the scheduled briefing last ran here (posted or
	// failed), LastBriefing what the last one posted covered.
	LastRun      time.Time       `json:"last_run,omitzero"`
	LastBriefing *briefing.State `json:"last_briefing,omitempty"`
	UpdatedBy    string          `json:"updated_by,omitempty"`
	UpdatedAt    time.Time       `json:"updated_at,omitzero"`
}

// channelBook keeps every channel's settings in memory, written through
// to the store: the process is the data directory's one writer, so the
// copy in memory is never stale.
type channelBook struct {
	st StateStore

	mu   sync.Mutex
	byID map[string]channelSettings
	// wake is closed and replaced when a subscription changes, so the
	// scheduler looks again.
	wake chan struct{}
}

func openChannelBook(st StateStore) (*channelBook, error) {
	cb := &channelBook{st: st, byID: map[string]channelSettings{}, wake: make(chan struct{})}
	err := st.Each(channelsBucket, func(k string, v []byte) error {
		var cs channelSettings
		if err := json.Unmarshal(v, &cs); err != nil {
			return fmt.Errorf("channel %s: %w", k, err)
		}
		cs.Channel = k
		cb.byID[k] = cs
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read channel settings: %w", err)
	}
	return cb, nil
}

// get returns a channel's settings (zero ones, with the channel set, when
// it has none).
func (cb *channelBook) get(channel string) channelSettings {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cs, ok := cb.byID[channel]
	if !ok {
		cs.Channel = channel
	}
	return cs
}

// all returns every channel's settings, by channel ID.
func (cb *channelBook) all() []channelSettings {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	out := make([]channelSettings, 0, len(cb.byID))
	for _, cs := range cb.byID {
		out = append(out, cs)
	}
	slices.SortFunc(out, func(a, b channelSettings) int { return strings.Compare(a.Channel, b.Channel) })
	return out
}

// update changes a channel's settings durably and returns them. The
// change is kept in memory only once the store has it.
func (cb *channelBook) update(channel string, change func(*channelSettings)) (channelSettings, error) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cs, ok := cb.byID[channel]
	if !ok {
		cs.Channel = channel
	}
	before := cs.Subscription
	beforeOff := cs.Unsubscribed
	change(&cs)
	raw, err := json.Marshal(cs)
	if err != nil {
		return channelSettings{}, fmt.Errorf("save settings of %s: %w", channel, err)
	}
	if err := cb.st.Batch(channelsBucket, channel, raw); err != nil {
		return channelSettings{}, fmt.Errorf("save settings of %s: %w", channel, err)
	}
	cb.byID[channel] = cs
	if before != cs.Subscription || beforeOff != cs.Unsubscribed {
		close(cb.wake)
		cb.wake = make(chan struct{})
	}
	return cs, nil
}

// remember changes a channel's settings in memory only: the fallback when
// the store fails.
func (cb *channelBook) remember(channel string, change func(*channelSettings)) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cs, ok := cb.byID[channel]
	if !ok {
		cs.Channel = channel
	}
	change(&cs)
	cb.byID[channel] = cs
}

// changed returns a channel closed at the next change of a subscription.
func (cb *channelBook) changed() <-chan struct{} {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.wake
}

// channelScope returns what answers given in channel may quote: the zero
// Scope when the channel follows everything.
func (b *Bot) channelScope(channel string) Scope {
	if channel == "" {
		return Scope{}
	}
	if f := b.channels.get(channel).Follow; f != nil {
		return *f
	}
	return Scope{}
}

// answerIn answers a question asked in channel, from what the channel
// follows; a scoped answer says so in its notes.
func (b *Bot) answerIn(ctx context.Context, channel, question string, history []answer.Turn) (answer.Answer, error) {
	scope := b.channelScope(channel)
	if scope.IsZero() {
		return b.svc.Answer(ctx, question, history)
	}
	sa, ok := b.svc.(ScopedAnswerer)
	if !ok {
		// follow is refused without one; settings from an older setup
		// must not widen answers silently.
		return answer.Answer{}, errors.New("this channel follows part of the articles, and the service cannot scope answers")
	}
	a, err := sa.AnswerScoped(ctx, question, history, scope)
	if err != nil {
		return a, err
	}
	a.Notes = append([]string{"Answered only from " + scope.String() + ", as this channel follows (`/briefing settings`)."}, a.Notes...)
	return a, nil
}

// Channel command verbs of /briefing.
const (
	verbSubscribe   = "subscribe"
	verbUnsubscribe = "unsubscribe"
	verbSettings    = "settings"
	verbFollow      = "follow"
	verbUnfollow    = "unfollow"
)

const usageChannel = "Channel settings: `/briefing subscribe 08:00 Europe/London [topic]` posts this channel's daily briefing at that time (IANA time zone; UTC when none is given), `/briefing unsubscribe` stops it, " +
	"`/briefing follow outlet:Reuters topic:ukraine` answers questions asked here only from those articles (`outlet:Reuters, BBC` for several), `/briefing unfollow` answers from everything again, and `/briefing settings` shows them. Only members of the channel can change them."

// channelCommand is a parsed channel settings command.
type channelCommand struct {
	verb  string
	sub   Subscription // for subscribe
	sched briefing.Schedule
	scope Scope // for follow
}

var scopeKeyRE = regexp.MustCompile(`(?i)\b(outlets?|topic):`)

// parseChannelCommand reads the text after /briefing. ok is false when it
// is not a channel command (a date or topic briefing); err is a sentence
// for the user when it is one but is malformed.
func parseChannelCommand(text string) (cmd channelCommand, ok bool, err error) {
	first, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	rest = strings.TrimSpace(rest)
	cmd.verb = strings.ToLower(first)
	switch cmd.verb {
	case verbUnsubscribe, verbSettings, verbUnfollow:
		if rest != "" {
			return cmd, true, fmt.Errorf("`/briefing %s` takes nothing after it", cmd.verb)
		}
		return cmd, true, nil
	case verbSubscribe:
		return parseSubscribe(rest)
	case verbFollow:
		return parseFollow(rest)
	}
	return channelCommand{}, false, nil
}

func parseSubscribe(rest string) (channelCommand, bool, error) {
	cmd := channelCommand{verb: verbSubscribe}
	words := strings.Fields(rest)
	if len(words) == 0 {
		return cmd, true, errors.New("say when: `/briefing subscribe 08:00 Europe/London [topic]`")
	}
	n := 1
	if len(words) > 1 && (strings.EqualFold(words[1], "am") || strings.EqualFold(words[1], "pm")) {
		n = 2
	}
	clock := strings.Join(words[:n], " ")
	zone := "UTC"
	if len(words) > n && looksLikeZone(words[n]) {
		zone = words[n]
		n++
	}
	sched, err := briefing.ParseSchedule(clock + " " + zone)
	if err != nil {
		return cmd, true, fmt.Errorf("cannot read %q as a time and time zone: give a time such as 08:00 or 8:30am and an IANA zone such as Europe/London", clock+" "+zone)
	}
	cmd.sched = sched
	cmd.sub = Subscription{Time: sched.String(), Topic: strings.Join(words[n:], " ")}
	return cmd, true, nil
}

// looksLikeZone tells a time zone name (Europe/London, UTC) from the first
// word of a topic.
func looksLikeZone(w string) bool {
	if strings.Contains(w, "/") || strings.EqualFold(w, "UTC") || strings.EqualFold(w, "GMT") {
		return true
	}
	_, err := time.LoadLocation(w)
	return err == nil && w == strings.ToUpper(w) && len(w) >= 3 // EST, CET …
}

func parseFollow(rest string) (channelCommand, bool, error) {
	cmd := channelCommand{verb: verbFollow}
	if strings.EqualFold(rest, "all") || strings.EqualFold(rest, "everything") || strings.EqualFold(rest, "none") {
		cmd.verb = verbUnfollow
		return cmd, true, nil
	}
	locs := scopeKeyRE.FindAllStringSubmatchIndex(rest, -1)
	if len(locs) == 0 || strings.TrimSpace(rest[:locs[0][0]]) != "" {
		return cmd, true, errors.New("say what to follow: `/briefing follow outlet:Reuters topic:ukraine` (either or both)")
	}
	for i, l := range locs {
		end := len(rest)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		value := strings.TrimSpace(rest[l[1]:end])
		value = strings.Trim(value, `"“”'`)
		if value == "" {
			return cmd, true, fmt.Errorf("`%s` needs a value, such as `outlet:Reuters` or `topic:ukraine`", rest[l[0]:l[1]])
		}
		if strings.HasPrefix(strings.ToLower(rest[l[2]:l[3]]), "outlet") {
			for _, o := range strings.Split(value, ",") {
				if o = strings.Trim(strings.TrimSpace(o), `"“”'`); o != "" && !slices.ContainsFunc(cmd.scope.Outlets, func(x string) bool { return strings.EqualFold(x, o) }) {
					cmd.scope.Outlets = append(cmd.scope.Outlets, o)
				}
			}
			continue
		}
		if cmd.scope.Topic != "" {
			return cmd, true, errors.New("follow one topic at a time")
		}
		cmd.scope.Topic = value
	}
	return cmd, true, nil
}

// planChannelCommand handles the channel settings commands of /briefing;
// handled is false for any other /briefing text. Showing the settings is
// answered in the ack; a change is made after the ack, once Slack has
// confirmed that the user is a member of the channel.
func (b *Bot) planChannelCommand(cmd slack.SlashCommand, text string) (reply *commandReply, work func(context.Context), handled bool) {
	cc, ok, err := parseChannelCommand(text)
	if !ok {
		return nil, nil, false
	}
	if err != nil {
		msg := escape(err.Error())
		return ephemeral(strings.ToUpper(msg[:1]) + msg[1:] + ".\n\n" + usageChannel), nil, true
	}
	if cc.verb == verbSettings {
		return ephemeral(b.describeSettings(cmd.ChannelID)), nil, true
	}
	if cc.verb == verbFollow {
		if _, ok := b.svc.(ScopedAnswerer); !ok {
			return ephemeral("This bot cannot restrict its answers to some outlets or a topic."), nil, true
		}
	}
	if cmd.ResponseURL == "" {
		return ephemeral(msgFailed), nil, true
	}
	return ephemeral(":hourglass_flowing_sand: Checking that you are a member of this channel…"),
		func(ctx context.Context) { b.changeSettings(ctx, cmd, cc) }, true
}

// changeSettings makes a settings change once the user is known to be a
// member of the channel, and says what changed: in the channel, since it
// changes what everyone there gets.
func (b *Bot) changeSettings(ctx context.Context, cmd slack.SlashCommand, cc channelCommand) {
	member, err := b.isMember(ctx, cmd.ChannelID, cmd.UserID)
	switch {
	case err != nil:
		b.slackError("conversations.members", err)
		msg := "I could not check that you are a member of this channel, so nothing was changed. Please try again in a moment."
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && (se.Err == "channel_not_found" || se.Err == "not_in_channel") {
			msg = "I can't see this channel's members, so nothing was changed: invite me first (`/invite @briefbot`)."
		}
		b.respond(ctx, cmd.ResponseURL, slack.ResponseTypeEphemeral, renderText(msg))
		return
	case !member:
		b.log.Info("channel settings refused: not a member", "channel", cmd.ChannelID, "user", cmd.UserID, "verb", cc.verb)
		b.respond(ctx, cmd.ResponseURL, slack.ResponseTypeEphemeral,
			renderText("Only members of this channel can change its settings, and you are not one: join the channel first. Nothing was changed."))
		return
	}
	if cc.verb == verbFollow {
		if msg := b.unknownOutlets(ctx, cc.scope.Outlets); msg != "" {
			b.respond(ctx, cmd.ResponseURL, slack.ResponseTypeEphemeral, pack(textUnits(msg, msg), renderOpts{}))
			return
		}
	}
	now := b.cfg.Now()
	// said is plain text; {who} stands for the user, mentioned in the
	// message and "A member" in its notification text.
	const who = "{who}"
	var said string
	_, err = b.channels.update(cmd.ChannelID, func(cs *channelSettings) {
		cs.UpdatedBy, cs.UpdatedAt = cmd.UserID, now
		switch cc.verb {
		case verbSubscribe:
			sub := cc.sub
			sub.Channel, sub.By, sub.At = cmd.ChannelID, cmd.UserID, b.clock().Now()
			cs.Subscription, cs.Unsubscribed = &sub, false
			said = fmt.Sprintf("%s subscribed this channel to a daily briefing%s at %s; the next one is due %s.",
				who, topicPart(sub.Topic), sub.Time, formatWhen(cc.sched.Next(b.clock().Now()), cc.sched.Location))
		case verbUnsubscribe:
			had := cs.Subscription != nil || b.isDefaultChannel(cmd.ChannelID) && !cs.Unsubscribed
			cs.Subscription = nil
			cs.Unsubscribed = b.isDefaultChannel(cmd.ChannelID)
			said = who + " unsubscribed this channel from the daily briefing."
			if !had {
				said = "This channel had no daily briefing; nothing to stop."
			}
		case verbFollow:
			scope := cc.scope
			cs.Follow = &scope
			said = who + " set this channel to follow " + scope.String() + ": questions asked here are answered only from them (`/briefing unfollow` to answer from everything)."
		case verbUnfollow:
			cs.Follow = nil
			said = who + " set this channel to follow everything: questions asked here are answered from all the articles."
		}
	})
	if err != nil {
		b.log.Error("channel settings not saved", "channel", cmd.ChannelID, "err", err)
		b.respond(ctx, cmd.ResponseURL, slack.ResponseTypeEphemeral, renderText("Sorry, the settings could not be saved; nothing was changed. Please try again."))
		return
	}
	b.log.Info("channel settings changed", "channel", cmd.ChannelID, "user", cmd.UserID, "verb", cc.verb)
	md := strings.Replace(escape(said), who, "<@"+cmd.UserID+">", 1)
	plain := strings.Replace(said, who, "A member", 1)
	b.respond(ctx, cmd.ResponseURL, slack.ResponseTypeInChannel, pack(textUnits(md, plain), renderOpts{}))
}

// maxMemberPages bounds the pages of conversations.members read for one
// check (1,000 members each).
const maxMemberPages = 50

// isMember reports whether user is a member of channel, from
// conversations.members. A direct message's only members are its two
// people, and a command sent there comes from one of them.
func (b *Bot) isMember(ctx context.Context, channel, user string) (bool, error) {
	if strings.HasPrefix(channel, "D") {
		return true, nil
	}
	cursor := ""
	for range maxMemberPages {
		members, next, err := b.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
		if err != nil {
			return false, fmt.Errorf("conversations.members %s: %w", channel, err)
		}
		if slices.Contains(members, user) {
			return true, nil
		}
		if next == "" {
			return false, nil
		}
		cursor = next
	}
	return false, fmt.Errorf("conversations.members %s: more than %d pages", channel, maxMemberPages)
}

// isDefaultChannel reports whether channel has the default subscription
// (BOT_BRIEFING_CHANNEL).
func (b *Bot) isDefaultChannel(channel string) bool {
	return b.cfg.DefaultBriefing != nil && b.cfg.DefaultBriefing.Channel == channel
}

// describeSettings says what a channel's settings are.
func (b *Bot) describeSettings(channel string) string {
	cs := b.channels.get(channel)
	var lines []string
	sub, isDefault := b.subscriptionOf(cs)
	switch {
	case sub != nil:
		line := "*Daily briefing:* " + sub.Time + escapeText(topicPart(sub.Topic))
		if isDefault {
			line += " (the bot's default, BOT_BRIEFING_CHANNEL)"
		}
		if sched, err := briefing.ParseSchedule(sub.Time); err == nil {
			line += "; next " + formatWhen(sched.Next(b.clock().Now()), sched.Location)
		}
		lines = append(lines, line)
	default:
		lines = append(lines, "*Daily briefing:* none (`/briefing subscribe 08:00 Europe/London` to get one)")
	}
	if cs.Follow != nil {
		lines = append(lines, "*Follows:* "+escapeText(cs.Follow.String())+"; questions asked here are answered only from them")
	} else {
		lines = append(lines, "*Follows:* everything")
	}
	if cs.UpdatedBy != "" {
		lines = append(lines, fmt.Sprintf("Last changed by <@%s> on %s.", cs.UpdatedBy, cs.UpdatedAt.UTC().Format("2 Jan 2006 15:04 UTC")))
	}
	return strings.Join(lines, "\n") + "\n\n" + usageChannel
}

// subscriptionOf returns a channel's subscription: its own, else the
// default one when it is the default channel and did not unsubscribe.
func (b *Bot) subscriptionOf(cs channelSettings) (sub *Subscription, isDefault bool) {
	if cs.Subscription != nil {
		return cs.Subscription, false
	}
	if b.isDefaultChannel(cs.Channel) && !cs.Unsubscribed {
		return b.cfg.DefaultBriefing, true
	}
	return nil, false
}

func topicPart(topic string) string {
	if topic == "" {
		return ""
	}
	return " on “" + topic + "”"
}

// formatWhen shows a time in its zone: "Sat 28 Mar 08:00 GMT".
func formatWhen(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}

// limitedCommand applies the user's rate limit to a settings change (the
// reply alone, such as the settings shown, is not limited).
func (b *Bot) limitedCommand(cmd slack.SlashCommand, reply *commandReply, work func(context.Context)) (*commandReply, func(context.Context)) {
	if work == nil {
		return reply, nil
	}
	if ok, wait := b.limiter.Allow(cmd.UserID); !ok {
		b.metrics.userLimited.Inc()
		return ephemeral(rateLimited(wait)), nil
	}
	return reply, work
}

// unknownOutlets returns, when some of outlets match none of the articles'
// outlets, a sentence saying so with the outlets there are; "" when all
// match (or the service cannot tell).
func (b *Bot) unknownOutlets(ctx context.Context, outlets []string) string {
	lib, ok := b.svc.(Librarian)
	if !ok || len(outlets) == 0 {
		return ""
	}
	l, err := lib.Library(ctx)
	if err != nil {
		b.log.Warn("cannot list the outlets to check a follow", "err", err)
		return ""
	}
	var unknown []string
	for _, o := range outlets {
		want := strings.ToLower(strings.TrimSpace(o))
		if !slices.ContainsFunc(l.Outlets, func(x OutletCount) bool { return strings.Contains(strings.ToLower(x.Name), want) }) {
			unknown = append(unknown, "“"+escapeText(oneLine(o, 80))+"”")
		}
	}
	if len(unknown) == 0 {
		return ""
	}
	var known []string
	for _, x := range l.Outlets[:min(len(l.Outlets), 10)] {
		known = append(known, escapeText(oneLine(x.Name, 80)))
	}
	msg := "None of the articles come from " + strings.Join(unknown, " or ") + ", so nothing was changed."
	if len(known) > 0 {
		msg += " The outlets I have include: " + strings.Join(known, ", ") + "."
	}
	return msg
}
