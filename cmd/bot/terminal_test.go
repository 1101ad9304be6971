package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTerminalOutputDropsControls asks about, and looks up, an article
// whose text carries ANSI colours, an OSC 8 hyperlink and a window-title
// sequence: the terminal output keeps the words and drops every control
// character, while --json keeps the article's exact text.
func TestTerminalOutputDropsControls(t *testing.T) {
	dir := t.TempDir()
	text := "Harbour Council Approves New Ferry Route\n\nThe harbour council approved a new \x1b[31mferry route\x1b[0m to the northern islands on Monday, the mayor said. " +
		"Passes are renewed at \x1b]8;;https://evil.example/login\x1b\\the council office\x1b]8;;\x1b\\ before June.\x1b]0;pwned\x07\n"
	if err := os.WriteFile(filepath.Join(dir, "harbour.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"ask", []string{"ask", "--corpus", dir, "What did the harbour council approve?"}, []string{"ferry route to the northern", "the mayor said"}},
		{"source", []string{"source", "--corpus", dir, "renewed at the council office"}, []string{"the council office"}},
		{"briefing", []string{"briefing", "--corpus", dir}, []string{"ferry route"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runBot(t, env{}, "", tt.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%q", want, out)
				}
			}
			if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f }); i >= 0 {
				t.Errorf("output carries control character %U at %d:\n%q", []rune(out[i:])[0], i, out)
			}
			if strings.Contains(out, "evil.example") || strings.Contains(out, "pwned") {
				t.Errorf("output shows a control sequence's hidden text:\n%q", out)
			}
		})
	}
	out, errOut, code := runBot(t, env{}, "", "ask", "--json", "--corpus", dir, "What did the harbour council approve?")
	if code != 0 {
		t.Fatalf("ask --json: exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, `\u001b[31mferry route`) {
		t.Errorf("ask --json lost the article's exact text:\n%s", out)
	}
}
