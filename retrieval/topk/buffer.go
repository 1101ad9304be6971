package topk

import "math"

// Buffer keeps the best K items pushed, as a Heap does, for streams in
// which many items pass the threshold (a scan whose best items come late):
// it appends each item that can still enter, and each time it holds 2K it
// selects the best K in linear time, which raises the threshold, instead
// of a heap operation per item. Use NewBuffer.
type Buffer[S float32 | float64] struct {
	k     int
	items []Item[S]
	thr   S // no item scoring below it can enter
}

// NewBuffer returns a buffer that keeps the best k items. It reserves
// room for at most 2048 at first, as New does for a large k.
func NewBuffer[S float32 | float64](k int) Buffer[S] {
	k = max(k, 0)
	return Buffer[S]{k: k, items: make([]Item[S], 0, 2*min(k, 1024)), thr: S(math.Inf(-1))}
}

// Reset empties the buffer and sets its threshold to thr, so that no item
// scoring below it enters: a bound known from elsewhere (the K-th best
// score of other parts of the same stream) that the buffer's best K need
// not reach. Items then returns the best K pushed at or above thr.
func (b *Buffer[S]) Reset(thr S) {
	b.items, b.thr = b.items[:0], thr
}

// Threshold returns a score below which an item cannot enter; an item
// at or above it may.
func (b *Buffer[S]) Threshold() S { return b.thr }

// Push offers x.
func (b *Buffer[S]) Push(x Item[S]) {
	if b.k == 0 || x.Score < b.thr {
		return
	}
	b.items = append(b.items, x)
	if len(b.items)-b.k >= b.k { // 2k would overflow for a huge k
		b.shrink()
	}
}

// Items returns the best K items pushed (all of them if fewer), in no
// particular order: the same items a Heap of K would keep, IDs unique.
func (b *Buffer[S]) Items() []Item[S] {
	b.shrink()
	return b.items
}

// shrink keeps the best k items and raises the threshold to the worst
// score among them.
func (b *Buffer[S]) shrink() {
	if len(b.items) <= b.k {
		return
	}
	selectBest(b.items, b.k)
	b.items = b.items[:b.k]
	m := b.items[0].Score
	for _, x := range b.items[1:] {
		m = min(m, x.Score)
	}
	b.thr = m
}

// selectBest reorders items, of unique IDs, so that the best k (Worse
// ranks the others below them) come first, k < len(items): quickselect, a median of three as
// the pivot, linear time on average.
func selectBest[S float32 | float64](items []Item[S], k int) {
	lo, hi := 0, len(items)
	for hi-lo > 1 {
		a, m, z := items[lo], items[lo+(hi-lo)/2], items[hi-1]
		if Worse(a, m) {
			a, m = m, a
		}
		if Worse(m, z) {
			m = z
			if Worse(m, a) {
				m = a
			}
		}
		// Hoare's partition around m, an item of [lo, hi): after it
		// [lo, j] rank at or before m, [i, hi) at or after, and what is
		// between them is m. (The bounds checks keep a NaN score, which
		// orders with nothing, inside the slice.)
		i, j := lo, hi-1
		for i <= j {
			for i < hi && Worse(m, items[i]) {
				i++
			}
			for j >= lo && Worse(items[j], m) {
				j--
			}
			if i <= j {
				items[i], items[j] = items[j], items[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j + 1
		case k >= i:
			lo = i
		default:
			return
		}
	}
}
