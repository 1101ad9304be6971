package slackbot

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestUserLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newUserLimiter(rate.Every(10*time.Second), 2, func() time.Time { return now })
	type result struct {
		ok   bool
		wait time.Duration
	}
	ask := func(user string) result {
		ok, wait := l.Allow(user)
		return result{ok, wait}
	}
	var got []result
	for range 3 {
		got = append(got, ask("U1"))
	}
	got = append(got, ask("U2"))
	now = now.Add(4 * time.Second)
	got = append(got, ask("U1"))
	now = now.Add(6 * time.Second)
	got = append(got, ask("U1"), ask("U1"))
	want := []result{{true, 0}, {true, 0}, {false, 10 * time.Second}, {true, 0}, {false, 6 * time.Second}, {true, 0}, {false, 10 * time.Second}}
	for i := range want {
		if got[i].ok != want[i].ok || (got[i].wait-want[i].wait).Abs() > time.Millisecond {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	unlimited := newUserLimiter(rate.Inf, 0, time.Now)
	for range 100 {
		if ok, _ := unlimited.Allow("U1"); !ok {
			t.Fatal("rate.Inf refused a question")
		}
	}
}

func TestRateLimitedMessage(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want string
	}{
		{0, "Please try again in a little while."},
		{300 * time.Millisecond, "Please try again in about 1 second."},
		{10 * time.Second, "Please try again in about 10 seconds."},
		{59*time.Minute + 30*time.Second, "Please try again in about 60 minutes."},
	} {
		if got := rateLimited(tc.wait); got != "You're asking faster than I can keep up with. "+tc.want {
			t.Errorf("rateLimited(%v) = %q, want it to end %q", tc.wait, got, tc.want)
		}
	}
}

// TestUserLimiterByTimeNotCount: a user who used up the burst stays
// limited however many other users ask meanwhile.
func TestUserLimiterByTimeNotCount(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newUserLimiter(rate.Every(time.Minute), 1, func() time.Time { return now })
	if ok, _ := l.Allow("U1"); !ok {
		t.Fatal("got the first question refused")
	}
	for i := range 20000 { // twice the old count limit
		l.Allow(fmt.Sprintf("other%d", i))
	}
	if ok, _ := l.Allow("U1"); ok {
		t.Error("got U1's limit reset by 20,000 other users, want it still limited")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("U1"); !ok {
		t.Error("got U1 still limited after the refill, want allowed")
	}
}
