package slackbot

import (
	"fmt"
	"strings"
	"testing"
)

// TestStreamedAnswer: a model's answer to a mention is streamed in the
// thread to the person who asked: the steps as task cards, each verified
// sentence, then the sources and buttons; nothing else is posted.
func TestStreamedAnswer(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			svc := newModelService()
			h, send := m.start(t, svc, nil)
			send("EvS1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
			start := h.fake.WaitCalls(t, "chat.startStream", 1)[0]
			stop := h.fake.WaitCalls(t, "chat.stopStream", 1)[0]
			h.settle(t)
			for k, want := range map[string]string{"channel": "C1", "thread_ts": mentionTS, "recipient_user_id": "U1", "recipient_team_id": "T1"} {
				if got := start.Form.Get(k); got != want {
					t.Errorf("chat.startStream %s = %q, want %q", k, got, want)
				}
			}
			var appends []string
			for _, c := range h.fake.Calls("chat.appendStream") {
				appends = append(appends, c.Form.Get("chunks"))
			}
			wantAppends := []string{
				`[{"type":"task_update","id":"write","title":"Written from 8 passages","status":"complete"},{"type":"task_update","id":"check","title":"Checking 2 quotes…","status":"in_progress"}]`,
				`[{"type":"markdown_text","text":"The council approved a £4.2m budget on Tuesday. [1]"}]`,
				`[{"type":"markdown_text","text":" Library spending rises by 4%. [2]"}]`,
			}
			if fmt.Sprint(appends) != fmt.Sprint(wantAppends) {
				t.Errorf("got appends\n%s\nwant\n%s", strings.Join(appends, "\n"), strings.Join(wantAppends, "\n"))
			}
			st, ok := h.fake.Stream("C1", stop.Form.Get("ts"))
			if !ok || !st.Stopped {
				t.Fatalf("the stream %s was not stopped: %+v", stop.Form.Get("ts"), st)
			}
			if got, want := fmt.Sprint(st.Tasks), "map[check:Checked 2 quotes (complete) search:Searched 609 articles (complete) write:Written from 8 passages (complete)]"; got != want {
				t.Errorf("got tasks %s, want %s", got, want)
			}
			shown := screen(st.Blocks)
			for _, want := range []string{"[1] *Daily Ledger*", "[2] *Evening Courier*", "[:thumbsup: Helpful] [:thumbsdown: Not helpful]"} {
				if !strings.Contains(shown, want) {
					t.Errorf("the blocks below the stream lack %q:\n%s", want, shown)
				}
			}
			if strings.Contains(shown, "The council approved a £4.2m budget on Tuesday.") {
				t.Errorf("the blocks repeat the streamed answer:\n%s", shown)
			}
			if n := len(h.fake.Calls("chat.postMessage")); n != 0 {
				t.Errorf("got %d chat.postMessage besides the stream, want 0", n)
			}
			if qs := svc.Questions(); len(qs) != 1 || qs[0].Channel != "C1" {
				t.Errorf("got questions %+v, want one scoped to the channel asked in, C1", qs)
			}
			if got := h.fake.Reactions("C1", mentionTS); fmt.Sprint(got) != "[white_check_mark]" {
				t.Errorf("got reactions %v, want [white_check_mark]", got)
			}
			transcript(t, "Streamed model answer ("+m.name+")",
				"#news  ana: @briefbot What did the council approve?",
				"  → chat.startStream thread_ts="+mentionTS+" recipient=U1/T1 chunks="+start.Form.Get("chunks"),
				"  → chat.appendStream "+strings.Join(appends, "\n  → chat.appendStream "),
				"  → chat.stopStream chunks="+stop.Form.Get("chunks")+" blocks:", indent(shown),
				"  what the thread shows:", indent(st.Markdown))
		})
	}
}

// TestStreamRefused: when Slack will not stream (the workspace or the
// channel type does not allow it), the answer comes in one
// chat.postMessage with everything in it.
func TestStreamRefused(t *testing.T) {
	for _, m := range modes() {
		for _, refusal := range []string{"not_allowed", "method_not_supported_for_channel_type"} {
			t.Run(m.name+"/"+refusal, func(t *testing.T) {
				h, send := m.start(t, newModelService(), nil)
				h.fake.Fail("chat.startStream", refusal)
				send("EvR1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
				post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
				h.settle(t)
				if n := len(h.fake.Attempts("chat.startStream")); n != 1 {
					t.Errorf("got %d chat.startStream attempts, want 1", n)
				}
				if n := len(h.fake.Attempts("chat.appendStream")) + len(h.fake.Attempts("chat.stopStream")); n != 0 {
					t.Errorf("got %d appends or stops after the refusal, want 0", n)
				}
				shown := screen(post.Blocks)
				for _, want := range []string{"The council approved a £4.2m budget on Tuesday.", "Library spending rises by 4%.", "[2] *Evening Courier*", "[:thumbsup: Helpful]"} {
					if !strings.Contains(shown, want) {
						t.Errorf("the posted answer lacks %q:\n%s", want, shown)
					}
				}
				if n := len(h.fake.Calls("chat.postMessage")); n != 1 || post.Form.Get("thread_ts") != mentionTS {
					t.Errorf("got %d posts (thread_ts %q), want one in the thread", n, post.Form.Get("thread_ts"))
				}
				// The next answer in that channel is posted without asking.
				const second = "1700000009.000100"
				send("EvR2", mentionEvent("C1", "U1", second, "", "<@UBOT> What did the council approve?"))
				h.fake.WaitCalls(t, "chat.postMessage", 2)
				h.settle(t)
				if n := len(h.fake.Attempts("chat.startStream")); n != 1 {
					t.Errorf("got %d chat.startStream attempts after a refusal and a second answer, want 1", n)
				}
				transcript(t, "Streaming refused: "+refusal+" ("+m.name+")",
					"  → chat.startStream → {\"ok\":false,\"error\":\""+refusal+"\"}",
					"  → chat.postMessage thread_ts="+mentionTS+":", indent(shown))
			})
		}
	}
}

// TestStreamDiverged: when the answer returned is not what was streamed
// (the model's time ran out and the answer was extracted), the stream is
// closed and the whole answer posted after it.
func TestStreamDiverged(t *testing.T) {
	svc := newModelService()
	svc.diverge = true
	h, send := modes()[0].start(t, svc, nil)
	send("EvV1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
	stop := h.fake.WaitCalls(t, "chat.stopStream", 1)[0]
	post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	h.settle(t)
	if stop.Form.Get("blocks") != "" {
		t.Errorf("the diverged stream got the sources: %s", stop.Form.Get("blocks"))
	}
	shown := screen(post.Blocks)
	if !strings.Contains(shown, "The council approved a £4.2m budget on Tuesday.") || strings.Contains(shown, "Library spending") ||
		!strings.Contains(shown, "could not be verified") {
		t.Errorf("the posted answer is not the final one:\n%s", shown)
	}
}

// TestStreamAbandoned: when the answer fails after the stream started, the
// stream is closed with the step marked failed, the apology follows, and
// the :eyes: goes without a :white_check_mark:.
func TestStreamAbandoned(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			svc := newModelService()
			svc.failWriting = true
			h, send := m.start(t, svc, nil)
			send("EvX1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
			stop := h.fake.WaitCalls(t, "chat.stopStream", 1)[0]
			post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)
			if got := stop.Form.Get("chunks"); !strings.Contains(got, `"status":"error"`) {
				t.Errorf("got stop chunks %s, want the step marked failed", got)
			}
			if got := post.Form.Get("text"); got != msgFailed {
				t.Errorf("got post %q, want the apology", got)
			}
			if got := h.fake.Reactions("C1", mentionTS); len(got) != 0 {
				t.Errorf("got reactions %v, want none left", got)
			}
		})
	}
}
