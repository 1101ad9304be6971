package slackbot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// viewSubmissionPayload is the feedback form sent, as Slack sends it.
func viewSubmissionPayload(user, privateMetadata, reason, comment string) map[string]any {
	values := map[string]any{
		blockReason: map[string]any{blockReason: map[string]any{"type": "radio_buttons", "selected_option": map[string]any{
			"text": map[string]any{"type": "plain_text", "text": reason}, "value": reason}}},
		blockComment: map[string]any{blockComment: map[string]any{"type": "plain_text_input", "value": comment}},
	}
	return map[string]any{
		"type": "view_submission", "token": "legacy", "api_app_id": "A1", "trigger_id": "1.2.9",
		"team": map[string]any{"id": "T1", "domain": "fake"},
		"user": map[string]any{"id": user, "username": "ana", "team_id": "T1"},
		"view": map[string]any{
			"id": "V1", "team_id": "T1", "type": "modal", "callback_id": callbackFeedbackReason,
			"private_metadata": privateMetadata, "hash": "1.abc", "blocks": []any{},
			"title": map[string]any{"type": "plain_text", "text": "What was wrong?"},
			"state": map[string]any{"values": values},
		},
		"response_urls": []any{},
	}
}

// TestFeedbackForm: "Not helpful" opens the form (views.open with the
// click's trigger_id) and a thanks line replaces the buttons of the
// answer; the form sent adds its reason and comment to the click's record,
// once. On a private slash command reply, a "Helpful" click keeps the
// Share button. In Socket Mode and over HTTP.
func TestFeedbackForm(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			h, c := startMode(t, mode, nil, nil)
			c.Event("Ev1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
			post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)

			click := blockActionPayload("U1", "C1", "1800000000.000001", actionNotHelpful, buttonValue(t, post.Blocks, actionNotHelpful), h.fake.ResponseURL("fb"))
			click["message"].(map[string]any)["blocks"] = post.Blocks
			c.Interaction(click)
			open := h.fake.WaitCalls(t, "views.open", 1)[0]
			thanks := h.fake.WaitResponses(t, 1)[0]
			h.settle(t)
			var view slack.ModalViewRequest
			if err := json.Unmarshal([]byte(open.Form.Get("view")), &view); err != nil {
				t.Fatalf("views.open view: %v", err)
			}
			if open.Form.Get("trigger_id") != "1.2.3" || view.CallbackID != callbackFeedbackReason || view.PrivateMetadata == "" {
				t.Errorf("got views.open trigger %q, callback %q, metadata %q; want the click's trigger and the feedback form",
					open.Form.Get("trigger_id"), view.CallbackID, view.PrivateMetadata)
			}
			form := screenModal(view)
			for _, want := range []string{"(o) Wrong answer", "(o) Missing source", "(o) Should have declined", "(o) Other", "Anything to add? (optional)"} {
				if !strings.Contains(form, want) {
					t.Errorf("the form lacks %q:\n%s", want, form)
				}
			}
			shown := screen(thanks.Blocks)
			if !thanks.ReplaceOriginal || thanks.Path != "/fb" || !strings.HasSuffix(shown, ":pray: Thanks, <@U1>: noted as not helpful.") ||
				strings.Contains(shown, "Helpful]") || !strings.Contains(shown, "> "+citeBudget.Quote) {
				t.Errorf("got %+v showing\n%s\nwant the answer kept, its buttons replaced by a thanks line", thanks, shown)
			}

			sub := viewSubmissionPayload("U1", view.PrivateMetadata, "missing_source", "It missed the Courier's figure.")
			c.Interaction(sub)
			c.Interaction(sub) // a replay is not recorded twice
			h.settle(t)
			recs, err := h.bot.feedback.List()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Helpful || recs[0].Reason != "missing_source" || recs[0].Comment != "It missed the Courier's figure." ||
				recs[0].Question != "What did the council approve?" || recs[0].Kind != kindAsk || len(recs[0].Citations) != 2 {
				t.Errorf("got records %+v, want one 'not helpful' with the form's reason and comment", recs)
			}

			// A private /ask reply: no message in the click, the Share button stays.
			c.Command(commandPayload("/ask", "Who approved the budget?", h.fake.ResponseURL("cmd")))
			private := h.fake.WaitResponses(t, 2)[1]
			h.settle(t)
			eph := blockActionPayload("U1", "C1", "", actionHelpful, buttonValue(t, private.Blocks, actionHelpful), h.fake.ResponseURL("cmd"))
			eph["trigger_id"] = "1.2.5"
			eph["container"] = map[string]any{"type": "message", "message_ts": "1800000000.000009", "channel_id": "C1", "is_ephemeral": true}
			delete(eph, "message")
			c.Interaction(eph)
			replaced := h.fake.WaitResponses(t, 3)[2]
			h.settle(t)
			shownPrivate := screen(replaced.Blocks)
			if !replaced.ReplaceOriginal || !strings.Contains(shownPrivate, "You asked: Who approved the budget?") ||
				!strings.Contains(shownPrivate, "[:loudspeaker: Share in channel]") || strings.Contains(shownPrivate, "Helpful]") ||
				!strings.Contains(shownPrivate, "noted as helpful") {
				t.Errorf("got private reply replaced by\n%s\nwant it kept with Share and a thanks line", shownPrivate)
			}
			if n := len(h.fake.Calls("views.open")); n != 1 {
				t.Errorf("got %d views.open calls, want 1 (none for a helpful click)", n)
			}
			var out strings.Builder
			all, _ := h.bot.feedback.List()
			if err := WriteFeedback(&out, all); err != nil {
				t.Fatal(err)
			}
			transcript(t, "Feedback that teaches ("+mode+")",
				"#news  ana: @briefbot What did the council approve?  → answer with [Helpful] [Not helpful]",
				"ana clicks [:thumbsdown: Not helpful]; briefbot opens (views.open, trigger 1.2.3):", indent(form),
				"and replaces the buttons (response_url, replace_original):", indent(shown),
				"ana picks Missing source, writes \"It missed the Courier's figure.\" and sends the form (view_submission)",
				"ana clicks [:thumbsup: Helpful] under her private /ask answer; it becomes:", indent(shownPrivate),
				"`bot feedback` lists:", indent(out.String()))
		})
	}
}

// screenModal renders a modal as the user sees it, for transcripts and
// assertions.
func screenModal(v slack.ModalViewRequest) string {
	var lines []string
	if v.Title != nil {
		lines = append(lines, "## "+v.Title.Text)
	}
	for _, b := range v.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.InputBlock:
			label := b.Label.Text
			if b.Optional {
				label += " (optional)"
			}
			lines = append(lines, label)
			switch e := b.Element.(type) {
			case *slack.RadioButtonsBlockElement:
				for _, o := range e.Options {
					lines = append(lines, "  (o) "+o.Text.Text)
				}
			case *slack.PlainTextInputBlockElement:
				lines = append(lines, "  [ "+e.Placeholder.Text+" ]")
			}
		default:
			lines = append(lines, screen(slack.Blocks{BlockSet: []slack.Block{b}}))
		}
	}
	if v.Submit != nil && v.Close != nil {
		lines = append(lines, "["+v.Close.Text+"] ["+v.Submit.Text+"]")
	}
	return strings.Join(lines, "\n")
}

// TestFeedbackOnForgottenAnswer: a click on a private answer no longer
// kept (no message in the click, no answer to render again) is recorded
// with what is known and thanked privately.
func TestFeedbackOnForgottenAnswer(t *testing.T) {
	h, c := startMode(t, "socket", nil, nil)
	click := blockActionPayload("U1", "C1", "", actionHelpful, "no-such-ref", h.fake.ResponseURL("old"))
	click["container"] = map[string]any{"type": "message", "message_ts": "1800000000.000009", "channel_id": "C1", "is_ephemeral": true}
	delete(click, "message")
	c.Interaction(click)
	thanks := h.fake.WaitResponses(t, 1)[0]
	h.settle(t)
	if thanks.ReplaceOriginal || thanks.ResponseType != "ephemeral" || thanks.Text != "Thanks: noted as helpful." {
		t.Errorf("got %+v, want a private thanks", thanks)
	}
	recs, err := h.bot.feedback.List()
	if err != nil || len(recs) != 1 || !recs[0].Helpful || recs[0].Kind != "" {
		t.Errorf("got %+v, %v; want one helpful record without a kind", recs, err)
	}
}
