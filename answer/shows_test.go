package answer

import (
	"testing"

	"github.com/briefbot/briefbot/citation"
)

func TestShows(t *testing.T) {
	c := citation.Citation{Quote: "The council approved\n the budget."}
	tests := []struct {
		answer string
		want   bool
	}{
		{"The council approved the budget. [1]", true},
		{"The council approved a budget [1].", false},
	}
	for _, tc := range tests {
		if got := Shows(Answer{Answer: tc.answer}, c); got != tc.want {
			t.Errorf("Shows(%q) = %v, want %v", tc.answer, got, tc.want)
		}
	}
}
