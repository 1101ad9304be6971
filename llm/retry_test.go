package llm

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 8, 19, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"2", 2 * time.Second, true},
		{" 0 ", 0, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"30", 30 * time.Second, true},
		{"120", 30 * time.Second, true},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{now.Add(time.Hour).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q): got %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRetryAfterMilliseconds(t *testing.T) {
	m := &responseMeta{retryAfter: "9", retryAfterMS: "250"}
	if got, ok := m.wait(time.Now()); got != 250*time.Millisecond || !ok {
		t.Errorf("wait with retry-after-ms 250: got %v, %v, want 250ms, true", got, ok)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n      int
		lo, hi time.Duration
	}{
		{1, 250 * time.Millisecond, 500 * time.Millisecond},
		{2, 500 * time.Millisecond, time.Second},
		{3, time.Second, 2 * time.Second},
		{5, 4 * time.Second, 8 * time.Second},
		{40, 4 * time.Second, 8 * time.Second},
	}
	for _, tt := range tests {
		for range 50 {
			if d := backoff(tt.n); !inRange(d, tt.lo, tt.hi) {
				t.Fatalf("backoff(%d): got %v, want %v to %v", tt.n, d, tt.lo, tt.hi)
			}
		}
	}
}
