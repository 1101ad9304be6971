package slackbot

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"
)

// The "what was wrong?" form that a "Not helpful" click opens.
const (
	callbackFeedbackReason = "feedback_reason"
	blockReason            = "reason"
	blockComment           = "comment"
	maxCommentChars        = 1000
)

// feedbackReasons are the reasons the form offers, by the value recorded
// in FeedbackRecord.Reason, in the order shown.
var feedbackReasons = []struct{ Value, Label string }{
	{"wrong_answer", "Wrong answer"},
	{"missing_source", "Missing source"},
	{"should_have_declined", "Should have declined"},
	{"other", "Other"},
}

// feedbackForm is what the form carries in its private_metadata: the
// record the reason belongs to and the answer it is about.
type feedbackForm struct {
	Key string `json:"key"`
	Ref string `json:"ref"`
}

// recordFeedback stores a "helpful" / "not helpful" click with the answer
// it is about and replaces the message's feedback buttons with a thanks
// line. "Not helpful" also opens the form asking what was wrong; its
// answer is added to the same record.
func (b *Bot) recordFeedback(ctx context.Context, ic slack.InteractionCallback, ref string, helpful bool) {
	rec := FeedbackRecord{
		Time:    b.cfg.Now().UTC(),
		User:    ic.User.ID,
		Channel: interactionChannel(ic),
		Helpful: helpful,
	}
	s, ok := b.answers.Get(ref)
	if ok {
		rec.Kind, rec.Question, rec.Answer, rec.Citations = s.kind, s.question, s.answer, s.citations
	} else {
		// The answer is no longer kept (older than memoryLifetime, or
		// pushed out by newer ones): keep what the clicked message says.
		rec.Answer = ic.Message.Text
		b.log.Info("feedback on an answer no longer kept", "ref", ref)
	}
	key := feedbackKey(rec.Time, newRef())
	if !helpful {
		// First: the trigger_id is good for three seconds only.
		b.openFeedbackForm(ctx, ic, feedbackForm{Key: key, Ref: ref})
	}
	if err := b.feedback.put(ctx, key, rec); err != nil {
		b.log.Error("recording feedback failed", "err", err)
		b.tellInteraction(ctx, ic, "Sorry, I couldn't record your feedback. Please try again later.")
		return
	}
	verdict, noted := "not_helpful", "noted as not helpful."
	if helpful {
		verdict, noted = "helpful", "noted as helpful."
	}
	b.metrics.feedback.WithLabelValues(verdict).Inc()
	b.thankInPlace(ctx, ic, s, ok, ref, noted)
}

// thankInPlace replaces the feedback buttons of the clicked message with
// a thanks line, keeping its other buttons (Share). A message in a channel
// comes with its blocks; a private one (a slash command's reply) does not,
// so its last message is rendered again from the kept answer, and when
// that is gone too the thanks is said privately.
func (b *Bot) thankInPlace(ctx context.Context, ic slack.InteractionCallback, s storedAnswer, kept bool, ref, noted string) {
	blocks, text := ic.Message.Blocks.BlockSet, ic.Message.Text
	if len(blocks) == 0 && kept && s.whole() {
		var md string
		if ic.Container.IsEphemeral {
			md, _ = askedLine("", s.kind, s.question)
		}
		msgs := s.render(renderOpts{ref: ref, share: ic.Container.IsEphemeral, header: md, headerText: md})
		last := msgs[len(msgs)-1]
		blocks, text = last.Blocks, last.Text
	}
	if len(blocks) == 0 {
		// Nothing to replace: thank privately instead.
		b.tellInteraction(ctx, ic, "Thanks: "+noted)
		return
	}
	line := ":pray: Thanks, <@" + ic.User.ID + ">: " + noted
	opts := []slack.MsgOption{slack.MsgOptionBlocks(withThanks(blocks, line)...), slack.MsgOptionText(text, false)}
	var err error
	method := "response_url"
	switch {
	case ic.ResponseURL != "":
		_, _, _, err = b.api.SendMessageContext(ctx, "", append(opts, slack.MsgOptionReplaceOriginal(ic.ResponseURL))...)
	case interactionChannel(ic) != "" && ic.Container.MessageTs != "":
		method = "chat.update"
		_, _, _, err = b.api.UpdateMessageContext(ctx, interactionChannel(ic), ic.Container.MessageTs, opts...)
	}
	if err != nil {
		b.slackError(method, err)
	}
}

// withThanks returns blocks with the feedback buttons taken out of their
// actions block (which goes when no button is left) and line after them as
// a context block.
func withThanks(blocks []slack.Block, line string) []slack.Block {
	out := make([]slack.Block, 0, len(blocks)+1)
	for _, bl := range blocks {
		ab, ok := bl.(*slack.ActionBlock)
		if !ok || ab.Elements == nil {
			out = append(out, bl)
			continue
		}
		var keep []slack.BlockElement
		for _, e := range ab.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok && (btn.ActionID == actionHelpful || btn.ActionID == actionNotHelpful) {
				continue
			}
			keep = append(keep, e)
		}
		if len(keep) > 0 {
			out = append(out, slack.NewActionBlock(ab.BlockID, keep...))
		}
	}
	return append(out, contextBlock(line))
}

// openFeedbackForm opens the form asking what was wrong with an answer.
func (b *Bot) openFeedbackForm(ctx context.Context, ic slack.InteractionCallback, form feedbackForm) {
	if ic.TriggerID == "" {
		return
	}
	meta, err := json.Marshal(form)
	if err != nil {
		b.log.Error("cannot open the feedback form", "err", err)
		return
	}
	if _, err := b.api.OpenViewContext(ctx, ic.TriggerID, feedbackModal(string(meta))); err != nil {
		b.slackError("views.open", err)
	}
}

// feedbackModal is the form: the reasons as radio buttons (one must be
// chosen) and an optional comment.
func feedbackModal(meta string) slack.ModalViewRequest {
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	var opts []*slack.OptionBlockObject
	for _, r := range feedbackReasons {
		opts = append(opts, slack.NewOptionBlockObject(r.Value, plain(r.Label), nil))
	}
	comment := slack.NewPlainTextInputBlockElement(plain("What should it have said or cited?"), blockComment)
	comment.Multiline = true
	comment.MaxLength = maxCommentChars
	commentBlock := slack.NewInputBlock(blockComment, plain("Anything to add?"), nil, comment)
	commentBlock.Optional = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: callbackFeedbackReason,
		Title:      plain("What was wrong?"),
		Submit:     plain("Send"),
		Close:      plain("Skip"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Thanks for flagging this answer. What was wrong with it?", false, false), nil, nil),
			slack.NewInputBlock(blockReason, plain("The answer…"), nil, slack.NewRadioButtonsBlockElement(blockReason, opts...)),
			commentBlock,
		}},
		PrivateMetadata: meta,
	}
}

// planViewSubmission returns the work of a submitted form, or nil for
// forms the bot does not know.
func (b *Bot) planViewSubmission(ic slack.InteractionCallback) func(context.Context) {
	if ic.View.CallbackID != callbackFeedbackReason {
		return nil
	}
	return func(ctx context.Context) { b.recordReason(ctx, ic) }
}

// recordReason adds the reason and comment of a submitted form to the
// feedback record of the click that opened it.
func (b *Bot) recordReason(ctx context.Context, ic slack.InteractionCallback) {
	var form feedbackForm
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &form); err != nil || form.Key == "" {
		b.log.Warn("a feedback form without its record", "err", err)
		return
	}
	var reason, comment string
	if ic.View.State != nil {
		reason = ic.View.State.Values[blockReason][blockReason].SelectedOption.Value
		comment = strings.TrimSpace(ic.View.State.Values[blockComment][blockComment].Value)
	}
	if !knownReason(reason) {
		reason = "other"
	}
	comment = truncateRunes(comment, maxCommentChars)
	rec, ok := b.feedback.get(form.Key)
	if !ok {
		// The click's record was not saved: make it again.
		rec = FeedbackRecord{Time: b.cfg.Now().UTC(), User: ic.User.ID}
		if s, kept := b.answers.Get(form.Ref); kept {
			rec.Kind, rec.Channel, rec.Question, rec.Answer, rec.Citations = s.kind, s.channel, s.question, s.answer, s.citations
		}
	}
	rec.Reason, rec.Comment = reason, comment
	if err := b.feedback.put(ctx, form.Key, rec); err != nil {
		b.log.Error("recording the feedback form failed", "err", err)
		return
	}
	b.metrics.feedbackReasons.WithLabelValues(reason).Inc()
	b.log.Info("feedback reason recorded", "reason", reason, "comment_chars", len(comment))
}

func knownReason(r string) bool {
	for _, k := range feedbackReasons {
		if k.Value == r {
			return true
		}
	}
	return false
}
