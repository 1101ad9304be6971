package slackbot

import (
	"testing"
)

// TestGroupDMFollowUp: in a group DM (message.mpim) a reply in a thread
// the bot answered is a follow-up, answered with the thread's history;
// other group DM chatter is left alone.
func TestGroupDMFollowUp(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			h, send := m.start(t, nil, nil)
			const root, reply, chatter = "1700000500.000100", "1900000001.000100", "1900000002.000100" // the replies come after the fake's answer (1800000000.…)
			h.fake.AddMessage("G1", root, "", "U1", "<@UBOT> What did the council approve?")
			send("EvG1", mentionEvent("G1", "U1", root, "", "<@UBOT> What did the council approve?"))
			h.fake.WaitCalls(t, "chat.postMessage", 1)
			h.settle(t)
			h.fake.AddMessage("G1", reply, root, "U2", "And the libraries?")
			send("EvG2", messageEvent("mpim", "G1", "U2", reply, root, "And the libraries?"))
			send("EvG3", messageEvent("mpim", "G1", "U3", chatter, "", "lunch?"))
			posts := h.fake.WaitCalls(t, "chat.postMessage", 2)
			h.settle(t)
			asks := h.svc.Asks()
			if len(asks) != 2 || asks[1].Question != "And the libraries?" || len(asks[1].History) != 2 {
				t.Fatalf("got questions %+v, want the follow-up with the first question and answer as history", asks)
			}
			if len(posts) != 2 || posts[1].Form.Get("thread_ts") != root {
				t.Errorf("got %d posts, the follow-up's in thread %q; want it in %s", len(posts), posts[1].Form.Get("thread_ts"), root)
			}
		})
	}
}
