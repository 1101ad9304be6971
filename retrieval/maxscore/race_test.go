//go:build race

package maxscore

// raceStride thins the data-heavy property checks under the race detector,
// which slows this single-threaded code about tenfold and finds nothing in
// it; the full sample runs without -race.
const raceStride = 5
