package termtext

import (
	"bytes"
	"testing"
)

func TestStripControls(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text", "Zelenskyy said “yes” — at 10:00.\n\tNext.", "Zelenskyy said “yes” — at 10:00.\n\tNext."},
		{"ANSI colour", "a \x1b[31;1mred\x1b[0m word", "a red word"},
		{"cursor moves and clear screen", "x\x1b[2J\x1b[H\x1b[10;20Hy", "xy"},
		{"OSC 8 hyperlink ended by ST", "see \x1b]8;;https://evil.example\x1b\\slack.com\x1b]8;;\x1b\\ now", "see slack.com now"},
		{"OSC window title ended by BEL", "\x1b]0;pwned\x07title", "title"},
		{"DCS string", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"two-byte escape", "a\x1bcb\x1b(Bc", "abc"},
		{"C0 controls", "a\rb\bc\x00d\x7fe\x07f", "abcdef"},
		{"C1 CSI and OSC", "a\u009b31mb\u009d0;t\u009cc", "abc"},
		{"other C1 controls", "a\u0085b\u0090x\u009cc", "abc"},
		{"accented letters sharing the C2 lead byte", "£ © ¬ é", "£ © ¬ é"},
		{"unterminated OSC is bounded", "a\x1b]" + string(bytes.Repeat([]byte("x"), maxControlString+1)) + "tail", "atail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			n, err := StripControls(&b).Write([]byte(tt.in))
			if err != nil || n != len(tt.in) {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(tt.in))
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// The same, one byte per write: sequences split across writes.
			b.Reset()
			w := StripControls(&b)
			for i := range len(tt.in) {
				if _, err := w.Write([]byte{tt.in[i]}); err != nil {
					t.Fatal(err)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("byte by byte: got %q, want %q", got, tt.want)
			}
		})
	}
}
