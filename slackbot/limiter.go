package slackbot

import (
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// userLimiter is a token bucket per Slack user. Users idle long enough for
// their bucket to refill are forgotten, so memory stays bounded by the
// users active in that time; however many other users ask meanwhile, a
// user's bucket is never forgotten early (which would reset the limit).
type userLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time
	users *ttlCache[string, *rate.Limiter]
}

func newUserLimiter(limit rate.Limit, burst int, now func() time.Time) *userLimiter {
	ttl := time.Hour
	if limit > 0 && limit != rate.Inf {
		if refill := time.Duration(float64(burst) / float64(limit) * float64(time.Second)); refill > ttl {
			ttl = refill
		}
	}
	return &userLimiter{limit: limit, burst: burst, now: now, users: newTTLCache[string, *rate.Limiter](0, ttl, now)}
}

// Allow reports whether user may ask another question now, and counts it.
// When not, wait is how long until the user may ask again.
func (l *userLimiter) Allow(user string) (ok bool, wait time.Duration) {
	if l.limit == rate.Inf {
		return true, 0
	}
	now := l.now()
	l.users.Update(user, func(lim *rate.Limiter, found bool) *rate.Limiter {
		if !found {
			lim = rate.NewLimiter(l.limit, l.burst)
		}
		ok = lim.AllowN(now, 1)
		if !ok && l.limit > 0 {
			wait = time.Duration((1 - lim.TokensAt(now)) / float64(l.limit) * float64(time.Second))
		}
		return lim
	})
	return ok, wait
}

// rateLimited is the polite refusal for a user who must wait.
func rateLimited(wait time.Duration) string {
	when := "in a little while"
	switch {
	case wait <= 0:
	case wait < 90*time.Second:
		when = fmt.Sprintf("in about %s", plural(max(1, int((wait+time.Second-1)/time.Second)), "second", "seconds"))
	default:
		when = fmt.Sprintf("in about %s", plural(int((wait+time.Minute-1)/time.Minute), "minute", "minutes"))
	}
	return "You're asking faster than I can keep up with. Please try again " + when + "."
}
