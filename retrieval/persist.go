package retrieval

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
	chromem "github.com/philippgille/chromem-go"
)

// IndexFile is the name of the file, in Config.Dir, that holds a persistent
// index.
const IndexFile = "index.gob"

// fileFormat is the layout version of IndexFile.
const fileFormat = 1

// chunkerVersion changes whenever the chunker would cut articles differently.
const chunkerVersion = 1

// persistFile is what IndexFile holds: the articles, their chunks (as
// offsets), term bags and vectors, and what they were made with.
type persistFile struct {
	Format int
	// Signature names the analyser and chunker the bags and chunks come
	// from; Model and Dim the embeddings.
	Signature string
	Model     string
	Dim       int
	Terms     []string
	Articles  []persistArticle
}

type persistArticle struct {
	Article           article.Article
	Hash              string
	Title, Body       bag
	TitleLen, BodyLen int32
	Chunks            []persistChunk
}

type persistChunk struct {
	Start, End int
	Length     int32
	Bag        bag
	// Vec is the unit embedding as little-endian float32s.
	Vec []byte
}

// signature names the analyser, chunker and chunk sizes of the index.
func (ix *Index) signature() string {
	return fmt.Sprintf("analyzer=%d chunker=%d target=%d max=%d min=%d title=%t",
		analyzerVersion, chunkerVersion, ix.chunking.Target, ix.chunking.Max, ix.chunking.Min, ix.embedText)
}

// save writes the index to IndexFile atomically (temporary file, then
// rename). Callers hold addMu.
func (ix *Index) save() error {
	if ix.dir == "" {
		return nil
	}
	start := time.Now()
	ix.mu.RLock()
	pf := persistFile{Format: fileFormat, Signature: ix.signature(), Model: ix.model, Dim: ix.dim, Terms: ix.terms}
	pf.Articles = make([]persistArticle, len(ix.order))
	for i, e := range ix.order {
		pa := persistArticle{Article: *e.art, Hash: e.hash, Title: e.title, Body: e.body,
			TitleLen: e.tLen, BodyLen: e.bLen, Chunks: make([]persistChunk, len(e.chunks))}
		for j, c := range e.chunks {
			pa.Chunks[j] = persistChunk{Start: c.Start, End: c.End, Length: c.length, Bag: c.bag, Vec: vecBytes(c.vec)}
		}
		pf.Articles[i] = pa
	}
	ix.mu.RUnlock()

	tmp, err := os.CreateTemp(ix.dir, IndexFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := gob.NewEncoder(w).Encode(&pf); err != nil {
		tmp.Close()
		return fmt.Errorf("save index: encode: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("save index: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save index: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	path := filepath.Join(ix.dir, IndexFile)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	ix.log.Debug("saved index", "path", path, "articles", len(pf.Articles), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// load reads IndexFile if there is one. Articles whose chunks, bags or
// vectors cannot be reused (another model, analyser or chunker; a damaged
// record) are re-indexed from their stored text.
func (ix *Index) load(ctx context.Context) error {
	path := filepath.Join(ix.dir, IndexFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	var pf persistFile
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&pf); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	var redo []article.Article
	reason := ""
	switch {
	case pf.Format != fileFormat:
		reason = fmt.Sprintf("file format %d, want %d", pf.Format, fileFormat)
	case pf.Model != ix.model:
		reason = fmt.Sprintf("embedding model changed from %q to %q", pf.Model, ix.model)
	case pf.Signature != ix.signature():
		reason = fmt.Sprintf("analyser or chunker changed from %q to %q", pf.Signature, ix.signature())
	}
	if reason != "" {
		for _, pa := range pf.Articles {
			redo = append(redo, pa.Article)
		}
	} else {
		redo = ix.restore(&pf)
		reason = "stored record unusable"
	}
	ix.log.Info("opened index", "path", path, "articles", len(pf.Articles)-len(redo), "took", time.Since(start).Round(time.Millisecond))
	if len(redo) == 0 {
		return nil
	}
	ix.log.Info("re-indexing stored articles", "articles", len(redo), "reason", reason)
	if _, err := ix.Add(ctx, redo); err != nil {
		return fmt.Errorf("re-index: %w", err)
	}
	return nil
}

// restore installs the stored articles whose records are sound and returns
// the others for re-indexing. It runs before the index is shared.
func (ix *Index) restore(pf *persistFile) []article.Article {
	var redo []article.Article
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.terms = pf.Terms
	for id, t := range ix.terms {
		ix.dict[t] = uint32(id)
	}
	nTerms := uint32(len(ix.terms))
	okBag := func(b bag) bool {
		if len(b.IDs) != len(b.TFs) {
			return false
		}
		for _, id := range b.IDs {
			if id >= nTerms {
				return false
			}
		}
		return true
	}
	ctx := context.Background() // chromem does no I/O here
	for i := range pf.Articles {
		pa := &pf.Articles[i]
		a := &pa.Article
		sound := a.ID != "" && a.Hash() == pa.Hash && okBag(pa.Title) && okBag(pa.Body)
		e := &entry{art: a, hash: pa.Hash, outlet: strings.ToLower(strings.TrimSpace(a.Outlet)),
			title: pa.Title, tLen: pa.TitleLen, body: pa.Body, bLen: pa.BodyLen}
		for n, pc := range pa.Chunks {
			if !sound {
				break
			}
			if pc.Start < 0 || pc.End > len(a.Text) || pc.Start >= pc.End || len(pc.Vec) != 4*pf.Dim || !okBag(pc.Bag) {
				sound = false
				break
			}
			e.chunks = append(e.chunks, &chunkRec{Chunk: makeChunk(a, n, pc.Start, pc.End), vec: bytesVec(pc.Vec), bag: pc.Bag, length: pc.Length})
		}
		if !sound {
			redo = append(redo, *a)
			continue
		}
		var added []string
		for _, c := range e.chunks {
			doc := chromem.Document{
				ID:        c.ID,
				Metadata:  map[string]string{"article_id": a.ID, "outlet": a.Outlet, "date": a.Date()},
				Embedding: c.vec,
				Content:   c.Text,
			}
			if err := ix.coll.AddDocument(ctx, doc); err != nil {
				sound = false
				break
			}
			added = append(added, c.ID)
		}
		if !sound {
			if len(added) > 0 {
				_ = ix.coll.Delete(ctx, nil, nil, added...) // in memory: cannot fail with IDs given
			}
			redo = append(redo, *a)
			continue
		}
		ix.entries[a.ID] = e
	}
	if len(ix.entries) > 0 {
		ix.dim = pf.Dim
	}
	ix.rebuild()
	return redo
}

func vecBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func bytesVec(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
