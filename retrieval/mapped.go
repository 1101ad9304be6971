package retrieval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// A merge compacts the index into new postings beside the old ones, and
// the old ones stay in use until the compacted snapshot replaces them: a
// heap of the old and the new postings at once, 1.4x the settled size at
// 1M chunks. When the base segment is the one in the base file (read at
// the start, or written by the last merge), its chunk and body postings
// are there byte for byte. For the length of the merge they are then read
// from a read-only mapping of that file instead of the heap: the heap
// copy is freed before the compaction allocates the new postings, the
// searches meanwhile fault in only the pages they read, and the
// compaction, which reads every page, gives each back as soon as it has
// read it (MADV_DONTNEED: a clean page of a file is read again from the
// page cache should anything need it). The mapping is released once no
// snapshot holds the segment. Where the system cannot map files, the
// merge keeps the heap copy, as before. A base file is never written
// again once it is complete; another program that truncated it while it
// is mapped would end the process (SIGBUS) instead of a search failing,
// or the compaction: the merge's check of the file before it compacts
// (checkMapped) reports that as an error instead (readFaults), and the
// index then reads the mapping no more (dropDamaged).

// ErrDamaged is the error of searches and changes of an index whose base
// file a merge found damaged (cut short, or its checksum failing) while
// the index read its postings from a mapping of it: the index no longer
// reads that mapping (a read of a page cut off would end the process),
// so it can no longer search, and refuses changes, until the process
// opens the directory again, which checks the file (a damaged one is an
// error there: restore it, or rebuild the index).
var ErrDamaged = errors.New("the index's base file was damaged while in use")

// dropDamaged is called, with addMu held, with the error of a merge: when
// its check of the mapped base file (checkMapped) failed, from then on
// searches, adds, removals and merges fail with ErrDamaged and err, and
// the current snapshot's base segment holds no postings, so that nothing
// reads the damaged mapping again (the searches hold mu while they read
// it, so none is reading it once this returns; the mapping is released
// once no snapshot holds it). Articles, their chunks and status stay
// readable.
func (ix *Index) dropDamaged(err error) {
	if _, ok := errors.AsType[*mapCheckError](err); !ok {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.damaged == nil {
		ix.damaged = fmt.Errorf("%w: %w; searches and changes are refused: restore the file from a backup, or move the index directory %s aside and ingest the articles again, then restart", ErrDamaged, err, ix.dir)
		ix.log.Error("the index's base file was damaged while in use: searches and changes are refused", "err", err)
	}
	s := ix.snap
	if len(s.lex.segs) == 0 || s.lex.segs[0].mapped == nil {
		return
	}
	g := s.lex.segs[0]
	ix.snap = s.withSegs([]*lexSeg{g}, g.withPostings(postings{}, postings{}))
}

// refuseDamaged returns the error of an index whose base file was found
// damaged (dropDamaged), or nil.
func (ix *Index) refuseDamaged() error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.damaged
}

// baseFile locates a base segment's dense postings in the base file it
// was read from or written to.
type baseFile struct {
	path string
	at   [2]postingsAt // chunk postings, body postings
}

// postingsAt are the byte offsets in a base file of dense postings'
// arrays.
type postingsAt struct {
	off, doc, tf int64
}

// segMap is a base segment's postings mapped from its file.
type segMap struct {
	m    *fileMap
	post [2]*postings // the mapped chunk and body postings
	at   [2]postingsAt
}

// errNoMap is returned where files cannot be mapped.
var errNoMap = errors.New("files cannot be mapped here")

// mapBase returns g with its chunk and body postings read from a mapping
// of its base file, or nil when g has no base file, is mapped already,
// or the file cannot be mapped or does not hold g's postings where it
// should.
func (g *lexSeg) mapBase() *lexSeg {
	bf := g.file.Load()
	if bf == nil || g.mapped != nil || !nativeLittle {
		return nil
	}
	m, err := mapFile(bf.path)
	if err != nil {
		return nil
	}
	var post [2]postings
	for k, src := range []*postings{&g.chunkPost, &g.artPost} {
		p, ok := m.postings(src, bf.at[k])
		if !ok {
			m.unmap()
			return nil
		}
		post[k] = p
	}
	out := g.withPostings(post[0], post[1])
	out.mapped = &segMap{m: m, post: [2]*postings{&out.chunkPost, &out.artPost}, at: bf.at}
	out.file.Store(bf)
	// The mapping goes once no snapshot holds the segment. Searches read
	// the snapshot they took under Index.mu, which publish takes to
	// replace it, so none reads the mapping after that.
	runtime.AddCleanup(out, func(m *fileMap) { m.unmap() }, m)
	return out
}

// postings returns the dense postings like src at at in the mapping, or
// false when they do not fit in it or differ from src where sampled.
func (m *fileMap) postings(src *postings, at postingsAt) (postings, bool) {
	if src.keys != nil || len(src.off) == 0 {
		return postings{}, false
	}
	n := len(src.doc)
	off, ok1 := mappedSlice[uint32](m.data, at.off, len(src.off))
	doc, ok2 := mappedSlice[uint32](m.data, at.doc, n)
	tf, ok3 := mappedSlice[uint16](m.data, at.tf, n)
	if !ok1 || !ok2 || !ok3 {
		return postings{}, false
	}
	// A few samples, not every page: the file was checked when it was
	// read or written, and reading it all would bring it all in. Each
	// sample's pages are given back at once.
	for i := 0; i <= 64; i++ {
		r, pos := min(i*len(off)/64, len(off)-1), min(i*n/64, n-1)
		same := off[r] == src.off[r] && (n == 0 || doc[pos] == src.doc[pos] && tf[pos] == src.tf[pos])
		m.dropArrays(at, len(off), n)
		if !same {
			return postings{}, false
		}
	}
	return postings{off: off, doc: doc, tf: tf, big: src.big}, true
}

// mappedSlice returns the n items at byte offset at of data.
func mappedSlice[T uint16 | uint32](data []byte, at int64, n int) ([]T, bool) {
	size := int64(unsafe.Sizeof(T(0)))
	if at < 0 || at > int64(len(data)) || int64(n) > (int64(len(data))-at)/size {
		return nil, false
	}
	if n == 0 {
		return []T{}, true
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&data[at])), n), true
}

// checkMapped verifies, when the base segment of s is read from a
// mapping, the checksum of the mapped file (checkSum). A merge calls it
// before it compacts s: mapBase only samples the file, which may have
// been damaged since it was read or written, and the compaction would
// otherwise write the damage into a new base whose checksum holds.
func (s *snapshot) checkMapped() error {
	if len(s.lex.segs) == 0 || s.lex.segs[0].mapped == nil {
		return nil
	}
	g := s.lex.segs[0]
	if err := readFaults(g.mapped.m.checkSum); err != nil {
		return &mapCheckError{fmt.Errorf("check %s: %w", g.file.Load().path, err)}
	}
	return nil
}

// mapCheckError is checkMapped's error: the mapped base file is damaged.
type mapCheckError struct{ err error }

func (e *mapCheckError) Error() string { return e.err.Error() }
func (e *mapCheckError) Unwrap() error { return e.err }

// readFaults runs read, which reads a mapping, with a fault on the
// mapping (SIGBUS: another program cut the file short under it) raised
// as a panic in this goroutine, and returns that as an error instead of
// ending the process.
func readFaults(read func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if f, ok := p.(interface{ Addr() uintptr }); ok {
			err = fmt.Errorf("the mapped file was cut short or became unreadable (fault at %#x)", f.Addr())
			return
		}
		panic(p)
	}()
	return read()
}

// checkSum verifies the mapped file's checksum: its last four bytes, a
// CRC-32C of the others (as binWriter.finish writes it). It reads the
// mapping a piece at a time and gives back each piece's pages, so that
// the check adds little to the resident set.
func (m *fileMap) checkSum() error {
	n := int64(len(m.data)) - 4
	if n < 0 {
		return errors.New("file too short for a checksum")
	}
	const piece = 4 << 20
	crc := crc32.MakeTable(crc32.Castagnoli)
	var sum uint32
	for lo := int64(0); lo < n; lo += piece {
		hi := min(lo+piece, n)
		sum = crc32.Update(sum, crc, m.data[lo:hi])
		m.drop(lo, hi)
	}
	if want := binary.LittleEndian.Uint32(m.data[n:]); sum != want {
		return errChecksum
	}
	return nil
}

// dropper returns, for the postings p of g, a func that gives back the
// pages of the mapping that hold p's arrays; nil when p is not mapped. The
// system maps a file's pages in large pieces (a megabyte at a time here),
// so a compaction reading a row gives back the pages of all of them, not
// only those it has read: the searches meanwhile fault in again (from the
// page cache) only what they read.
func (g *lexSeg) dropper(p *postings) func() {
	sm := g.mapped
	if sm == nil {
		return nil
	}
	for k, mp := range sm.post {
		if mp == p {
			return func() { sm.drop(k) }
		}
	}
	return nil
}

// drop gives back the mapped pages of the arrays of postings k.
func (sm *segMap) drop(k int) {
	p := sm.post[k]
	sm.m.dropArrays(sm.at[k], len(p.off), len(p.doc))
}

// dropArrays gives back the mapped pages of the arrays of dense postings
// at at, with that many offsets and n postings.
func (m *fileMap) dropArrays(at postingsAt, offsets, n int) {
	m.drop(at.off, at.off+4*int64(offsets))
	m.drop(at.doc, at.doc+4*int64(n))
	m.drop(at.tf, at.tf+2*int64(n))
}

// withPostings returns a copy of g with other chunk and body postings.
func (g *lexSeg) withPostings(chunk, art postings) *lexSeg {
	out := &lexSeg{chunkPost: chunk, artPost: art, titlePost: g.titlePost,
		titleChunkDF: g.titleChunkDF, titleArtDF: g.titleArtDF,
		firstChunk: g.firstChunk, chunks: g.chunks, firstArt: g.firstArt, arts: g.arts}
	out.bnd.Store(g.bnd.Load())
	return out
}
