package slackbot

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/slack-go/slack"
)

// assistantFake is the part of the fake Slack that keeps reactions,
// assistant threads and streaming messages, with the checks and errors
// Slack's Web API gives. Its fields are guarded by fakeSlack.mu.
type assistantFake struct {
	reactions map[string]bool        // channel/ts/name present
	streams   map[string]*fakeStream // channel/ts -> streaming message
}

// fakeStream is a message made with chat.startStream.
type fakeStream struct {
	Channel, TS, ThreadTS string
	Markdown              string            // the markdown_text chunks, joined
	Tasks                 map[string]string // task id -> "title (status)"
	Blocks                slack.Blocks      // given to chat.stopStream
	Stopped               bool
}

// Stream returns a copy of the streaming message at channel/ts.
func (f *fakeSlack) Stream(channel, ts string) (fakeStream, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.streams[channel+"/"+ts]
	if !ok {
		return fakeStream{}, false
	}
	return *st, true
}

// Sequence returns the successful calls of any of methods, in the order
// they came.
func (f *fakeSlack) Sequence(methods ...string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Status == http.StatusOK && slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Reactions returns the reactions on a message now, sorted by name.
func (f *fakeSlack) Reactions(channel, ts string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	prefix := channel + "/" + ts + "/"
	for k, on := range f.reactions {
		if name, ok := strings.CutPrefix(k, prefix); ok && on {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (f *fakeSlack) serveReaction(w http.ResponseWriter, method string, form url.Values) {
	if f.reactions == nil {
		f.reactions = make(map[string]bool)
	}
	channel, ts, name := form.Get("channel"), form.Get("timestamp"), form.Get("name")
	if channel == "" || ts == "" || name == "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	key := channel + "/" + ts + "/" + name
	switch {
	case method == "reactions.add" && f.reactions[key]:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "already_reacted"})
	case method == "reactions.remove" && !f.reactions[key]:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "no_reaction"})
	default:
		f.reactions[key] = method == "reactions.add"
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	}
}

func (f *fakeSlack) serveAssistant(w http.ResponseWriter, method string, form url.Values) {
	bad := func(e string) { writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e}) }
	if form.Get("channel_id") == "" || form.Get("thread_ts") == "" {
		bad("invalid_arguments")
		return
	}
	switch method {
	case "assistant.threads.setTitle":
		if form.Get("title") == "" {
			bad("invalid_arguments")
			return
		}
	case "assistant.threads.setSuggestedPrompts":
		var prompts []struct {
			Title   string `json:"title"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal([]byte(form.Get("prompts")), &prompts); err != nil || len(prompts) == 0 || len(prompts) > 4 {
			bad("invalid_arguments")
			return
		}
		for _, p := range prompts {
			if p.Title == "" || p.Message == "" {
				bad("invalid_arguments")
				return
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// serveStream speaks chat.startStream, chat.appendStream and
// chat.stopStream: a stream is a reply in a thread; outside a direct
// message it names the user and team it streams to; chunks must be
// valid; appending to or stopping a message that is not streaming fails.
func (f *fakeSlack) serveStream(w http.ResponseWriter, method string, form url.Values) {
	bad := func(e string) { writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e}) }
	if f.streams == nil {
		f.streams = make(map[string]*fakeStream)
	}
	channel := form.Get("channel")
	var chunks []map[string]any
	if raw := form.Get("chunks"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &chunks); err != nil {
			bad("invalid_chunks")
			return
		}
	}
	var st *fakeStream
	switch method {
	case "chat.startStream":
		if channel == "" || form.Get("thread_ts") == "" {
			bad("invalid_arguments")
			return
		}
		if !strings.HasPrefix(channel, "D") && (form.Get("recipient_user_id") == "" || form.Get("recipient_team_id") == "") {
			bad("invalid_arguments")
			return
		}
		st = &fakeStream{Channel: channel, TS: f.nextTS(), ThreadTS: form.Get("thread_ts"), Tasks: map[string]string{}}
		f.streams[channel+"/"+st.TS] = st
	default:
		st = f.streams[channel+"/"+form.Get("ts")]
		if st == nil {
			bad("message_not_found")
			return
		}
		if st.Stopped {
			bad("message_not_in_streaming_state")
			return
		}
	}
	st.Markdown += form.Get("markdown_text")
	for _, c := range chunks {
		switch c["type"] {
		case "markdown_text":
			t, _ := c["text"].(string)
			st.Markdown += t
		case "task_update":
			id, _ := c["id"].(string)
			title, _ := c["title"].(string)
			status, _ := c["status"].(string)
			st.Tasks[id] = title + " (" + status + ")"
		default:
			bad("invalid_chunks")
			return
		}
	}
	if method == "chat.stopStream" {
		st.Stopped = true
		if raw := form.Get("blocks"); raw != "" {
			if err := json.Unmarshal([]byte(raw), &st.Blocks); err != nil {
				bad("invalid_blocks")
				return
			}
		}
		var m slack.Message
		m.Type, m.Channel, m.User, m.BotID, m.Text, m.Timestamp, m.ThreadTimestamp = "message", channel, botUser, botID, st.Markdown, st.TS, st.ThreadTS
		f.messages[channel] = append(f.messages[channel], m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": st.TS})
}
