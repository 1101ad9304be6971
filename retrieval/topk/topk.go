// Package topk keeps the best k of a stream of scored items: the bounded
// heap every ranked search in retrieval uses (the vector scans, their
// exact rescoring and the pruned lexical search), and a buffer for the
// vector scans' code passes, through which many candidates pass.
package topk

import (
	"cmp"
	"math"
	"slices"
)

// Item is an item and its score. Higher scores rank first; equal scores
// rank by ID, the lower first.
type Item[S float32 | float64] struct {
	ID    int32
	Score S
}

// Worse reports whether a ranks below b: a lower score, or the same and a
// higher ID.
func Worse[S float32 | float64](a, b Item[S]) bool {
	return a.Score < b.Score || a.Score == b.Score && a.ID > b.ID
}

// Compare orders items best first, for slices.SortFunc.
func Compare[S float32 | float64](a, b Item[S]) int {
	return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID))
}

// Heap keeps the best K items pushed: a binary heap with the worst at the
// root. The zero Heap keeps nothing; set K.
type Heap[S float32 | float64] struct {
	K     int
	Items []Item[S] // in heap order, not sorted
	// Order, when set, ranks items of equal score (negative: a first)
	// instead of their IDs.
	Order func(a, b int32) int
}

// worse reports whether a ranks below b in the heap's order.
func (h *Heap[S]) worse(a, b Item[S]) bool {
	if h.Order == nil || a.Score != b.Score {
		return Worse(a, b)
	}
	return h.Order(a.ID, b.ID) > 0
}

// New returns a heap that keeps the best k items. It reserves room for
// at most 1024 at first, as a large k is often far more than the items.
func New[S float32 | float64](k int) Heap[S] {
	return Heap[S]{K: k, Items: make([]Item[S], 0, min(max(k, 0), 1024))}
}

// Full reports whether the heap holds K items.
func (h *Heap[S]) Full() bool { return len(h.Items) >= h.K }

// Threshold returns the score an item must beat to enter (an equal score
// enters with a lower ID), or -Inf while there is room.
func (h *Heap[S]) Threshold() S {
	if !h.Full() {
		return S(math.Inf(-1))
	}
	return h.Items[0].Score
}

// Push offers an item; it is kept when it ranks among the best K so far.
func (h *Heap[S]) Push(x Item[S]) {
	if len(h.Items) < h.K {
		h.Items = append(h.Items, x)
		for i := len(h.Items) - 1; i > 0; {
			p := (i - 1) / 2
			if !h.worse(h.Items[i], h.Items[p]) {
				break
			}
			h.Items[i], h.Items[p] = h.Items[p], h.Items[i]
			i = p
		}
		return
	}
	if h.K <= 0 || !h.worse(h.Items[0], x) {
		return
	}
	h.Items[0] = x
	n := len(h.Items)
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.worse(h.Items[l], h.Items[m]) {
			m = l
		}
		if r < n && h.worse(h.Items[r], h.Items[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.Items[i], h.Items[m] = h.Items[m], h.Items[i]
		i = m
	}
}

// Sorted returns the items kept, best first; the heap is spent.
func (h *Heap[S]) Sorted() []Item[S] {
	out := h.Items
	h.Items = nil
	if h.Order == nil {
		slices.SortFunc(out, Compare[S])
		return out
	}
	slices.SortFunc(out, func(a, b Item[S]) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), h.Order(a.ID, b.ID))
	})
	return out
}

// Merge returns the best k of several lists of items, best first.
func Merge[S float32 | float64](k int, parts ...[]Item[S]) []Item[S] {
	var all []Item[S]
	for _, p := range parts {
		all = append(all, p...)
	}
	slices.SortFunc(all, Compare[S])
	if len(all) > k {
		all = all[:k]
	}
	return all
}
