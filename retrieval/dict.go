package retrieval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Blocks of the dictionary: term bytes come in blocks of 1 MiB, per-term
// arrays in blocks of 64Ki entries, so that the dictionary grows without
// ever copying what it holds.
const (
	termBlockBits = 20
	termBlockSize = 1 << termBlockBits
	idBlockBits   = 16
	idBlockSize   = 1 << idBlockBits
	maxTermBytes  = math.MaxUint8
)

// dict is the term dictionary: analysed terms (unigrams and "a b" bigrams)
// and their IDs, in a compact layout. Term bytes sit in blocks, each term
// located by a 4-byte position and a 1-byte length, and an open-addressing
// hash table of IDs (at most 70% full) finds them: a term costs its bytes
// plus 10 to 13 bytes, against some 80 for a map[string]uint32 with one
// string per term. IDs are dense, from 0, and never reused. It is safe for
// concurrent use: lookups share a read lock, additions take the write lock
// once per batch.
type dict struct {
	mu     sync.RWMutex
	blocks [][]byte   // term bytes; no term straddles two blocks
	pos    [][]uint32 // term ID -> block<<termBlockBits | offset
	size   [][]uint8  // term ID -> length in bytes
	n      int        // terms
	table  []uint32   // ID+1, 0 for an empty slot; len is a power of two
}

// errDictFull is returned when the terms' bytes would pass 4 GiB.
var errDictFull = errors.New("term dictionary full (4 GiB of terms)")

func newDict() *dict {
	return &dict{table: make([]uint32, 1024)}
}

// termHash hashes a term, eight bytes at a time. It is fixed (no random
// seed) so that the hash table can be saved and loaded as it is.
func termHash[T string | []byte](s T) uint64 {
	h := uint64(len(s)) * 0x9e3779b97f4a7c15
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		h = (h ^ mix(x)) * 0xff51afd7ed558ccd
	}
	var x uint64
	for j := 0; i < len(s); i, j = i+1, j+8 {
		x |= uint64(s[i]) << j
	}
	return mix(h ^ x)
}

// len returns the number of terms.
func (d *dict) len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.n
}

// bytesOf returns the bytes of term id; callers hold the lock.
func (d *dict) bytesOf(id uint32) []byte {
	p := d.pos[id>>idBlockBits][id&(idBlockSize-1)]
	n := uint32(d.size[id>>idBlockBits][id&(idBlockSize-1)])
	o := p & (termBlockSize - 1)
	return d.blocks[p>>termBlockBits][o : o+n]
}

// lookup returns the ID of a term.
func (d *dict) lookup(term string) (uint32, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.find(term)
}

// lookupAll looks terms up under one read lock; ids[i] is math.MaxUint32
// for a term the dictionary lacks.
func (d *dict) lookupAll(terms []string, ids []uint32) []uint32 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, t := range terms {
		id, ok := d.find(t)
		if !ok {
			id = math.MaxUint32
		}
		ids = append(ids, id)
	}
	return ids
}

// find is lookup without the lock.
func (d *dict) find(term string) (uint32, bool) {
	mask := uint64(len(d.table) - 1)
	for i := termHash(term) & mask; ; i = (i + 1) & mask {
		e := d.table[i]
		if e == 0 {
			return 0, false
		}
		id := e - 1
		if int(d.size[id>>idBlockBits][id&(idBlockSize-1)]) == len(term) && string(d.bytesOf(id)) == term {
			return id, true
		}
	}
}

// intern returns the IDs of terms, adding the new ones. The terms are
// looked up under the read lock, which other workers share; only the new
// ones are added under the write lock.
func (d *dict) intern(terms []string, ids []uint32) ([]uint32, error) {
	start := len(ids)
	ids = d.lookupAll(terms, ids)
	var missing []int
	for i, id := range ids[start:] {
		if id == math.MaxUint32 {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return ids, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, i := range missing {
		id, ok := d.find(terms[i]) // another worker may have added it
		if !ok {
			var err error
			if id, err = d.add(terms[i]); err != nil {
				return ids, err
			}
		}
		ids[start+i] = id
	}
	return ids, nil
}

// add appends a term the dictionary lacks.
func (d *dict) add(term string) (uint32, error) {
	if len(term) > maxTermBytes {
		return 0, fmt.Errorf("term of %d bytes: at most %d", len(term), maxTermBytes)
	}
	if len(d.blocks) == 0 || len(d.blocks[len(d.blocks)-1])+len(term) > termBlockSize {
		if len(d.blocks) == math.MaxUint32>>termBlockBits {
			return 0, errDictFull
		}
		d.blocks = append(d.blocks, make([]byte, 0, termBlockSize))
	}
	b := len(d.blocks) - 1
	p := uint32(b)<<termBlockBits | uint32(len(d.blocks[b]))
	d.blocks[b] = append(d.blocks[b], term...)
	id := uint32(d.n)
	if d.n&(idBlockSize-1) == 0 {
		d.pos = append(d.pos, make([]uint32, idBlockSize))
		d.size = append(d.size, make([]uint8, idBlockSize))
	}
	d.pos[id>>idBlockBits][id&(idBlockSize-1)] = p
	d.size[id>>idBlockBits][id&(idBlockSize-1)] = uint8(len(term))
	d.n++
	if 10*d.n > 7*len(d.table) {
		d.grow()
	} else {
		d.place(id, termHash(term))
	}
	return id, nil
}

// place puts id, whose term hashes to h, into the table.
func (d *dict) place(id uint32, h uint64) {
	mask := uint64(len(d.table) - 1)
	i := h & mask
	for d.table[i] != 0 {
		i = (i + 1) & mask
	}
	d.table[i] = id + 1
}

// grow doubles the table (keeping it at most 70% full) and re-places every
// term.
func (d *dict) grow() {
	size := len(d.table)
	for 10*d.n > 7*size {
		size *= 2
	}
	d.table = make([]uint32, size)
	for id := 0; id < d.n; id++ {
		d.place(uint32(id), termHash(d.bytesOf(uint32(id))))
	}
}

// term returns the term with ID id.
func (d *dict) term(id uint32) string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return string(d.bytesOf(id))
}

// appendTerms appends the bytes of the first n terms, one after the other,
// to b, and their lengths to lens, for saving.
func (d *dict) appendTerms(n int, b []byte, lens []uint8) ([]byte, []uint8) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for id := 0; id < n; id++ {
		t := d.bytesOf(uint32(id))
		b = append(b, t...)
		lens = append(lens, uint8(len(t)))
	}
	return b, lens
}

// termsBatch is how many terms writeTerms copies under one read lock.
const termsBatch = 1 << 14

// writeTerms writes the first n terms as appendTerms gives them (their
// bytes one after the other, with their total length before, then their
// lengths) and the hash table as hashTable gives it (its length, then its
// entries), straight from the dictionary: no copy of the terms or of the
// table is made. Other terms may be added meanwhile, between batches of
// terms; the table is written under one read lock.
func (d *dict) writeTerms(w *binWriter, n int) {
	total := 0
	for lo := 0; lo < n; lo += termsBatch {
		d.mu.RLock()
		for id := lo; id < min(lo+termsBatch, n); id++ {
			total += int(d.size[id>>idBlockBits][id&(idBlockSize-1)])
		}
		d.mu.RUnlock()
	}
	w.uvarint(uint64(total))
	for lo := 0; lo < n; lo += termsBatch {
		d.mu.RLock()
		// Consecutive terms mostly sit side by side in a block: each run
		// is written at once.
		var run []byte
		for id := lo; id < min(lo+termsBatch, n); id++ {
			t := d.bytesOf(uint32(id))
			if len(run) > 0 && len(t) > 0 && cap(run) > len(run) && &run[:len(run)+1][len(run)] == &t[0] {
				run = run[:len(run)+len(t)]
				continue
			}
			w.raw(run)
			run = t
		}
		w.raw(run)
		d.mu.RUnlock()
	}
	for lo := 0; lo < n; lo += idBlockSize {
		d.mu.RLock()
		w.raw(d.size[lo>>idBlockBits][:min(idBlockSize, n-lo)])
		d.mu.RUnlock()
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	w.uvarint(uint64(len(d.table)))
	w.buf = w.buf[:0]
	for _, e := range d.table {
		if int(e) > n {
			e = 0
		}
		w.buf = binary.LittleEndian.AppendUint32(w.buf, e)
		w.flushBuf(false)
	}
	w.flushBuf(true)
}

// hashTable returns a copy of the hash table holding only the first n
// terms, for saving while other terms may be added. IDs are placed in
// increasing order (grow re-places them in that order too), so no probe
// of a term below n passes through the slot of a later one, and clearing
// the later ones breaks no probe sequence.
func (d *dict) hashTable(n int) []uint32 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	t := slices.Clone(d.table)
	if d.n > n {
		for i, e := range t {
			if int(e) > n {
				t[i] = 0
			}
		}
	}
	return t
}

// load replaces the dictionary's contents with terms given as their bytes
// one after the other and their lengths, and the hash table saved with
// them, which it takes over; without a table (or with one that does not
// fit the terms) it builds one.
func (d *dict) load(data []byte, lens []uint8, table []uint32) error {
	total := 0
	for _, n := range lens {
		total += int(n)
	}
	if total != len(data) {
		return fmt.Errorf("term lengths add up to %d bytes, the terms hold %d", total, len(data))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.blocks, d.pos, d.size, d.n = nil, nil, nil, 0
	off := 0
	for _, n := range lens {
		t := data[off : off+int(n)]
		off += int(n)
		if len(d.blocks) == 0 || len(d.blocks[len(d.blocks)-1])+len(t) > termBlockSize {
			if len(d.blocks) == math.MaxUint32>>termBlockBits {
				return errDictFull
			}
			d.blocks = append(d.blocks, make([]byte, 0, min(termBlockSize, len(data)-off+len(t))))
		}
		b := len(d.blocks) - 1
		p := uint32(b)<<termBlockBits | uint32(len(d.blocks[b]))
		d.blocks[b] = append(d.blocks[b], t...)
		id := uint32(d.n)
		if d.n&(idBlockSize-1) == 0 {
			d.pos = append(d.pos, make([]uint32, idBlockSize))
			d.size = append(d.size, make([]uint8, idBlockSize))
		}
		d.pos[id>>idBlockBits][id&(idBlockSize-1)] = p
		d.size[id>>idBlockBits][id&(idBlockSize-1)] = n
		d.n++
	}
	if tableFits(table, d.n) {
		d.table = table
		return nil
	}
	d.table = make([]uint32, 1024)
	d.grow()
	return nil
}

// tableFits reports whether a saved hash table can serve n terms: a power
// of two in size, at most 70% full, holding each ID once. (Whether each
// sits where its hash leads is not checked: the file's checksum vouches
// for that.)
func tableFits(table []uint32, n int) bool {
	if len(table) < 1024 || len(table)&(len(table)-1) != 0 || 10*n > 7*len(table) {
		return false
	}
	count := 0
	for _, e := range table {
		if e > uint32(n) {
			return false
		}
		if e != 0 {
			count++
		}
	}
	return count == n
}
