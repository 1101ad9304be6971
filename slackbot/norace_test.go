//go:build !race

package slackbot

// raceEnabled: the race detector makes everything several times slower, so
// load tests send less.
const raceEnabled = false
