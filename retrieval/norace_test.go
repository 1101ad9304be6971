//go:build !race

package retrieval

const raceStride = 1
