package slackbot

import (
	"container/list"
	"sync"
	"time"
)

// ttlCache is a map whose entries expire. With a max above zero it is
// also bounded: when it is full the least recently written entry goes;
// with max 0 entries leave only when they expire. It is safe for
// concurrent use.
type ttlCache[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	order *list.List // of *ttlEntry, oldest first
	items map[K]*list.Element
	// evicted, when set, is told (under the cache's lock) of each live
	// entry dropped because the cache was full.
	evicted func(K)
}

type ttlEntry[K comparable, V any] struct {
	key     K
	val     V
	expires time.Time
}

func newTTLCache[K comparable, V any](max int, ttl time.Duration, now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{max: max, ttl: ttl, now: now, order: list.New(), items: make(map[K]*list.Element)}
}

// Get returns the live value for k.
func (c *ttlCache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[k]
	if !ok {
		return zero, false
	}
	e := el.Value.(*ttlEntry[K, V])
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, k)
		return zero, false
	}
	return e.val, true
}

// Put stores v under k, renewing its expiry.
func (c *ttlCache[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

// Claim stores v under k only when k has no live entry and reports whether
// it did: the first caller for a key wins.
func (c *ttlCache[K, V]) Claim(k K, v V) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok && c.now().Before(el.Value.(*ttlEntry[K, V]).expires) {
		return false
	}
	c.putLocked(k, v)
	return true
}

// Update applies fn to the live value for k (the zero value when there is
// none) and stores the result.
func (c *ttlCache[K, V]) Update(k K, fn func(V, bool) V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cur V
	found := false
	if el, ok := c.items[k]; ok && c.now().Before(el.Value.(*ttlEntry[K, V]).expires) {
		cur, found = el.Value.(*ttlEntry[K, V]).val, true
	}
	c.putLocked(k, fn(cur, found))
}

// Len returns the number of stored entries, expired ones included.
func (c *ttlCache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// putUntil stores v under k until expires. Entries are kept in the order
// they were written, so expires should not be earlier than that of the
// entries written before (loading saved entries oldest first).
func (c *ttlCache[K, V]) putUntil(k K, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putAtLocked(k, v, expires)
}

func (c *ttlCache[K, V]) putLocked(k K, v V) {
	c.putAtLocked(k, v, c.now().Add(c.ttl))
}

func (c *ttlCache[K, V]) putAtLocked(k K, v V, expires time.Time) {
	now := c.now()
	if el, ok := c.items[k]; ok {
		c.order.Remove(el)
		delete(c.items, k)
	}
	// Drop expired entries from the old end, then the oldest while full.
	for c.order.Len() > 0 {
		front := c.order.Front()
		e := front.Value.(*ttlEntry[K, V])
		live := now.Before(e.expires)
		if live && (c.max <= 0 || c.order.Len() < c.max) {
			break
		}
		c.order.Remove(front)
		delete(c.items, e.key)
		if live && c.evicted != nil {
			c.evicted(e.key)
		}
	}
	c.items[k] = c.order.PushBack(&ttlEntry[K, V]{key: k, val: v, expires: expires})
}
