package slackbot

import (
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
