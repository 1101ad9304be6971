package slackbot

import (
	"testing"

	"github.com/briefbot/briefbot/answer"
)

func TestModelUnavailable(t *testing.T) {
	for _, tc := range []struct {
		notes []string
		want  bool
	}{
		{nil, false},
		{[]string{"The model was unavailable; this answer was extracted."}, true},
		{[]string{"Model call failed: timeout"}, true},
		{[]string{answer.NoteUnavailable, answer.NoteUnreadable}, true},
		{[]string{"The question was cut to 500 characters."}, false},
	} {
		if got := modelUnavailable(tc.notes); got != tc.want {
			t.Errorf("modelUnavailable(%q) = %v, want %v", tc.notes, got, tc.want)
		}
	}
}
