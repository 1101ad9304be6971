package retrieval

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
)

// The persistent index is a set of files in Config.Dir, in the manner of
// bleve's scorch: one base segment (the whole index as of some moment, in
// the IndexFile layout) and the logs of what happened after it, named by a
// manifest that is replaced atomically.
//
//	MANIFEST          which base and logs make the index
//	base-NNNNNN.bin   a base segment: immutable once written
//	log-NNNNNN.wal    an append-only log of added articles (with their
//	                  chunks' vectors) and removals (tombstones)
//	LOCK              its lock is the one writer's (dirlock.go); empty
//
// An Add writes one log record and fsyncs it before it returns, then
// builds a small in-memory segment for the new articles and publishes a
// snapshot that shares everything else (see next in build.go), so adding
// one article costs the article, not the index. Small segments merge in
// the background by tiers (see mergeCandidates). When the logs grow past
// Config.MergeChunks, a background merge compacts a snapshot (immutable,
// so adds and searches go on meanwhile) into one ID-ordered segment,
// writes it as a new base, replaces the manifest, deletes the files it no
// longer names, and publishes the compacted snapshot with the changes made
// since applied to it. A crash at any point leaves either the old manifest
// or the new one, each naming complete files; leftover temporary files
// are removed at the next start.
const manifestFile = "MANIFEST"

// manifestFormat is the layout version of the manifest and of the logs.
const manifestFormat = 3

// logMagic opens a log file.
var logMagic = []byte("briefbot-wal\n\x00\x00\x00")

// Log record kinds.
const (
	recAdd    = 1
	recRemove = 2
)

// defaultMergeChunks is Config.MergeChunks's default: logs of more chunks
// than this (or than a 400th of the index) are merged into a new base.
const defaultMergeChunks = 512

// defaultMergeIdle is Config.MergeIdle's default.
const defaultMergeIdle = 30 * time.Second

// manifest names the files that make the index.
type manifest struct {
	Format int      `json:"format"`
	Base   string   `json:"base,omitempty"` // "" for none
	Logs   []string `json:"logs"`           // in order
	Next   int      `json:"next"`           // the next file number
}

// segFiles is the state of the index's files. Its fields are guarded by
// Index.fileMu.
type segFiles struct {
	man manifest
	log *os.File // the last log, open for appending; nil before the first record
	// lock is the directory's writer lock (lockDir; nil where there is
	// none), which locked tells is held: from New to Close, and again
	// from the first write after Close (relock).
	lock      *os.File
	locked    bool
	closedLog int64 // the size of the last log when the lock was dropped
	logChunks int   // chunks in the logs since the base
	merging   bool
	mergeErr  error // the last background merge's failure, logged
}

// fsyncDir makes a rename or a new file in dir durable.
func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// writeFileAtomic writes data to dir/name through a temporary file,
// fsyncing the file and the directory.
func writeFileAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return fsyncDir(dir)
}

// readManifest reads the manifest; ok is false when there is none.
func readManifest(dir string) (m manifest, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return manifest{}, false, nil
	}
	if err != nil {
		return manifest{}, false, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return manifest{}, false, fmt.Errorf("read %s: %w", manifestFile, err)
	}
	if m.Format != manifestFormat {
		return manifest{}, false, fmt.Errorf("%s format %d, want %d", manifestFile, m.Format, manifestFormat)
	}
	for _, name := range append([]string{m.Base}, m.Logs...) {
		if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			return manifest{}, false, fmt.Errorf("%s names %q, not a file of the index", manifestFile, name)
		}
	}
	return m, true, nil
}

func (ix *Index) writeManifest(m manifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeFileAtomic(ix.dir, manifestFile, append(b, '\n'))
}

// removeTemps deletes the temporary files a crash left behind.
func removeTemps(dir string, log interface{ Warn(string, ...any) }) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".tmp") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				log.Warn("could not remove a temporary file", "file", e.Name(), "err", err)
			}
		}
	}
}

// isSegmentFile reports whether name is that of a base segment or a log.
func isSegmentFile(name string) bool {
	return strings.HasPrefix(name, "base-") && strings.HasSuffix(name, ".bin") ||
		strings.HasPrefix(name, "log-") && strings.HasSuffix(name, ".wal")
}

// removeUnnamed deletes the segment files the manifest does not name (a
// merge that ended before deleting them).
func removeUnnamed(dir string, m manifest, log interface{ Warn(string, ...any) }) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !isSegmentFile(name) {
			continue
		}
		if name == m.Base || slices.Contains(m.Logs, name) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			log.Warn("could not remove an old index file", "file", name, "err", err)
		}
	}
}

// logRecord is a decoded log record.
type logRecord struct {
	kind  int
	arts  []article.Article
	known map[string][]knownChunk // stored vectors of the added articles
	ids   []string                // removed article IDs
}

// encodeAddRecord encodes the articles of an Add, with their chunks and
// vectors, as a log record (CRC-32C at its end).
func (ix *Index) encodeAddRecord(preps []*prepArticle) ([]byte, error) {
	var buf bytes.Buffer
	w := newBinWriter(&buf)
	w.uvarint(recAdd)
	w.uvarint(uint64(ix.vecs.dimension()))
	w.uvarint(uint64(len(preps)))
	for _, p := range preps {
		writeArticle(w, p.art, p.hash)
		w.uvarint(uint64(len(p.chunks)))
		for _, c := range p.chunks {
			w.uvarint(uint64(c.start))
			w.uvarint(uint64(c.end))
			w.f32s(ix.vecs.vec(c.slot))
		}
	}
	if err := w.finish(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeRemoveRecord encodes a removal (tombstones) as a log record.
func encodeRemoveRecord(ids []string) ([]byte, error) {
	var buf bytes.Buffer
	w := newBinWriter(&buf)
	w.uvarint(recRemove)
	w.uvarint(uint64(len(ids)))
	for _, id := range ids {
		w.str(id)
	}
	if err := w.finish(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeRecord decodes one log record, checking its checksum and that its
// articles are well formed.
func decodeRecord(b []byte) (logRecord, error) {
	r := newBinReader(bytes.NewReader(b), int64(len(b)))
	var rec logRecord
	rec.kind = int(r.uvarint())
	switch rec.kind {
	case recAdd:
		dim := r.count(1)
		if dim > maxDim {
			return logRecord{}, fmt.Errorf("bad dimension %d", dim)
		}
		n := r.count(1)
		rec.known = map[string][]knownChunk{}
		for i := 0; i < n && r.err == nil; i++ {
			a, _, err := readArticle(r)
			if err != nil {
				return logRecord{}, err
			}
			nc := r.count(2)
			var chunks []knownChunk
			for j := 0; j < nc && r.err == nil; j++ {
				start, end := r.uvarint(), r.uvarint()
				if !r.fits(dim, 4) {
					break
				}
				v := make([]float32, dim)
				r.f32sInto(v)
				if r.err == nil && (start >= end || end > uint64(len(a.Text))) {
					return logRecord{}, fmt.Errorf("chunk of %s: offsets [%d,%d) out of range", a.ID, start, end)
				}
				chunks = append(chunks, knownChunk{start: int(start), end: int(end), vec: v})
			}
			if r.err == nil {
				rec.arts = append(rec.arts, a)
				if dim > 0 {
					rec.known[a.ID] = chunks
				}
			}
		}
	case recRemove:
		n := r.count(1)
		for i := 0; i < n && r.err == nil; i++ {
			rec.ids = append(rec.ids, r.str())
		}
	default:
		if r.err == nil {
			return logRecord{}, fmt.Errorf("unknown log record kind %d", rec.kind)
		}
	}
	if err := r.verify(); err != nil {
		return logRecord{}, err
	}
	return rec, nil
}

// writeArticle writes an article and its content hash.
func writeArticle(w *binWriter, art *article.Article, hash string) {
	for _, x := range []string{art.ID, art.Title, art.Outlet, art.Author, art.URL, art.Category, art.DateSource, art.Text} {
		w.str(x)
	}
	t, err := art.PublishedAt.MarshalBinary()
	if err != nil {
		w.fail(fmt.Errorf("article %s: %w", art.ID, err))
	}
	w.bytes(t)
	w.uvarint(uint64(len(art.Body)))
	for _, sp := range art.Body {
		w.uvarint(uint64(sp.Start))
		w.uvarint(uint64(sp.End))
	}
	w.str(hash)
}

// readArticle reads what writeArticle wrote and checks the article's
// structure: an ID, body spans in order inside the text.
func readArticle(r *binReader) (article.Article, string, error) {
	var a article.Article
	for _, x := range []*string{&a.ID, &a.Title, &a.Outlet, &a.Author, &a.URL, &a.Category, &a.DateSource, &a.Text} {
		*x = r.str()
	}
	if t := r.bytes(); r.err == nil {
		if err := a.PublishedAt.UnmarshalBinary(t); err != nil {
			return a, "", fmt.Errorf("article %q: %w", a.ID, err)
		}
	}
	nb := r.count(2)
	a.Body = make([]article.Span, nb)
	for j := range a.Body {
		a.Body[j] = article.Span{Start: int(min(r.uvarint(), math.MaxInt32)), End: int(min(r.uvarint(), math.MaxInt32))}
	}
	hash := r.str()
	if r.err != nil {
		return a, "", r.err
	}
	if err := checkArticle(&a); err != nil {
		return a, "", err
	}
	return a, hash, nil
}

// checkArticle checks a stored article's structure.
func checkArticle(a *article.Article) error {
	if a.ID == "" {
		return errors.New("article with an empty ID")
	}
	prev := 0
	for _, sp := range a.Body {
		if sp.Start < prev || sp.End < sp.Start || sp.End > len(a.Text) {
			return fmt.Errorf("article %q: body span [%d,%d) out of order or past the text (%d bytes)", a.ID, sp.Start, sp.End, len(a.Text))
		}
		prev = sp.End
	}
	return nil
}

// appendRecord appends a record to the current log and fsyncs it, starting
// a log (and naming it in the manifest) if there is none. Callers hold
// addMu.
func (ix *Index) appendRecord(rec []byte, chunks int) error {
	ix.fileMu.Lock()
	defer ix.fileMu.Unlock()
	if err := ix.relock(); err != nil {
		return err
	}
	if ix.files.log == nil {
		if err := ix.startLog(); err != nil {
			return err
		}
	}
	frame := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(rec)), uint32(len(rec)))
	frame = append(frame, rec...)
	f := ix.files.log
	if _, err := f.Write(frame); err != nil {
		ix.discardLogTail(f)
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		ix.discardLogTail(f)
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	ix.files.logChunks += chunks
	return nil
}

// discardLogTail closes a log whose last write failed, so that the next
// record starts a new log rather than follow a torn one.
func (ix *Index) discardLogTail(f *os.File) {
	f.Close()
	ix.files.log = nil
}

// startLog starts a new log and names it in the manifest. Callers hold
// fileMu.
func (ix *Index) startLog() error {
	if err := ix.relock(); err != nil {
		return err
	}
	m := ix.files.man
	name := fmt.Sprintf("log-%06d.wal", m.Next)
	path := filepath.Join(ix.dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("start log: %w", err)
	}
	var hdr bytes.Buffer
	w := newBinWriter(&hdr)
	w.raw(logMagic)
	w.uvarint(manifestFormat)
	w.str(ix.signature())
	w.str(ix.model)
	if err := w.finish(); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(hdr.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("start log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("start log: %w", err)
	}
	m.Logs = append(slices.Clip(m.Logs), name)
	m.Next++
	m.Format = manifestFormat
	if err := ix.writeManifest(m); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("start log: %w", err)
	}
	ix.files.man = m
	ix.files.log = f
	return nil
}

// readLog reads a log: its header, then its records until the end or the
// first torn or damaged record. It returns the records and the length of
// the valid prefix. A log made with another signature or model gives its
// articles without their vectors (they are indexed again).
func (ix *Index) readLog(path string) (recs []logRecord, valid int64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	hdrLen, sameModel, err := ix.readLogHeader(data)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	off := hdrLen
	for off < len(data) {
		if len(data)-off < 4 {
			break
		}
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n > len(data)-off-4 {
			// Torn: the record was never acknowledged; unless a bit of
			// its length is flipped, which would drop (and truncate
			// away) the acknowledged records after it.
			if m, ok := flippedLength(data, off, n); ok {
				return nil, 0, fmt.Errorf("read %s: record at byte %d: damaged length %d (a whole record of %d bytes is there)", filepath.Base(path), off, n, m)
			}
			break
		}
		rec, err := decodeRecord(data[off+4 : off+4+n])
		if err != nil {
			if off+4+n == len(data) && !flippedBit(data[off+4:off+4+n]) {
				break // the last record, torn inside
			}
			return nil, 0, fmt.Errorf("read %s: record at byte %d: %w", filepath.Base(path), off, err)
		}
		if !sameModel {
			rec.known = nil
		}
		recs = append(recs, rec)
		off += 4 + n
	}
	if off < len(data) {
		ix.log.Warn("dropping the torn end of an index log (never acknowledged)", "file", filepath.Base(path), "bytes", len(data)-off)
	}
	return recs, int64(off), nil
}

// flippedLength reports whether the record whose length field at off reads
// n (past the end of the log) would be whole and valid with one bit of that
// length flipped: a damaged length rather than a torn end. It tries the 32
// single-bit changes, not every later offset (quadratic in a torn end).
func flippedLength(data []byte, off, n int) (int, bool) {
	for b := range 32 {
		m := n ^ 1<<b
		if m > 0 && m <= len(data)-off-4 {
			if _, err := decodeRecord(data[off+4 : off+4+m]); err == nil {
				return m, true
			}
		}
	}
	return 0, false
}

// flippedBit reports whether the record rec (its bytes, then their
// CRC-32C), whole but not valid, has its checksum wrong by one flipped
// bit, of its bytes or of the checksum: a damaged record rather than a
// torn one, which drops (and truncates away) an acknowledged record. A
// CRC is linear: one bit flipped at byte j changes it by that bit's
// contribution carried through the len-1-j bytes after it, which the loop
// walks back from the last byte, 8 table lookups a byte.
func flippedBit(rec []byte) bool {
	if len(rec) < 4 {
		return false
	}
	tab := crc32.MakeTable(crc32.Castagnoli)
	body := rec[:len(rec)-4]
	diff := crc32.Checksum(body, tab) ^ binary.LittleEndian.Uint32(rec[len(body):])
	if bits.OnesCount32(diff) <= 1 { // none: the record decodes badly as written
		return true
	}
	for b := range 8 {
		r := tab[1<<b]
		for range body {
			if r == diff {
				return true
			}
			r = tab[byte(r)] ^ r>>8
		}
	}
	return false
}

// readLogHeader checks a log's header and returns its length.
func (ix *Index) readLogHeader(data []byte) (n int, sameModel bool, err error) {
	r := newBinReader(bytes.NewReader(data), int64(len(data)))
	if !bytes.Equal(r.raw(len(logMagic)), logMagic) {
		return 0, false, errors.New("not an index log")
	}
	if format := r.uvarint(); r.err == nil && format != manifestFormat {
		return 0, false, fmt.Errorf("index log format %d, want %d", format, manifestFormat)
	}
	sig, model := r.str(), r.str()
	if r.err != nil {
		return 0, false, r.err
	}
	n = len(data) - 4 - int(r.remaining)
	var sum [4]byte
	if _, err := io.ReadFull(r.r, sum[:]); err != nil {
		return 0, false, errors.New("truncated log header")
	}
	if binary.LittleEndian.Uint32(sum[:]) != r.crc.Sum32() {
		return 0, false, errors.New("log header checksum mismatch: the file is damaged")
	}
	return n + 4, sig == ix.signature() && model == ix.model, nil
}

// replay applies log records to the index, consecutive additions in one
// batch. Nothing is written.
func (ix *Index) replay(ctx context.Context, recs []logRecord) (chunks int, err error) {
	var arts []article.Article
	known := map[string][]knownChunk{}
	flush := func() error {
		if len(arts) == 0 {
			return nil
		}
		st, err := ix.add(ctx, arts, known)
		chunks += st.Chunks
		arts, known = nil, map[string][]knownChunk{}
		return err
	}
	for _, rec := range recs {
		switch rec.kind {
		case recAdd:
			for _, a := range rec.arts {
				arts = append(arts, a)
				if k, ok := rec.known[a.ID]; ok {
					known[a.ID] = k
				} else {
					delete(known, a.ID)
				}
			}
		case recRemove:
			if err := flush(); err != nil {
				return chunks, err
			}
			if err := ix.removeNow(rec.ids); err != nil {
				return chunks, err
			}
		}
	}
	return chunks, flush()
}

// mergeThreshold is how many chunks the logs (or, in memory, the small
// segments and dead articles) may hold before a merge.
func (ix *Index) mergeThreshold() int {
	return max(ix.mergeChunks, ix.snap.lex.liveChunks/400)
}

// maybeMerge starts the background merges that are due: of small
// segments (see mergeCandidates), and of everything into a compacted
// base, written as a new base segment when the index is persistent (once
// the logs have grown past the threshold; else it (re)arms the idle
// merge). Callers hold addMu.
func (ix *Index) maybeMerge() {
	ix.maybeMergeSegs()
	if !ix.persistent() {
		lx := ix.snap.lex
		dirty := lx.nChunks - int(lx.sorted) + lx.nChunks - lx.liveChunks
		if !ix.loading && !ix.memMerging && dirty > ix.mergeThreshold() {
			ix.startMemoryMerge()
		}
		return
	}
	ix.fileMu.Lock()
	due := !ix.files.merging && ix.files.logChunks > ix.mergeThreshold()
	ix.fileMu.Unlock()
	if !due {
		ix.armIdleMerge()
		return
	}
	ix.startBackgroundMerge()
}

// maybeMergeSegs merges a run of small segments of one tier in the
// background, if there is one and no such merge is running; the merged
// segment replaces them in the snapshot current when it is done, and the
// next run is looked for. Callers hold addMu.
func (ix *Index) maybeMergeSegs() {
	if ix.segMerging {
		return
	}
	run := mergeCandidates(ix.snap.lex.segs)
	if run == nil {
		return
	}
	ix.segMerging = true
	ix.bg++
	artFirst := ix.snap.lex.artFirst
	ix.mergeWG.Go(func() {
		start := time.Now()
		merged, err := mergeSegs(run, artFirst)
		ix.addMu.Lock()
		defer ix.addMu.Unlock()
		ix.segMerging = false
		ix.bg--
		ix.mergeCond.Broadcast()
		if err != nil {
			ix.log.Error("merging index segments failed", "err", err)
			return
		}
		if s := ix.snap.withSegs(run, merged); s != nil {
			ix.publish(s)
			ix.log.Debug("merged index segments", "segments", len(run), "chunks", merged.chunks,
				"took", time.Since(start).Round(time.Microsecond))
		}
		ix.maybeMergeSegs()
	})
}

// publish makes s the snapshot searches see. Callers hold addMu.
func (ix *Index) publish(s *snapshot) {
	if !ix.loading {
		ix.mu.RLock()
		t := ix.tuning
		ix.mu.RUnlock()
		s.lex.prepareBounds(t)
	}
	ix.mu.Lock()
	ix.snap = s
	ix.mu.Unlock()
	ix.maybeCheckBits(s)
}

// waitMerges waits for the background merges to end, releasing addMu
// meanwhile. Callers hold addMu.
func (ix *Index) waitMerges() {
	for ix.bg > 0 {
		ix.mergeCond.Wait()
	}
}

// startMemoryMerge compacts the index in the background without writing
// anything (an index in memory, or read-only). Callers hold addMu.
func (ix *Index) startMemoryMerge() {
	if ix.refuseDamaged() != nil {
		return
	}
	ix.memMerging = true
	ix.bg++
	job := ix.mapBase()
	ix.mergeWG.Go(func() {
		g := ix.guardMerge(job)
		err := job.checkMapped()
		var comp *snapshot
		if err == nil {
			comp, err = compact(job)
		}
		g.release()
		var pre map[int32]*prepArticle
		if err == nil {
			pre = ix.reanalyzeSince(job)
		}
		ix.addMu.Lock()
		defer ix.addMu.Unlock()
		ix.dropDamaged(err)
		if err == nil {
			err = ix.publishCompacted(job, comp, pre)
		}
		if err != nil {
			ix.log.Error("compacting the index failed", "err", err)
		}
		ix.memMerging = false
		ix.bg--
		ix.mergeCond.Broadcast()
	})
}

// compactNow compacts the index at once, once the background merges have
// ended. Callers hold addMu.
func (ix *Index) compactNow() error {
	ix.waitMerges()
	comp, err := compact(ix.snap)
	if err != nil {
		return err
	}
	ix.publish(comp)
	return nil
}

// reanalyzeSince analyses again the articles added since old that the
// current snapshot holds, by number, for publishCompacted: the bulk of
// that work, done before taking addMu.
func (ix *Index) reanalyzeSince(old *snapshot) map[int32]*prepArticle {
	cur := ix.current()
	out := map[int32]*prepArticle{}
	if cur.epoch != old.epoch {
		return out
	}
	for a := int32(old.lex.nArts); int(a) < cur.lex.nArts; a++ {
		if !cur.lex.isDead(uint32(a)) {
			if p, err := ix.reanalyze(cur, a); err == nil {
				out[a] = p
			}
		}
	}
	return out
}

// publishCompacted publishes comp, the compaction of old, with the changes
// made since old applied to it: the articles added since (analysed again,
// unless pre has them) and the removals. Callers hold addMu.
func (ix *Index) publishCompacted(old, comp *snapshot, pre map[int32]*prepArticle) error {
	if comp == old {
		return nil // compacted already: the current snapshot follows from it
	}
	cur := ix.snap
	if cur.epoch != old.epoch {
		return errors.New("the index was compacted meanwhile")
	}
	if cur != old {
		var ch change
		olx, clx := old.lex, cur.lex
		for a := 0; a < olx.nArts; a++ {
			if clx.isDead(uint32(a)) && !olx.isDead(uint32(a)) {
				ch.remove = append(ch.remove, cur.arts[a].art.ID)
			}
		}
		for a := int32(olx.nArts); int(a) < clx.nArts; a++ {
			if clx.isDead(uint32(a)) {
				continue
			}
			p, ok := pre[a]
			if !ok {
				var err error
				if p, err = ix.reanalyze(cur, a); err != nil {
					return err
				}
			}
			ch.add = append(ch.add, p)
		}
		b, err := ix.next(comp, ch)
		if err != nil {
			return err
		}
		// The slots b frees were freed when their articles were removed.
		comp = b.snap
	}
	ix.publish(comp)
	return nil
}

// armIdleMerge merges the logs once no Add or Remove came for MergeIdle.
// Callers hold addMu.
func (ix *Index) armIdleMerge() {
	if ix.mergeIdle < 0 {
		return
	}
	if ix.idleTimer != nil {
		ix.idleTimer.Stop()
	}
	// The timer's func is not waited for: once stopped or re-armed it finds
	// idleTimer changed and does nothing.
	var t *time.Timer
	t = time.AfterFunc(ix.mergeIdle, func() {
		ix.addMu.Lock()
		defer ix.addMu.Unlock()
		if ix.idleTimer != t {
			return // re-armed or stopped since
		}
		ix.idleTimer = nil
		ix.fileMu.Lock()
		due := !ix.files.merging && len(ix.files.man.Logs) > 0
		ix.fileMu.Unlock()
		if due {
			ix.startBackgroundMerge()
		}
	})
	ix.idleTimer = t
}

// stopIdleMerge cancels a pending idle merge. Callers hold addMu.
func (ix *Index) stopIdleMerge() {
	if ix.idleTimer != nil {
		ix.idleTimer.Stop()
	}
	ix.idleTimer = nil
}

// startBackgroundMerge starts a merge in the background: the snapshot of
// now is compacted and written as a new base, and the compacted snapshot,
// with the changes made meanwhile, replaces the one searches see. Callers
// hold addMu.
func (ix *Index) startBackgroundMerge() {
	if ix.refuseDamaged() != nil {
		return
	}
	ix.mapBase()
	job, err := ix.startMerge()
	if err != nil {
		ix.log.Error("could not start merging the index", "err", err)
		return
	}
	ix.bg++
	ix.mergeWG.Go(func() {
		g := ix.guardMerge(job.snap)
		comp, err := ix.finishMerge(job)
		g.release()
		var pre map[int32]*prepArticle
		if err == nil {
			pre = ix.reanalyzeSince(job.snap)
		}
		ix.addMu.Lock()
		defer ix.addMu.Unlock()
		ix.dropDamaged(err)
		if err == nil {
			err = ix.publishCompacted(job.snap, comp, pre)
		}
		ix.endMerge(err)
		ix.bg--
		ix.mergeCond.Broadcast()
		if err != nil {
			ix.log.Error("merging the index failed; its logs are kept", "err", err)
		}
	})
}

// mapBase publishes, before a merge compacts the current snapshot, the
// snapshot with its base segment's chunk and body postings read from a
// mapping of its file rather than the heap, when it can (mapped.go), so
// that the heap does not hold them beside the compacted ones. It returns
// the current snapshot. Callers hold addMu.
func (ix *Index) mapBase() *snapshot {
	s := ix.snap
	if s.compacted() || len(s.lex.segs) == 0 {
		return s
	}
	// The bounds are computed (if a restart left them to the first
	// search) from the heap copy, not by reading every mapped page.
	ix.mu.RLock()
	t := ix.tuning
	ix.mu.RUnlock()
	s.lex.prepareBounds(t)
	g := s.lex.segs[0]
	mg := g.mapBase()
	if mg == nil {
		return s
	}
	ns := s.withSegs([]*lexSeg{g}, mg)
	ix.publish(ns)
	ix.log.Debug("reading the base segment's postings from its file during the merge", "file", mg.file.Load().path)
	return ns
}

// mergeJob is a merge under way: the snapshot being written and the
// number of the base it becomes.
type mergeJob struct {
	snap   *snapshot
	number int
	start  time.Time
}

// startMerge begins a merge: it closes the current log (later records go
// to a new one), pins the vectors of the current snapshot and returns it.
// Callers hold addMu.
func (ix *Index) startMerge() (*mergeJob, error) {
	ix.fileMu.Lock()
	defer ix.fileMu.Unlock()
	if err := ix.relock(); err != nil {
		return nil, err
	}
	if ix.files.log != nil {
		if err := ix.files.log.Close(); err != nil {
			return nil, err
		}
		ix.files.log = nil
	}
	m := ix.files.man
	job := &mergeJob{snap: ix.snap, number: m.Next, start: time.Now()}
	m.Next++
	m.Format = manifestFormat
	if err := ix.writeManifest(m); err != nil {
		return nil, err
	}
	ix.files.man = m
	ix.files.merging = true
	ix.files.logChunks = 0
	ix.vecs.pin()
	return job, nil
}

// endMerge ends a merge that startMerge began.
func (ix *Index) endMerge(err error) {
	ix.vecs.unpin()
	ix.fileMu.Lock()
	ix.files.merging = false
	ix.files.mergeErr = err
	ix.fileMu.Unlock()
}

// finishMerge compacts the job's snapshot and writes it as a new base,
// then names it in the manifest in place of the base and logs it covers,
// and deletes those. It returns the compacted snapshot. It does not hold
// addMu: adds go on meanwhile, into a new log.
func (ix *Index) finishMerge(job *mergeJob) (*snapshot, error) {
	comp := job.snap
	if !comp.compacted() {
		if err := comp.checkMapped(); err != nil {
			return nil, err
		}
		var err error
		if comp, err = compact(comp); err != nil {
			return nil, err
		}
	}
	name := fmt.Sprintf("base-%06d.bin", job.number)
	size, err := ix.writeBase(name, comp)
	if err != nil {
		return nil, err
	}
	ix.fileMu.Lock()
	defer ix.fileMu.Unlock()
	if err := ix.relock(); err != nil {
		os.Remove(filepath.Join(ix.dir, name))
		return nil, err
	}
	m := ix.files.man
	old := append([]string{m.Base}, m.Logs...)
	m.Base = name
	m.Logs = nil
	for _, l := range old[1:] {
		if logNumber(l) > job.number {
			m.Logs = append(m.Logs, l)
		}
	}
	if err := ix.writeManifest(m); err != nil {
		os.Remove(filepath.Join(ix.dir, name))
		return nil, err
	}
	ix.files.man = m
	for _, f := range old {
		if f != "" && f != m.Base && !slices.Contains(m.Logs, f) {
			if err := os.Remove(filepath.Join(ix.dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				ix.log.Warn("could not remove an old index file", "file", f, "err", err)
			}
		}
	}
	ix.log.Debug("merged the index", "base", name, "articles", comp.lex.liveArts, "chunks", comp.lex.liveChunks,
		"bytes", size, "took", time.Since(job.start).Round(time.Millisecond))
	return comp, nil
}

// logNumber returns the number of a log file's name, -1 for another name.
func logNumber(name string) int {
	var n int
	if _, err := fmt.Sscanf(name, "log-%06d.wal", &n); err != nil {
		return -1
	}
	return n
}

// segNumber returns the number of a segment file's name (a base or a
// log), -1 for another name.
func segNumber(name string) int {
	var n int
	if _, err := fmt.Sscanf(name, "base-%06d.bin", &n); err == nil {
		return n
	}
	return logNumber(name)
}

// checkpoint writes the whole index as a new base at once, with no logs,
// waiting for the background merges first, and compacts it in memory.
// Callers hold addMu.
func (ix *Index) checkpoint() error {
	if ix.dir == "" || ix.readOnly {
		return nil
	}
	if err := ix.refuseDamaged(); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	ix.stopIdleMerge()
	ix.waitMerges()
	ix.WaitVectorCheck()
	if s := ix.snap; ix.mapBase() != s && s.lex.nChunks >= ix.memMin {
		// The heap copy of the mapped postings is garbage: collected
		// now, so that the compaction reuses its memory. A background
		// merge's memory guard collects at its start.
		start := time.Now()
		runtime.GC()
		ix.log.Debug("collected the heap copy of the base's postings", "took", time.Since(start).Round(time.Millisecond))
	}
	job, err := ix.startMerge()
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	comp, err := ix.finishMerge(job)
	ix.dropDamaged(err)
	if err == nil {
		err = ix.publishCompacted(job.snap, comp, nil)
	}
	ix.endMerge(err)
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	return nil
}

// Close waits for the background merges and the check of the 1-bit
// vector pass to end, closes the log and drops the directory's lock. The
// index stays usable: a later Add takes the lock again and starts a new
// log, or fails with ErrLocked when another writer holds the directory or
// changed the index meanwhile.
func (ix *Index) Close() error {
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	ix.stopIdleMerge()
	ix.waitMerges()
	ix.WaitVectorCheck()
	ix.fileMu.Lock()
	defer ix.fileMu.Unlock()
	var err error
	if ix.files.log != nil {
		err = ix.files.log.Close()
		ix.files.log = nil
	}
	return errors.Join(err, ix.unlock())
}

// Files lists the index's files in its directory and their total size, for
// status reports.
func (ix *Index) Files() (names []string, bytes int64) {
	ix.fileMu.Lock()
	m := ix.files.man
	ix.fileMu.Unlock()
	for _, name := range append([]string{m.Base}, m.Logs...) {
		if name == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(ix.dir, name)); err == nil {
			names = append(names, name)
			bytes += fi.Size()
		}
	}
	return names, bytes
}
