package retrieval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/briefbot/briefbot/article"
)

// IndexFile is the name of the file, in Config.Dir, that holds a persistent
// index.
const IndexFile = "index.bin"

// legacyIndexFile is the gob file of the first format; an index found only
// there is converted, reusing its vectors.
const legacyIndexFile = "index.gob"

// fileFormat is the layout version of IndexFile. Format 3 added the
// bounds of the pruned search; a file of format 2 is still read, and its
// bounds are computed at the first search.
const fileFormat = 3

// oldFileFormat is the oldest layout version still read.
const oldFileFormat = 2

// maxDim bounds the dimension of stored vectors.
const maxDim = 1 << 13

// fileMagic opens IndexFile.
var fileMagic = []byte("briefbot-index\n\x00")

// chunkerVersion changes whenever the chunker would cut articles differently.
const chunkerVersion = 1

// signature names the analyser, chunker and chunk sizes of the index.
func (ix *Index) signature() string {
	return fmt.Sprintf("analyzer=%d chunker=%d target=%d max=%d min=%d title=%t",
		analyzerVersion, chunkerVersion, ix.chunking.Target, ix.chunking.Max, ix.chunking.Min, ix.embedText)
}

// The layout of IndexFile (integers little-endian or uvarint, strings and
// byte strings uvarint-length-prefixed):
//
//	magic, format
//	signature, model, dim, articles, chunks, terms
//	terms:    byte length, the terms' bytes one after the other, their
//	          lengths (a byte each), the dictionary's hash table (length,
//	          uint32 entries)
//	articles: in ID order, each: ID, title, outlet, author, URL, category,
//	          date source, text, publication time (time.MarshalBinary),
//	          body spans, content hash, title-field and body lengths in
//	          words, number of chunks
//	chunks:   start offsets, end offsets, lengths in words (uint32 each)
//	postings: chunk, article body, title field, each: rows, whether
//	          sparse (then the rows' term IDs, uint32), offsets (rows+1
//	          uint32), count, docs (uint32), term frequencies (uint16),
//	          overflowing frequencies (count, then position and frequency)
//	bounds:   the pruned search's (segBounds): b, article b, title b,
//	          article title b, average chunk, article and title lengths
//	          (float64 bits, uvarint), then for the chunk, article,
//	          title and article title postings: rows, their numbers
//	          (uint32), bounds (float32), block maxima (byte string)
//	vectors:  chunks x dim float32, in chunk order
//	CRC-32C of everything before
//
// Everything the index holds in memory is stored as it is, in bulk, so
// that a restart reads arrays instead of decoding records or re-analysing.

// writeBase writes snapshot s as the base segment name, atomically
// (temporary file, fsync, rename, fsync of the directory), and returns its
// size. It runs beside adds and searches: s is immutable and its vectors
// are pinned.
func (ix *Index) writeBase(name string, s *snapshot) (int64, error) {
	tmp, err := os.CreateTemp(ix.dir, name+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("write index: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	w := newBinWriter(tmp)
	at := ix.encode(w, s)
	if err := w.finish(); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("write index: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, fmt.Errorf("write index: %w", err)
	}
	fi, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return 0, fmt.Errorf("write index: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("write index: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(ix.dir, name)); err != nil {
		return 0, fmt.Errorf("write index: %w", err)
	}
	if err := fsyncDir(ix.dir); err != nil {
		return 0, fmt.Errorf("write index: %w", err)
	}
	if s.compacted() {
		// The file holds s's base segment as it is: a later merge can
		// read it from there (mapped.go).
		s.lex.segs[0].file.Store(&baseFile{path: filepath.Join(ix.dir, name), at: at})
	}
	return fi.Size(), nil
}

// encode writes snapshot s, compacted, and returns where its chunk and
// body postings are in the file.
func (ix *Index) encode(w *binWriter, s *snapshot) [2]postingsAt {
	return ix.encodeAs(w, s, fileFormat)
}

// encodeAs is encode in the layout of format (tests write the older one).
func (ix *Index) encodeAs(w *binWriter, s *snapshot, format int) (at [2]postingsAt) {
	if !s.compacted() {
		c, err := compact(s)
		if err != nil {
			w.fail(err)
			return at
		}
		s = c
	}
	lx := s.lex
	g := lx.segs[0]
	nTerms := lx.nTerms()
	w.raw(fileMagic)
	w.uvarint(uint64(format))
	w.str(ix.signature())
	w.str(ix.model)
	w.uvarint(uint64(s.vecs.dim))
	w.uvarint(uint64(len(s.arts)))
	w.uvarint(uint64(len(s.chunks)))
	w.uvarint(uint64(nTerms))

	ix.terms.writeTerms(w, nTerms)

	for a, e := range s.arts {
		writeArticle(w, e.art, e.hash)
		w.uvarint(uint64(lx.titleLen[a]))
		w.uvarint(uint64(lx.artLen[a]))
		w.uvarint(uint64(lx.artFirst[a+1] - lx.artFirst[a]))
	}

	col := make([]uint32, len(s.chunks))
	for i, c := range s.chunks {
		col[i] = uint32(c.start)
	}
	w.u32s(col)
	for i, c := range s.chunks {
		col[i] = uint32(c.end)
	}
	w.u32s(col)
	for i, l := range lx.chunkLen {
		col[i] = uint32(l)
	}
	w.u32s(col)

	for k, p := range []*postings{&g.chunkPost, &g.artPost, &g.titlePost} {
		w.uvarint(uint64(p.terms()))
		if p.keys != nil {
			w.uvarint(1)
			w.u32s(p.keys)
		} else {
			w.uvarint(0)
		}
		var pa postingsAt
		pa.off = w.n
		w.u32s(p.off)
		w.uvarint(uint64(len(p.doc)))
		pa.doc = w.n
		w.u32s(p.doc)
		pa.tf = w.n
		w.u16s(p.tf)
		if k < len(at) {
			at[k] = pa
		}
		w.uvarint(uint64(len(p.big)))
		for pos := range p.tf {
			if p.tf[pos] == maxTF16 {
				w.uvarint(uint64(pos))
				w.uvarint(uint64(p.big[uint32(pos)]))
			}
		}
	}

	if format >= 3 {
		ix.mu.RLock()
		t := ix.tuning
		ix.mu.RUnlock()
		pc, pa := t.bm25f()
		writeBounds(w, g.bounds(lx, pc, pa))
	}

	for _, c := range s.chunks {
		w.f32s(s.vecs.vec(c.slot))
	}
	return at
}

// writeBounds writes a segment's bounds of the pruned search.
func writeBounds(w *binWriter, sb *segBounds) {
	for _, x := range []float64{sb.b, sb.artB, sb.titleB, sb.artTitleB, sb.avgChunk, sb.avgArt, sb.avgTitle} {
		w.uvarint(math.Float64bits(x))
	}
	for _, rb := range []*rowBounds{&sb.chunk, &sb.art, &sb.title, &sb.artTitle} {
		w.uvarint(uint64(len(rb.rows)))
		w.u32s(rb.rows)
		w.f32s(rb.max)
		w.bytes(rb.blk)
	}
}

// readBounds reads what writeBounds wrote.
func readBounds(r *binReader) *segBounds {
	sb := &segBounds{}
	for _, x := range []*float64{&sb.b, &sb.artB, &sb.titleB, &sb.artTitleB, &sb.avgChunk, &sb.avgArt, &sb.avgTitle} {
		*x = math.Float64frombits(r.uvarint())
	}
	for _, rb := range []*rowBounds{&sb.chunk, &sb.art, &sb.title, &sb.artTitle} {
		n := r.count(8)
		rb.rows = r.u32s(n)
		if r.fits(n, 4) {
			rb.max = make([]float32, n)
			r.f32sInto(rb.max)
		}
		rb.blk = r.bytes()
	}
	return sb
}

// checkBounds checks stored bounds against the postings they bound: the
// parameters and average lengths are finite (averages positive), each
// postings has a bound for exactly its rows of at least minStoredBound
// postings, finite and not negative, and the block maxima of those rows,
// none zero.
func checkBounds(sb *segBounds, chunk, art, title *postings) error {
	for _, x := range []float64{sb.b, sb.artB, sb.titleB, sb.artTitleB} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("stored bounds: bad parameter")
		}
	}
	for _, x := range []float64{sb.avgChunk, sb.avgArt, sb.avgTitle} {
		if !(x > 0) || math.IsInf(x, 0) {
			return errors.New("stored bounds: bad average length")
		}
	}
	for k, c := range []struct {
		rb *rowBounds
		p  *postings
	}{{&sb.chunk, chunk}, {&sb.art, art}, {&sb.title, title}, {&sb.artTitle, title}} {
		if err := checkRowBounds(c.rb, c.p); err != nil {
			return fmt.Errorf("stored bounds %d: %w", k, err)
		}
	}
	return nil
}

// checkRowBounds checks rb as checkBounds does.
func checkRowBounds(rb *rowBounds, p *postings) error {
	if len(rb.max) != len(rb.rows) {
		return errors.New("as many bounds as rows wanted")
	}
	i := 0
	for r := 0; r < p.terms(); r++ {
		lo, n := p.off[r], p.off[r+1]-p.off[r]
		if n < minStoredBound {
			continue
		}
		if i >= len(rb.rows) || rb.rows[i] != uint32(r) {
			return fmt.Errorf("no bound of row %d", r)
		}
		if x := rb.max[i]; !(x >= 0) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("row %d: bad bound %v", r, x)
		}
		base, nb := blkBase(lo, i), int((n+postBlock-1)/postBlock)
		if base+nb > len(rb.blk) {
			return fmt.Errorf("row %d: block maxima missing", r)
		}
		if slices.Contains(rb.blk[base:base+nb], 0) {
			return fmt.Errorf("row %d: block maximum 0", r)
		}
		i++
	}
	if i != len(rb.rows) {
		return errors.New("bounds of short or missing rows")
	}
	return nil
}

// load opens the index's files: the base segment and the logs that the
// manifest names (or, from before segments, IndexFile or a legacy gob
// file). Temporary files a crash left are removed first, unless the index
// is read-only. Every file's checksum is verified, also when the embedding
// model, analyser or chunker changed and the stored articles are indexed
// again (then a new base is written at once). A damaged file is an error.
func (ix *Index) load(ctx context.Context) error {
	if !ix.readOnly {
		removeTemps(ix.dir, ix.log)
	}
	m, ok, err := readManifest(ix.dir)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := os.Stat(filepath.Join(ix.dir, IndexFile)); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			orphan, err := ix.orphans()
			if err != nil {
				return err
			}
			if orphan == "" {
				// No index file of any kind yet, or a legacy one.
				ix.files.man = manifest{Format: manifestFormat, Next: 1}
				return ix.loadLegacy(ctx)
			}
			ix.log.Warn("no "+manifestFile+": reading the index's first base segment", "file", orphan)
			m = manifest{Format: manifestFormat, Base: orphan, Next: 2}
		} else {
			m = manifest{Format: manifestFormat, Base: IndexFile, Next: 1}
		}
	}
	// The next file number follows every file named, also when the
	// manifest's is damaged: a new log of a number in use truncated it.
	m.Next = max(m.Next, 1)
	for _, name := range append([]string{m.Base}, m.Logs...) {
		m.Next = max(m.Next, segNumber(name)+1)
	}
	ix.files.man = m
	if !ix.readOnly {
		removeUnnamed(ix.dir, m, ix.log)
	}
	start := time.Now()
	var reason string
	var rearts []article.Article
	if m.Base != "" {
		path := filepath.Join(ix.dir, m.Base)
		st, err := ix.readBase(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if st.reason == "" {
			if err := ix.install(st); err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
		} else {
			reason, rearts = st.reason, st.arts
		}
	}
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	if reason != "" {
		ix.log.Info("re-indexing stored articles", "articles", len(rearts), "reason", reason)
		if _, err := ix.add(ctx, rearts, nil); err != nil {
			return fmt.Errorf("re-index: %w", err)
		}
	}
	replayed := 0
	for i, name := range m.Logs {
		path := filepath.Join(ix.dir, name)
		recs, valid, err := ix.readLog(path)
		if err != nil {
			return err
		}
		n, err := ix.replay(ctx, recs)
		if err != nil {
			return fmt.Errorf("replay %s: %w", name, err)
		}
		replayed += n
		ix.files.logChunks += n
		if i == len(m.Logs)-1 && !ix.readOnly && reason == "" {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			if err := f.Truncate(valid); err != nil {
				f.Close()
				return err
			}
			if _, err := f.Seek(valid, io.SeekStart); err != nil {
				f.Close()
				return err
			}
			ix.files.log = f
		}
	}
	if (reason != "" || m.Base == IndexFile) && !ix.readOnly {
		// A new base in the current layout, with no logs.
		if err := ix.checkpoint(); err != nil {
			return err
		}
		if m.Base == IndexFile {
			if err := os.Remove(filepath.Join(ix.dir, IndexFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				ix.log.Warn("could not remove the old index file", "err", err)
			}
		}
	}
	ix.log.Info("opened index", "dir", ix.dir, "articles", len(ix.snap.arts), "chunks", len(ix.snap.chunks),
		"replayed_chunks", replayed, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// orphans checks the segment files of a directory without a MANIFEST. A
// crash before the first MANIFEST was written can leave the first log
// with no record (ignored: its records follow the MANIFEST naming it) or
// the first base segment (returned, to be read as the base: whatever it
// holds is whole, as its checksum shows). Any other segment file means a
// MANIFEST was there and is lost: an error, rather than an empty index
// whose next start deletes the files as unnamed.
func (ix *Index) orphans() (base string, err error) {
	entries, err := os.ReadDir(ix.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil // read-only, before the writer made it
	}
	if err != nil {
		return "", err
	}
	var names []string
	for _, e := range entries {
		if isSegmentFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 1 {
		switch names[0] {
		case "base-000001.bin":
			return names[0], nil
		case "log-000001.wal":
			if recs, _, err := ix.readLog(filepath.Join(ix.dir, names[0])); err != nil || len(recs) == 0 {
				return "", nil
			}
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	return "", fmt.Errorf("%s is missing, but the directory holds index files (%s): restore it, or move the directory away to start afresh",
		manifestFile, strings.Join(names, ", "))
}

// readBase reads and verifies a base segment.
func (ix *Index) readBase(path string) (*stored, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	st, err := ix.decode(newBinReader(f, fi.Size()))
	if st != nil {
		st.path = path
	}
	return st, err
}

// stored is a decoded IndexFile.
type stored struct {
	reason     string // why the stored index cannot be used as it is; "" if it can
	path       string // the file read
	at         [2]postingsAt
	dim        int
	terms      []byte  // the terms' bytes, one after the other
	lens       []uint8 // their lengths
	arts       []article.Article
	hashes     []string
	titleLen   []uint32
	bodyLen    []uint32
	nChunks    []uint32 // per article
	starts     []uint32
	ends       []uint32
	lengths    []uint32
	post       [3]postings
	bounds     *segBounds // the pruned search's bounds; nil in a file of format 2
	vs         *vecStore  // the vectors, in chunk order
	encoded    bool       // vs holds the codes of every vector too
	dictionary *dict      // the dictionary, being loaded
	dict       chan error // the dictionary's load result
}

// decode reads a whole IndexFile and checks its checksum. When the
// embedding model or analyser differ it reads only as far as the articles.
func (ix *Index) decode(r *binReader) (*stored, error) {
	st := &stored{}
	if !bytes.Equal(r.raw(len(fileMagic)), fileMagic) {
		return nil, errors.New("not an index file")
	}
	format := r.uvarint()
	if r.err == nil && (format < oldFileFormat || format > fileFormat) {
		return nil, fmt.Errorf("index file format %d, want %d to %d", format, oldFileFormat, fileFormat)
	}
	sig, model := r.str(), r.str()
	st.dim = int(r.uvarint())
	nArts, nChunks, nTerms := r.count(1), r.count(4), r.count(1)
	switch {
	case model != ix.model:
		st.reason = fmt.Sprintf("embedding model changed from %q to %q", model, ix.model)
	case sig != ix.signature():
		st.reason = fmt.Sprintf("analyser or chunker changed from %q to %q", sig, ix.signature())
	}
	st.terms = r.bytes()
	st.lens = r.raw(nTerms)
	table := r.u32s(r.count(4))
	if r.err == nil && st.reason == "" {
		// The dictionary is made meanwhile, on another core.
		d, terms, lens := newDict(), st.terms, st.lens
		st.dict = make(chan error, 1)
		st.dictionary = d
		go func() { st.dict <- d.load(terms, lens, table) }()
	}
	st.arts = make([]article.Article, 0, nArts)
	for i := 0; i < nArts && r.err == nil; i++ {
		a, hash, err := readArticle(r)
		if err != nil {
			return nil, fmt.Errorf("article %d: %w", i, err)
		}
		st.arts = append(st.arts, a)
		st.hashes = append(st.hashes, hash)
		st.titleLen = append(st.titleLen, uint32(r.uvarint()))
		st.bodyLen = append(st.bodyLen, uint32(r.uvarint()))
		st.nChunks = append(st.nChunks, uint32(r.uvarint()))
	}
	// The rest is read (and the checksum verified) even when only the
	// articles are needed, so that a damaged byte is never indexed again.
	st.starts, st.ends, st.lengths = r.u32s(nChunks), r.u32s(nChunks), r.u32s(nChunks)
	for k := range st.post {
		p := &st.post[k]
		rows := r.count(4)
		if r.uvarint() == 1 {
			p.keys = r.u32s(rows)
		}
		var pa postingsAt
		pa.off = r.pos()
		p.off = r.u32s(rows + 1)
		n := r.count(6)
		pa.doc = r.pos()
		p.doc = r.u32s(n)
		pa.tf = r.pos()
		p.tf = r.u16s(n)
		if k < len(st.at) {
			st.at[k] = pa
		}
		nBig := r.count(2)
		for i := 0; i < nBig && r.err == nil; i++ {
			pos, f := r.uvarint(), r.uvarint()
			if pos >= uint64(n) || f > math.MaxUint32 {
				return nil, errors.New("damaged term frequency")
			}
			if p.big == nil {
				p.big = map[uint32]uint32{}
			}
			p.big[uint32(pos)] = uint32(f)
		}
	}
	if format >= 3 {
		st.bounds = readBounds(r)
	}
	if r.err == nil && (st.dim <= 0 || st.dim > maxDim) && nChunks > 0 {
		return nil, fmt.Errorf("bad dimension %d", st.dim)
	}
	if r.err == nil && nChunks > 0 {
		// The vectors go straight into the slabs of a vector store.
		st.vs = &vecStore{bitless: ix.vecs.bitless}
		if err := st.vs.setDim(st.dim); err != nil {
			return nil, err
		}
		if r.remaining < int64(nChunks)*int64(st.dim)*4 {
			return nil, io.ErrUnexpectedEOF
		}
		slots := st.vs.reserve(nChunks, nil)
		// Each block of vectors read is quantised on another core while
		// the next is read: reading is one goroutine, and the codes'
		// CPU and first writes to their memory then cost the restart
		// almost nothing.
		blocks := make(chan []int32, 4)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for b := range blocks {
				st.vs.encode(b)
			}
		}()
		from := 0
		for c := 0; c < nChunks && r.err == nil; c++ {
			r.f32sInto(st.vs.vec(slots[c]))
			if c+1-from == encodeBlock || c == nChunks-1 {
				blocks <- slots[from : c+1]
				from = c + 1
			}
		}
		close(blocks)
		<-done
		st.encoded = r.err == nil
	}
	if err := r.verify(); err != nil {
		return nil, err
	}
	return st, nil
}

// install checks a decoded index and makes it the index's state. It runs
// before the index is shared.
func (ix *Index) install(st *stored) error {
	nArts, nChunks, nTerms := len(st.arts), len(st.starts), len(st.lens)
	s := &snapshot{arts: make([]*entry, nArts), idBase: make(map[string]int32, nArts), chunks: make([]chunkRec, nChunks),
		outletID: map[string]int32{}}
	lx := &lexIndex{pool: new(lexPool), nArts: nArts, nChunks: nChunks, artFirst: make([]int32, nArts+1), chunkArt: make([]int32, nChunks),
		artLen: make([]float32, nArts), titleLen: make([]float32, nArts), chunkLen: make([]float32, nChunks),
		sorted: int32(nChunks), sortedArts: int32(nArts), liveArts: nArts, liveChunks: nChunks, terms: nTerms,
		norms: new(normCache)}
	c := 0
	for a := range st.arts {
		art := &st.arts[a]
		if art.ID == "" || a > 0 && st.arts[a-1].ID >= art.ID {
			return fmt.Errorf("article %d: ID %q empty or out of order", a, art.ID)
		}
		p := prepArticle{art: art, hash: st.hashes[a]}
		s.arts[a] = p.entry()
		s.idBase[art.ID] = int32(a)
		lx.artFirst[a] = int32(c)
		lx.artLen[a], lx.titleLen[a] = float32(st.bodyLen[a]), float32(st.titleLen[a])
		lx.sumArt += float64(lx.artLen[a])
		lx.sumTitle += float64(lx.titleLen[a])
		for n := 0; n < int(st.nChunks[a]); n++ {
			if c >= nChunks {
				return errors.New("more chunks in the articles than stored")
			}
			start, end := st.starts[c], st.ends[c]
			if start >= end || int(end) > len(art.Text) {
				return fmt.Errorf("chunk %d of %s: offsets [%d,%d) out of range", n, art.ID, start, end)
			}
			s.chunks[c] = chunkRec{id: fmt.Sprintf("%s#%d", art.ID, n), start: int32(start), end: int32(end), slot: int32(c)}
			lx.chunkArt[c] = int32(a)
			lx.chunkLen[c] = float32(st.lengths[c])
			lx.sumChunk += float64(lx.chunkLen[c])
			c++
		}
	}
	if c != nChunks {
		return fmt.Errorf("the articles have %d chunks, %d are stored", c, nChunks)
	}
	lx.artFirst[nArts] = int32(nChunks)
	if st.post[0].keys != nil || st.post[1].keys != nil || st.post[2].keys == nil {
		return errors.New("postings stored in the wrong layout (chunk and article postings dense, title postings sparse)")
	}
	limits := []int{nChunks, nArts, nArts}
	g := &lexSeg{chunks: int32(nChunks), arts: int32(nArts)}
	ps := []*postings{&g.chunkPost, &g.artPost, &g.titlePost}
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for k, p := range ps {
		*p = st.post[k]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = checkPostings(p, nTerms, limits[k])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if st.bounds != nil {
		if err := checkBounds(st.bounds, &g.chunkPost, &g.artPost, &g.titlePost); err != nil {
			return err
		}
		g.bnd.Store(st.bounds)
	}
	lx.setAverages()
	g.computeDF(lx.artFirst)
	if st.path != "" {
		g.file.Store(&baseFile{path: st.path, at: st.at})
	}
	lx.segs = []*lexSeg{g}
	s.lex = lx
	s.maxIDF = idf(nChunks, 0)
	s.setOutlets()
	if st.vs != nil {
		ix.vecs = st.vs
	}
	if !st.encoded {
		slots := make([]int32, len(s.chunks))
		for c := range s.chunks {
			slots[c] = s.chunks[c].slot
		}
		ix.vecs.encode(slots)
	}
	s.vecs = fullView(ix.vecs.view(), s.chunks)
	if err := <-st.dict; err != nil {
		return err
	}
	ix.terms = st.dictionary
	ix.snap = s
	ix.maybeCheckBits(s)
	return nil
}

// encodeBlock is how many vectors a restart reads before it hands them to
// be quantised on another core.
const encodeBlock = 4096

// checkPostings checks that postings are well formed: one row per term
// (or sorted term IDs below nTerms), offsets in order and spanning the
// docs, each list's docs in increasing order and below n.
func checkPostings(p *postings, nTerms, n int) error {
	rows := p.terms()
	if p.keys == nil && rows != nTerms || p.keys != nil && len(p.keys) != rows {
		return errors.New("posting rows do not match the terms")
	}
	for i, t := range p.keys {
		if int(t) >= nTerms || i > 0 && t <= p.keys[i-1] {
			return errors.New("posting terms out of order or range")
		}
	}
	if len(p.off) != rows+1 || p.off[0] != 0 || int(p.off[rows]) != len(p.doc) {
		return errors.New("posting offsets do not span the postings")
	}
	for r := 0; r < rows; r++ {
		lo, hi := p.off[r], p.off[r+1]
		if hi < lo {
			return errors.New("posting offsets out of order")
		}
		for i := lo; i < hi; i++ {
			if int(p.doc[i]) >= n || i > lo && p.doc[i] <= p.doc[i-1] {
				return fmt.Errorf("postings of row %d out of order or range", r)
			}
		}
	}
	return nil
}

// binWriter writes the index file's encoding through a buffer, keeping a
// CRC-32C of everything written. The first error sticks.
type binWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	buf []byte
	err error
	n   int64 // bytes written
}

func newBinWriter(w io.Writer) *binWriter {
	return &binWriter{w: bufio.NewWriterSize(w, 1<<20), crc: crc32.New(crc32.MakeTable(crc32.Castagnoli)), buf: make([]byte, 0, 1<<16)}
}

func (w *binWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *binWriter) raw(b []byte) {
	if w.err != nil {
		return
	}
	w.crc.Write(b)
	_, err := w.w.Write(b)
	w.n += int64(len(b))
	w.fail(err)
}

func (w *binWriter) uvarint(x uint64) {
	w.raw(binary.AppendUvarint(w.buf[:0], x))
}

func (w *binWriter) bytes(b []byte) {
	w.uvarint(uint64(len(b)))
	w.raw(b)
}

func (w *binWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	if w.err != nil {
		return
	}
	// The checksum is taken through the buffer: []byte(s) would copy s.
	for i := 0; i < len(s); i += cap(w.buf) {
		w.buf = append(w.buf[:0], s[i:min(i+cap(w.buf), len(s))]...)
		w.crc.Write(w.buf)
	}
	w.buf = w.buf[:0]
	_, err := w.w.WriteString(s)
	w.n += int64(len(s))
	w.fail(err)
}

// flushBuf writes the buffer once it is nearly full, or when force is set.
func (w *binWriter) flushBuf(force bool) {
	if force || len(w.buf) > cap(w.buf)-8 {
		w.raw(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *binWriter) u32s(xs []uint32) {
	w.buf = w.buf[:0]
	for _, x := range xs {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, x)
		w.flushBuf(false)
	}
	w.flushBuf(true)
}

func (w *binWriter) u16s(xs []uint16) {
	w.buf = w.buf[:0]
	for _, x := range xs {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, x)
		w.flushBuf(false)
	}
	w.flushBuf(true)
}

func (w *binWriter) f32s(xs []float32) {
	w.buf = w.buf[:0]
	for _, x := range xs {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(x))
		w.flushBuf(false)
	}
	w.flushBuf(true)
}

// finish writes the checksum and flushes.
func (w *binWriter) finish() error {
	sum := w.crc.Sum32()
	if w.err == nil {
		_, w.err = w.w.Write(binary.LittleEndian.AppendUint32(nil, sum))
	}
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// binReader reads the index file's encoding, keeping a CRC-32C of what it
// reads and refusing lengths the rest of the file cannot hold. The first
// error sticks; reads after it return zero values.
type binReader struct {
	r         *bufio.Reader
	crc       hash.Hash32
	remaining int64 // bytes left before the checksum
	end       int64 // where the checksum starts
	buf       []byte
	err       error
}

func newBinReader(r io.Reader, size int64) *binReader {
	return &binReader{r: bufio.NewReaderSize(r, 1<<20), crc: crc32.New(crc32.MakeTable(crc32.Castagnoli)),
		remaining: size - 4, end: size - 4, buf: make([]byte, 1<<16)}
}

// pos returns the offset of the next byte to read.
func (r *binReader) pos() int64 { return r.end - r.remaining }

func (r *binReader) fail(err error) {
	if r.err == nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		r.err = err
	}
}

// fill reads exactly len(b) bytes.
func (r *binReader) fill(b []byte) bool {
	if r.err != nil {
		return false
	}
	if int64(len(b)) > r.remaining {
		r.fail(io.ErrUnexpectedEOF)
		return false
	}
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.fail(err)
		return false
	}
	r.remaining -= int64(len(b))
	r.crc.Write(b)
	return true
}

// fillBlocks is fill in blocks of the scratch buffer's size, so that the
// checksum reads each block while it is still in the cache: over a whole
// array of tens of megabytes at once it read it again from memory, which
// made a fresh restart slower, not faster.
func (r *binReader) fillBlocks(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(r.buf))
		if !r.fill(b[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

func (r *binReader) raw(n int) []byte {
	b := make([]byte, n)
	if !r.fill(b) {
		return nil
	}
	return b
}

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if !r.fill(r.buf[:1]) {
			return 0
		}
		c := r.buf[0]
		if c < 0x80 {
			return x | uint64(c)<<s
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	r.fail(errors.New("bad varint"))
	return 0
}

// count reads a count of items of at least size bytes each.
func (r *binReader) count(size int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(r.remaining)/uint64(size)+1 {
		r.fail(fmt.Errorf("count %d too large for the file", n))
		return 0
	}
	return int(n)
}

func (r *binReader) bytes() []byte { return r.raw(r.count(1)) }

// str reads a string. Its bytes were just allocated for it and nothing
// else holds them, so the string is made over them without a copy: at 1M
// chunks the copy was a second allocation of every article's text.
func (r *binReader) str() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// block reads the next block of at most max items of size bytes into the
// scratch buffer and returns it; want is the number of items still wanted.
func (r *binReader) block(want, size int) []byte {
	k := min(len(r.buf)/size, want)
	b := r.buf[:k*size]
	if !r.fill(b) {
		return nil
	}
	return b
}

// nativeLittle reports whether this machine stores numbers little-endian,
// as the file does: arrays are then read straight into their own memory
// (one copy from the file's buffer, no decoding loop), which at 1M chunks
// was a fifth of a restart's CPU.
var nativeLittle = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// asBytes is the memory of xs as bytes, in the machine's byte order.
func asBytes[T uint16 | uint32 | float32](xs []T) []byte {
	if len(xs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&xs[0])), len(xs)*int(unsafe.Sizeof(xs[0])))
}

// fits reports whether n items of size bytes fit in the rest of the file,
// failing otherwise.
func (r *binReader) fits(n, size int) bool {
	if r.err == nil && int64(n)*int64(size) > r.remaining {
		r.fail(io.ErrUnexpectedEOF)
	}
	return r.err == nil
}

func (r *binReader) u32s(n int) []uint32 {
	if !r.fits(n, 4) {
		return nil
	}
	out := make([]uint32, n)
	if !readInto(r, out, binary.LittleEndian.Uint32) {
		return nil
	}
	return out
}

func (r *binReader) u16s(n int) []uint16 {
	if !r.fits(n, 2) {
		return nil
	}
	out := make([]uint16, n)
	if !readInto(r, out, binary.LittleEndian.Uint16) {
		return nil
	}
	return out
}

func (r *binReader) f32sInto(out []float32) {
	if r.fits(len(out), 4) {
		readInto(r, out, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
	}
}

// readInto fills out from the file: straight into its memory on a
// little-endian machine, else block by block through decode, which reads
// one little-endian item from the front of its bytes.
func readInto[T uint16 | uint32 | float32](r *binReader, out []T, decode func([]byte) T) bool {
	if nativeLittle {
		return r.fillBlocks(asBytes(out))
	}
	size := int(unsafe.Sizeof(out[0]))
	for i := 0; i < len(out); {
		b := r.block(len(out)-i, size)
		if b == nil {
			return false
		}
		dst := out[i : i+len(b)/size]
		for j := range dst {
			dst[j] = decode(b[size*j : size*j+size])
		}
		i += len(dst)
	}
	return true
}

// verify checks that the whole file was read and that its checksum holds.
func (r *binReader) verify() error {
	if r.err != nil {
		return r.err
	}
	if r.remaining != 0 {
		return fmt.Errorf("%d bytes of unexpected data", r.remaining)
	}
	want := r.crc.Sum32()
	var b [4]byte
	if _, err := io.ReadFull(r.r, b[:]); err != nil {
		return fmt.Errorf("read checksum: %w", err)
	}
	if got := binary.LittleEndian.Uint32(b[:]); got != want {
		return errChecksum
	}
	return nil
}

// errChecksum is the error of a file whose checksum (its last four bytes,
// a CRC-32C of the others) does not hold: read (binReader.verify) or
// mapped (fileMap.checkSum).
var errChecksum = errors.New("checksum mismatch: the file is damaged")

// legacyFile is what the gob IndexFile of format 1 held.
type legacyFile struct {
	Format    int
	Signature string
	Model     string
	Dim       int
	Terms     []string
	Articles  []legacyArticle
}

type legacyArticle struct {
	Article           article.Article
	Hash              string
	Title, Body       bag
	TitleLen, BodyLen int32
	Chunks            []legacyChunk
}

type legacyChunk struct {
	Start, End int
	Length     int32
	Bag        bag
	// Vec is the unit embedding as little-endian float32s.
	Vec []byte
}

// loadLegacy converts an index file of the first (gob) format, if there is
// one: its articles are indexed again, reusing their stored vectors when
// the embedding model is the same, and saved in the current format.
func (ix *Index) loadLegacy(ctx context.Context) error {
	path := filepath.Join(ix.dir, legacyIndexFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var lf legacyFile
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&lf); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	reuse := lf.Format == 1 && lf.Model == ix.model
	known := map[string][]knownChunk{}
	arts := make([]article.Article, len(lf.Articles))
	for i := range lf.Articles {
		la := &lf.Articles[i]
		arts[i] = la.Article
		if !reuse || la.Article.Hash() != la.Hash {
			continue
		}
		for _, c := range la.Chunks {
			if len(c.Vec) == 4*lf.Dim && lf.Dim > 0 {
				v := make([]float32, lf.Dim)
				for j := range v {
					v[j] = math.Float32frombits(binary.LittleEndian.Uint32(c.Vec[4*j:]))
				}
				known[la.Article.ID] = append(known[la.Article.ID], knownChunk{start: c.Start, end: c.End, vec: v})
			}
		}
	}
	ix.log.Info("converting the index file to the current format", "path", path, "articles", len(arts), "reuse_vectors", reuse)
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	if _, err := ix.add(ctx, arts, known); err != nil {
		return fmt.Errorf("convert %s: %w", path, err)
	}
	if ix.readOnly {
		return nil
	}
	if err := ix.checkpoint(); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		ix.log.Warn("could not remove the old index file", "err", err)
	}
	return nil
}
