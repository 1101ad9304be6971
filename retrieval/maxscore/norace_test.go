//go:build !race

package maxscore

const raceStride = 1
