//go:build !race

package vecscan

const raceStride = 1
