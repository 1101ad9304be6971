package slackbot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// Identities the fake workspace uses.
const (
	testBotToken = "xoxb-test-bot-token"
	testAppToken = "xapp-test-app-token"
	testSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	botUser      = "UBOT"
	botID        = "BBOT"
)

// waitLimit bounds every wait in these tests; nothing should come near it.
const waitLimit = 5 * time.Second

// apiCall is one Web API call the fake received.
type apiCall struct {
	Method string
	Form   url.Values // without the token
	Blocks slack.Blocks
	JSON   json.RawMessage // the body of a method called with JSON (views.publish)
	Status int             // the HTTP status the fake answered
}

// responseCall is one post to a response_url.
type responseCall struct {
	Path            string
	ResponseType    string       `json:"response_type"`
	ReplaceOriginal bool         `json:"replace_original"`
	DeleteOriginal  bool         `json:"delete_original"`
	ThreadTS        string       `json:"thread_ts"`
	Text            string       `json:"text"`
	Blocks          slack.Blocks `json:"blocks"`
}

// fakeSlack is a local Slack: the Web API methods the bot calls, response
// URLs, and a Socket Mode websocket endpoint, all on one httptest server
// speaking Slack's wire protocol.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	calls      []apiCall
	responses  []responseCall
	messages   map[string][]slack.Message // by channel, for conversations.replies
	seq        int
	rateLimit  map[string]int    // method -> 429 answers still to give
	retryAfter string            // Retry-After header on those 429s
	failWith   map[string]string // method -> Slack error to answer with
	fail5xx    map[string]int    // method -> 500 answers still to give
	refuse     map[string]string // method -> Slack error for the next call only
	hangUp     map[string]int    // method -> calls still to read, act on, and then drop the connection without answering
	changed    chan struct{}     // closed and replaced on every change
	files      map[string][]byte // path -> content, served at url_private_download
	fileInfo   map[string]any    // file ID -> file object, for files.info
	downloads  []fileDownload
	members    map[string][]string // channel -> member user IDs, for conversations.members

	assistantFake // reactions, assistant threads and streams (fakeassistant_test.go)

	sockets chan *fakeSocket
}

func newFakeSlack(t testing.TB) *fakeSlack {
	t.Helper()
	f := &fakeSlack{
		t:          t,
		messages:   make(map[string][]slack.Message),
		rateLimit:  make(map[string]int),
		failWith:   make(map[string]string),
		fail5xx:    make(map[string]int),
		refuse:     make(map[string]string),
		hangUp:     make(map[string]int),
		retryAfter: "1",
		changed:    make(chan struct{}),
		sockets:    make(chan *fakeSocket, 4),
		files:      make(map[string][]byte),
		fileInfo:   make(map[string]any),
		members:    map[string][]string{"C1": {"U1", botUser}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", f.serveAPI)
	mux.HandleFunc("/response/", f.serveResponseURL)
	mux.HandleFunc("/link/", f.serveSocket)
	mux.HandleFunc("GET /files-pri/", f.serveFile)
	mux.HandleFunc("GET /signin", f.serveSignIn)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// APIURL is the Web API base URL for Config.APIURL.
func (f *fakeSlack) APIURL() string { return f.srv.URL + "/api/" }

// ResponseURL returns a response_url on the fake.
func (f *fakeSlack) ResponseURL(name string) string { return f.srv.URL + "/response/" + name }

func (f *fakeSlack) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// waitFor blocks until cond (called with the fake locked) holds.
func (f *fakeSlack) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		ok, ch := cond(), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; calls: %s", what, f.summary())
		}
	}
}

func (f *fakeSlack) summary() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for _, c := range f.calls {
		s = append(s, fmt.Sprintf("%s(%d)", c.Method, c.Status))
	}
	for _, r := range f.responses {
		s = append(s, "response_url"+r.Path)
	}
	return strings.Join(s, ", ")
}

// Calls returns the successful calls of a method.
func (f *fakeSlack) Calls(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method && c.Status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// Attempts returns every call of a method, 429s included.
func (f *fakeSlack) Attempts(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls waits until method has been called successfully n times.
func (f *fakeSlack) WaitCalls(t testing.TB, method string, n int) []apiCall {
	t.Helper()
	f.waitFor(t, fmt.Sprintf("%d %s call(s)", n, method), func() bool {
		k := 0
		for _, c := range f.calls {
			if c.Method == method && c.Status == http.StatusOK {
				k++
			}
		}
		return k >= n
	})
	return f.Calls(method)
}

// Responses returns the posts to response URLs.
func (f *fakeSlack) Responses() []responseCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]responseCall(nil), f.responses...)
}

// WaitResponses waits until n posts reached response URLs.
func (f *fakeSlack) WaitResponses(t testing.TB, n int) []responseCall {
	t.Helper()
	f.waitFor(t, fmt.Sprintf("%d response_url post(s)", n), func() bool { return len(f.responses) >= n })
	return f.Responses()
}

// RateLimitOnce makes the next n calls of method answer 429.
func (f *fakeSlack) RateLimit(method string, n int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rateLimit[method] = n
	f.retryAfter = retryAfter
}

// RefuseOnce makes the next call of method fail with a Slack error.
func (f *fakeSlack) RefuseOnce(method, slackErr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse[method] = slackErr
}

// ServerError makes the next n calls of method answer 500.
func (f *fakeSlack) ServerError(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail5xx[method] = n
}

// HangUp makes the next n calls of method succeed but drop the connection
// before answering.
func (f *fakeSlack) HangUp(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hangUp[method] = n
}

// Fail makes every call of method fail with a Slack error.
func (f *fakeSlack) Fail(method, slackErr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWith[method] = slackErr
}

// AddMessage stores a user's message, as Slack would when the user posts
// it, so conversations.replies returns it.
func (f *fakeSlack) AddMessage(channel, ts, threadTS, user, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m slack.Message
	m.Type, m.Channel, m.User, m.Text, m.Timestamp, m.ThreadTimestamp = "message", channel, user, text, ts, threadTS
	f.messages[channel] = append(f.messages[channel], m)
}

func (f *fakeSlack) nextTS() string {
	f.seq++
	return fmt.Sprintf("1800000000.%06d", f.seq)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlack) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "method_not_allowed"})
		return
	}
	var body json.RawMessage
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		raw, err := io.ReadAll(r.Body)
		if err != nil || (len(raw) > 0 && !json.Valid(raw)) {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_json"})
			return
		}
		if len(raw) > 0 {
			body = raw
		}
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	token := r.PostForm.Get("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = bearer
	}
	form := url.Values{}
	for k, v := range r.PostForm {
		if k != "token" {
			form[k] = v
		}
	}
	for k, v := range jsonFields(body) {
		form[k] = v
	}
	call := apiCall{Method: method, Form: form, JSON: body, Status: http.StatusOK}
	if raw := form.Get("blocks"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &call.Blocks); err != nil {
			f.t.Errorf("%s: blocks are not valid Block Kit JSON: %v", method, err)
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.notify()
	wantToken := testBotToken
	if method == "apps.connections.open" {
		wantToken = testAppToken
	}
	if token != wantToken {
		f.calls = append(f.calls, call)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	if f.rateLimit[method] > 0 {
		f.rateLimit[method]--
		call.Status = http.StatusTooManyRequests
		f.calls = append(f.calls, call)
		w.Header().Set("Retry-After", f.retryAfter)
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	if f.fail5xx[method] > 0 {
		f.fail5xx[method]--
		call.Status = http.StatusInternalServerError
		f.calls = append(f.calls, call)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"ok": false, "error": "internal_error"})
		return
	}
	f.calls = append(f.calls, call)
	if f.hangUp[method] > 0 {
		// Slack took the request (a message is posted) but the connection
		// breaks before the answer arrives.
		f.hangUp[method]--
		if method == "chat.postMessage" {
			f.nextTS()
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			f.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	if e := f.refuse[method]; e != "" {
		delete(f.refuse, method)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e})
		return
	}
	if e := f.failWith[method]; e != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": e})
		return
	}
	switch method {
	case "auth.test":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "briefbot", "team_id": "T1", "user_id": botUser, "bot_id": botID})
	case "apps.connections.open":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/link/?ticket=t1"})
	case "chat.postMessage":
		ts := f.nextTS()
		channel := form.Get("channel")
		var m slack.Message
		m.Type, m.Channel, m.User, m.BotID, m.Text, m.Timestamp, m.ThreadTimestamp = "message", channel, botUser, botID, form.Get("text"), ts, form.Get("thread_ts")
		f.messages[channel] = append(f.messages[channel], m)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": ts, "message": m.Msg})
	case "chat.update":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts"), "text": form.Get("text")})
	case "views.open":
		var view struct {
			Type       string `json:"type"`
			CallbackID string `json:"callback_id"`
		}
		if form.Get("trigger_id") == "" || json.Unmarshal([]byte(form.Get("view")), &view) != nil || view.Type != "modal" {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "view": map[string]any{"id": "V1", "team_id": "T1", "type": "modal",
			"callback_id": view.CallbackID, "hash": "1.abc"}})
	case "chat.postEphemeral":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message_ts": f.nextTS()})
	case "files.info":
		file, ok := f.fileInfo[form.Get("file")]
		if !ok {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "file_not_found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "file": file, "comments": []any{},
			"response_metadata": map[string]any{"next_cursor": ""}})
	case "reactions.add", "reactions.remove":
		f.serveReaction(w, method, form)
	case "assistant.threads.setStatus", "assistant.threads.setTitle", "assistant.threads.setSuggestedPrompts":
		f.serveAssistant(w, method, form)
	case "chat.startStream", "chat.appendStream", "chat.stopStream":
		f.serveStream(w, method, form)
	case "conversations.members":
		f.serveMembers(w, form)
	case "views.publish":
		f.servePublish(w, body)
	case "conversations.replies":
		channel, root := form.Get("channel"), form.Get("ts")
		var thread []slack.Message
		for _, m := range f.messages[channel] {
			if m.Timestamp == root || m.ThreadTimestamp == root {
				thread = append(thread, m)
			}
		}
		sort.SliceStable(thread, func(i, j int) bool { return thread[i].Timestamp < thread[j].Timestamp })
		if len(thread) == 0 {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "thread_not_found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "messages": thread, "has_more": false})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// jsonFields turns the top-level fields of a JSON request body (as
// views.open and the other JSON methods are sent) into form values:
// strings as they are, objects and arrays as JSON.
func jsonFields(body json.RawMessage) url.Values {
	out := url.Values{}
	var fields map[string]json.RawMessage
	if len(body) == 0 || json.Unmarshal(body, &fields) != nil {
		return out
	}
	for k, raw := range fields {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			out.Set(k, str)
		} else {
			out.Set(k, string(raw))
		}
	}
	return out
}

func (f *fakeSlack) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.t.Errorf("response_url post: content type %q, err %v", r.Header.Get("Content-Type"), err)
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	var rc responseCall
	if err := json.Unmarshal(body, &rc); err != nil {
		f.t.Errorf("response_url post is not a message: %v: %s", err, body)
	}
	rc.Path = strings.TrimPrefix(r.URL.Path, "/response")
	f.mu.Lock()
	f.responses = append(f.responses, rc)
	f.notify()
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// fileDownload is one request for a file's url_private_download.
type fileDownload struct {
	Path          string
	Authorization string
	Served        bool // false: redirected to the sign-in page
}

// AddFile stores a file shared in the workspace and returns its
// url_private_download. Like files.slack.com, the fake serves it only with
// the bot token in an Authorization: Bearer header, and sends other
// requests to the sign-in page.
func (f *fakeSlack) AddFile(id, name string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := "/files-pri/T1-" + id + "/download/" + url.PathEscape(name)
	f.files[p] = data
	return f.srv.URL + p
}

// SetFileInfo makes files.info answer with file, a file object as Slack
// sends it, for its "id".
func (f *fakeSlack) SetFileInfo(file map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fileInfo[file["id"].(string)] = file
}

// Downloads returns the file requests the fake received.
func (f *fakeSlack) Downloads() []fileDownload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fileDownload(nil), f.downloads...)
}

func (f *fakeSlack) serveFile(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	data, found := f.files[r.URL.EscapedPath()]
	auth := r.Header.Get("Authorization")
	ok := found && auth == "Bearer "+testBotToken
	f.downloads = append(f.downloads, fileDownload{Path: r.URL.EscapedPath(), Authorization: auth, Served: ok})
	f.notify()
	f.mu.Unlock()
	if !ok {
		http.Redirect(w, r, "/signin?redir="+url.QueryEscape(r.URL.Path), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

func (f *fakeSlack) serveSignIn(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>Sign in to Fake</body></html>")
}

// fakeSocket is one Socket Mode connection on the server side.
type fakeSocket struct {
	conn    *websocket.Conn
	writeMu sync.Mutex

	mu     sync.Mutex
	acks   map[string]json.RawMessage // envelope_id -> ack payload
	sent   []string                   // envelope ids sent
	pongs  int
	closed bool
	change chan struct{}
}

func (f *fakeSlack) serveSocket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") == "https://api.slack.com"
	}}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("socket mode upgrade: %v", err)
		return
	}
	s := &fakeSocket{conn: conn, acks: make(map[string]json.RawMessage), change: make(chan struct{})}
	conn.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.pongs++
		s.mu.Unlock()
		return nil
	})
	s.write(map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fake-applink", "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": "A1"}})
	done := make(chan struct{})
	go func() { // reads acks
		defer close(done)
		for {
			var ack struct {
				EnvelopeID string          `json:"envelope_id"`
				Payload    json.RawMessage `json:"payload"`
			}
			if err := conn.ReadJSON(&ack); err != nil {
				s.mu.Lock()
				s.closed = true
				close(s.change)
				s.change = make(chan struct{})
				s.mu.Unlock()
				return
			}
			s.mu.Lock()
			s.acks[ack.EnvelopeID] = ack.Payload
			close(s.change)
			s.change = make(chan struct{})
			s.mu.Unlock()
		}
	}()
	go func() { // pings, as Slack does
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			}
		}
	}()
	f.sockets <- s
	<-done
	conn.Close()
}

func (s *fakeSocket) write(v any) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_ = s.conn.WriteJSON(v)
}

// Send sends an envelope; its envelope_id must come back in an ack.
func (s *fakeSocket) Send(env map[string]any) {
	s.mu.Lock()
	s.sent = append(s.sent, env["envelope_id"].(string))
	s.mu.Unlock()
	s.write(env)
}

// WaitAck waits for the ack of an envelope and returns its payload.
func (s *fakeSocket) WaitAck(t testing.TB, envelopeID string) json.RawMessage {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		p, ok := s.acks[envelopeID]
		ch := s.change
		s.mu.Unlock()
		if ok {
			return p
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("envelope %s was not acked within %v", envelopeID, waitLimit)
		}
	}
}

// Unacked returns the envelopes sent but not acked.
func (s *fakeSocket) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.sent {
		if _, ok := s.acks[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// Pongs returns how many pings the client answered.
func (s *fakeSocket) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

// Envelope builders, in the shapes Slack sends.

func eventsEnvelope(envID, eventID string, retry int, inner map[string]any) map[string]any {
	return map[string]any{
		"type": "events_api", "envelope_id": envID, "accepts_response_payload": false,
		"retry_attempt": retry, "retry_reason": map[bool]string{true: "timeout"}[retry > 0],
		"payload": eventCallback(eventID, inner),
	}
}

func eventCallback(eventID string, inner map[string]any) map[string]any {
	return map[string]any{
		"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": eventID, "event_time": 1800000000, "authorizations": []any{},
		"event": inner,
	}
}

func mentionEvent(channel, user, ts, threadTS, text string) map[string]any {
	e := map[string]any{"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts}
	if threadTS != "" {
		e["thread_ts"] = threadTS
	}
	return e
}

func messageEvent(channelType, channel, user, ts, threadTS, text string) map[string]any {
	e := map[string]any{"type": "message", "user": user, "text": text, "ts": ts, "channel": channel, "channel_type": channelType, "event_ts": ts}
	if threadTS != "" {
		e["thread_ts"] = threadTS
	}
	return e
}

func commandPayload(command, text, responseURL string) map[string]any {
	return map[string]any{
		"token": "legacy", "team_id": "T1", "team_domain": "fake", "channel_id": "C1", "channel_name": "news",
		"user_id": "U1", "user_name": "ana", "command": command, "text": text,
		"api_app_id": "A1", "is_enterprise_install": "false", "response_url": responseURL, "trigger_id": "13345224609.738474920.8088930838d88f008e0",
	}
}

func commandEnvelope(envID string, payload map[string]any) map[string]any {
	return map[string]any{"type": "slash_commands", "envelope_id": envID, "accepts_response_payload": true, "payload": payload}
}

// blockActionPayload is a click on a button of a message the bot posted.
func blockActionPayload(user, channel, messageTS, actionID, value, responseURL string) map[string]any {
	return map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "username": "ana", "team_id": "T1"},
		"api_app_id": "A1", "token": "legacy", "trigger_id": "1.2.3",
		"container":    map[string]any{"type": "message", "message_ts": messageTS, "channel_id": channel, "is_ephemeral": false},
		"channel":      map[string]any{"id": channel, "name": "news"},
		"message":      map[string]any{"type": "message", "ts": messageTS, "text": "answer fallback", "user": botUser, "bot_id": botID},
		"response_url": responseURL,
		"actions": []any{map[string]any{
			"type": "button", "action_id": actionID, "block_id": "answer_actions", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Helpful"}, "action_ts": "1800000000.1",
		}},
		"state": map[string]any{"values": map[string]any{}},
	}
}

func interactiveEnvelope(envID string, payload map[string]any) map[string]any {
	return map[string]any{"type": "interactive", "envelope_id": envID, "accepts_response_payload": false, "payload": payload}
}

// buttonValue finds the value of the button with actionID in blocks.
func buttonValue(t testing.TB, blocks slack.Blocks, actionID string) string {
	t.Helper()
	for _, b := range blocks.BlockSet {
		ab, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, e := range ab.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.ActionID == actionID {
				return btn.Value
			}
		}
	}
	t.Fatalf("no %s button in the message", actionID)
	return ""
}

// SetMembers sets who is in a channel, for conversations.members.
func (f *fakeSlack) SetMembers(channel string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[channel] = users
}

// serveMembers answers conversations.members a page at a time (limit,
// default 100; an opaque cursor), as Slack does.
func (f *fakeSlack) serveMembers(w http.ResponseWriter, form url.Values) {
	members, ok := f.members[form.Get("channel")]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	limit, err := strconv.Atoi(form.Get("limit"))
	if err != nil || limit <= 0 || limit > 1000 {
		limit = 100
	}
	start := 0
	if c := form.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "dXNlcjpV"))
		if err != nil || n < 0 || n > len(members) {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_cursor"})
			return
		}
		start = n
	}
	end := min(start+limit, len(members))
	next := ""
	if end < len(members) {
		next = "dXNlcjpV" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "members": members[start:end],
		"response_metadata": map[string]any{"next_cursor": next}})
}

// publishRequest is the body of views.publish, as Slack reads it.
type publishRequest struct {
	UserID string `json:"user_id"`
	View   struct {
		Type   string       `json:"type"`
		Blocks slack.Blocks `json:"blocks"`
	} `json:"view"`
}

// servePublish answers views.publish, refusing what Slack refuses: a view
// that is not a home tab, more than 100 blocks, or texts past Block Kit's
// lengths.
func (f *fakeSlack) servePublish(w http.ResponseWriter, body json.RawMessage) {
	var req publishRequest
	if err := json.Unmarshal(body, &req); err != nil || req.UserID == "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	if req.View.Type != "home" || len(req.View.Blocks.BlockSet) == 0 || len(req.View.Blocks.BlockSet) > 100 {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	if problem := blockKitProblem(req.View.Blocks); problem != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments",
			"response_metadata": map[string]any{"messages": []string{"[ERROR] " + problem}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "view": map[string]any{
		"id": "V1", "team_id": "T1", "type": "home", "blocks": req.View.Blocks, "hash": "h1", "app_id": "A1", "bot_id": botID}})
}

// blockKitProblem returns the first text past Block Kit's limits: 150
// characters in a header, 3,000 in a section's text, 2,000 in a field or a
// context element, 10 fields, 10 context elements.
func blockKitProblem(blocks slack.Blocks) string {
	long := func(t *slack.TextBlockObject, max int) bool { return t != nil && utf8.RuneCountInString(t.Text) > max }
	for i, b := range blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if long(b.Text, 150) {
				return fmt.Sprintf("block %d: header text over 150 characters", i)
			}
		case *slack.SectionBlock:
			if long(b.Text, 3000) || len(b.Fields) > 10 {
				return fmt.Sprintf("block %d: section text over 3000 characters or over 10 fields", i)
			}
			for _, fl := range b.Fields {
				if long(fl, 2000) {
					return fmt.Sprintf("block %d: field over 2000 characters", i)
				}
			}
		case *slack.ContextBlock:
			if len(b.ContextElements.Elements) > 10 {
				return fmt.Sprintf("block %d: over 10 context elements", i)
			}
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok && long(t, 2000) {
					return fmt.Sprintf("block %d: context text over 2000 characters", i)
				}
			}
		}
	}
	return ""
}
