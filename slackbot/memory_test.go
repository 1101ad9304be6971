package slackbot

import (
	"testing"
	"time"
)

func TestTTLCache(t *testing.T) {
	now := time.Unix(0, 0)
	c := newTTLCache[string, int](3, time.Minute, func() time.Time { return now })
	if !c.Claim("a", 1) || c.Claim("a", 2) {
		t.Error("Claim: want the first claim to win and the second to lose")
	}
	c.Put("b", 2)
	c.Put("c", 3)
	c.Put("d", 4) // evicts a, the oldest
	if _, ok := c.Get("a"); ok {
		t.Error("got a after the cache was full, want it evicted")
	}
	if v, ok := c.Get("d"); !ok || v != 4 {
		t.Errorf("got d=%v,%v, want 4", v, ok)
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.Get("b"); ok {
		t.Error("got b after it expired")
	}
	if !c.Claim("b", 5) {
		t.Error("could not claim an expired key")
	}
	c.Update("b", func(v int, found bool) int {
		if !found || v != 5 {
			t.Errorf("Update saw %v,%v, want 5,true", v, found)
		}
		return v + 1
	})
	if v, _ := c.Get("b"); v != 6 {
		t.Errorf("got b=%d after Update, want 6", v)
	}
	if c.Len() > 3 {
		t.Errorf("got %d entries, want at most 3", c.Len())
	}
}
