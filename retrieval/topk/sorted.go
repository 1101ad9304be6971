package topk

import "math"

// Key returns x's rank key: ascending keys rank items best first, as
// Compare does (an equal score by ID, the lower first; -0 as 0; a NaN
// score last), so that a list of them sorts and merges with plain integer
// comparisons instead of a call per comparison. FromKey returns the item.
func Key(x Item[float32]) uint64 {
	s := x.Score
	if s == 0 {
		s = 0 // -0 ranks as 0, by ID
	}
	var o uint32 // ascending with the score
	switch u := math.Float32bits(s); {
	case s != s:
		o = 0 // a NaN ranks below every score, as cmp.Compare has it
	case u>>31 == 1:
		o = ^u
	default:
		o = u | 1<<31
	}
	return uint64(^o)<<32 | uint64(uint32(x.ID)^1<<31)
}

// FromKey returns the item whose key is k (a NaN score as the NaN of
// all bits set).
func FromKey(k uint64) Item[float32] {
	o := ^uint32(k >> 32)
	u := o &^ (1 << 31)
	if o>>31 == 0 {
		u = ^o
	}
	return Item[float32]{ID: int32(uint32(k) ^ 1<<31), Score: math.Float32frombits(u)}
}

// MergeKeys returns the k least of a and b, two ascending lists of keys
// that share none, ascending, in dst's room: one pass over the two
// heads, stopped at k. dst must not overlap a or b.
func MergeKeys(dst []uint64, k int, a, b []uint64) []uint64 {
	dst = dst[:0]
	i, j := 0, 0
	for len(dst) < k {
		switch {
		case i < len(a) && (j == len(b) || a[i] < b[j]):
			dst = append(dst, a[i])
			i++
		case j < len(b):
			dst = append(dst, b[j])
			j++
		default:
			return dst
		}
	}
	return dst
}
