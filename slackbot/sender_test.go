package slackbot

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
)

// sender sends Slack's requests to a bot in either mode: Socket Mode
// envelopes on the fake's websocket, or signed HTTP requests to the bot's
// Handler. Every request must be acked; an event's or an interaction's ack
// must be empty.
type sender struct {
	t   testing.TB
	h   *harness
	srv *httptest.Server // HTTP mode
	n   int
}

// startMode starts a bot in mode ("socket" or "http") against a new fake
// Slack.
func startMode(t testing.TB, mode string, svc fakeBased, edit func(*Config)) (*harness, *sender) {
	t.Helper()
	if mode == "socket" {
		h := startSocket(t, svc, edit)
		return h, &sender{t: t, h: h}
	}
	h, srv := startHTTP(t, svc, edit)
	return h, &sender{t: t, h: h, srv: srv}
}

func (s *sender) envelopeID() string {
	s.n++
	return fmt.Sprintf("env-%d", s.n)
}

// Event sends an Events API event.
func (s *sender) Event(eventID string, inner map[string]any) {
	s.t.Helper()
	if s.srv == nil {
		id := s.envelopeID()
		s.h.sock.Send(eventsEnvelope(id, eventID, 0, inner))
		s.ackEmpty(s.h.sock.WaitAck(s.t, id))
		return
	}
	resp := signedPost(s.t, s.srv, "/slack/events", "application/json", mustJSON(s.t, eventCallback(eventID, inner)), nil)
	if got := readBody(s.t, resp); resp.StatusCode != 200 || got != "" {
		s.t.Errorf("event: got %d %q, want an empty 200 ack", resp.StatusCode, got)
	}
}

// Interaction sends an interaction payload (a click, a shortcut, a view
// submission).
func (s *sender) Interaction(payload map[string]any) {
	s.t.Helper()
	if s.srv == nil {
		id := s.envelopeID()
		s.h.sock.Send(interactiveEnvelope(id, payload))
		s.ackEmpty(s.h.sock.WaitAck(s.t, id))
		return
	}
	form := []byte(url.Values{"payload": {string(mustJSON(s.t, payload))}}.Encode())
	resp := signedPost(s.t, s.srv, "/slack/interactions", "application/x-www-form-urlencoded", form, nil)
	if got := readBody(s.t, resp); resp.StatusCode != 200 || got != "" {
		s.t.Errorf("interaction: got %d %q, want an empty 200 ack", resp.StatusCode, got)
	}
}

// Command sends a slash command and returns the text of its ack.
func (s *sender) Command(payload map[string]any) string {
	s.t.Helper()
	var raw []byte
	if s.srv == nil {
		id := s.envelopeID()
		s.h.sock.Send(commandEnvelope(id, payload))
		raw = s.h.sock.WaitAck(s.t, id)
	} else {
		form := url.Values{}
		for k, v := range payload {
			form.Set(k, v.(string))
		}
		resp := signedPost(s.t, s.srv, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
		raw = []byte(readBody(s.t, resp))
	}
	var reply commandReply
	if err := json.Unmarshal(raw, &reply); err != nil {
		s.t.Fatalf("command ack %s: %v", raw, err)
	}
	return reply.Text
}

func (s *sender) ackEmpty(ack json.RawMessage) {
	s.t.Helper()
	if len(ack) > 0 && string(ack) != "null" {
		s.t.Errorf("got ack payload %s, want none", ack)
	}
}
