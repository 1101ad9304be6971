package briefing

import (
	"cmp"
	"math"
	"slices"
)

// group clusters docs into stories by average-linkage agglomerative
// clustering of their TF-IDF vectors: the two groups with the highest
// average pairwise cosine similarity are merged while that similarity is at
// least threshold. It is deterministic: ties go to the lower positions, and
// docs keep their order within a group.
func group(docs []*doc, threshold float64) [][]*doc {
	n := len(docs)
	if n == 0 {
		return nil
	}
	// sim[i][j] is the average similarity of groups i and j (Lance-Williams
	// update for average linkage).
	sim := make([][]float64, n)
	for i := range sim {
		sim[i] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := cosine(docs[i].vec, docs[j].vec)
			sim[i][j], sim[j][i] = s, s
		}
	}
	members := make([][]int, n)
	alive := make([]bool, n)
	for i := range members {
		members[i] = []int{i}
		alive[i] = true
	}
	for {
		bi, bj, best := -1, -1, threshold
		for i := 0; i < n; i++ {
			if !alive[i] {
				continue
			}
			for j := i + 1; j < n; j++ {
				if alive[j] && (sim[i][j] > best || bi < 0 && sim[i][j] == best) {
					bi, bj, best = i, j, sim[i][j]
				}
			}
		}
		if bi < 0 {
			break
		}
		ni, nj := float64(len(members[bi])), float64(len(members[bj]))
		for k := 0; k < n; k++ {
			if !alive[k] || k == bi || k == bj {
				continue
			}
			s := (ni*sim[bi][k] + nj*sim[bj][k]) / (ni + nj)
			sim[bi][k], sim[k][bi] = s, s
		}
		members[bi] = append(members[bi], members[bj]...)
		alive[bj] = false
	}
	var out [][]*doc
	for i := 0; i < n; i++ {
		if !alive[i] {
			continue
		}
		idx := members[i]
		slices.Sort(idx)
		g := make([]*doc, len(idx))
		for k, j := range idx {
			g[k] = docs[j]
		}
		out = append(out, g)
	}
	return out
}

// medoid returns the doc of g most similar on average to the others (the
// first one on a tie).
func medoid(g []*doc) *doc {
	best, bestSim := g[0], -1.0
	for _, a := range g {
		s := 0.0
		for _, b := range g {
			if a != b {
				s += cosine(a.vec, b.vec)
			}
		}
		if s > bestSim+1e-9 { // sums of floats in map order differ in the last bits
			best, bestSim = a, s
		}
	}
	return best
}

// centroid returns the normalised sum of the docs' vectors.
func centroid(g []*doc) vector {
	sum := vector{}
	for _, d := range g {
		for t, w := range d.vec {
			sum[t] += w
		}
	}
	norm := 0.0
	for _, w := range sum {
		norm += w * w
	}
	if norm == 0 {
		return sum
	}
	norm = math.Sqrt(norm)
	for t := range sum {
		sum[t] /= norm
	}
	return sum
}

// sortDocs orders docs by publication time, then ID.
func sortDocs(g []*doc) {
	slices.SortStableFunc(g, func(a, b *doc) int {
		if c := a.art.PublishedAt.Compare(b.art.PublishedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.art.ID, b.art.ID)
	})
}
