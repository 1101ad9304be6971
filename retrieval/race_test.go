//go:build race

package retrieval

// raceStride thins the data-heavy checks under the race detector, which
// makes them 5-10x slower: every raceStride-th question is asked.
const raceStride = 8
