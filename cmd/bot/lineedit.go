package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// lineReader reads the terminal chat's input one line at a time, showing
// the prompt before each. It returns io.EOF when the input ends.
type lineReader interface {
	ReadLine() (string, error)
}

// newLineReader returns a line editor with history (golang.org/x/term's
// Terminal) when stdin and stdout are both a terminal, and a plain line
// reader otherwise, so pipes and tests read line by line.
func newLineReader(stdin io.Reader, stdout io.Writer, prompt string) lineReader {
	in, inOK := stdin.(*os.File)
	out, outOK := stdout.(*os.File)
	if inOK && outOK && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd())) {
		fd := int(in.Fd())
		return &termReader{
			t: term.NewTerminal(struct {
				io.Reader
				io.Writer
			}{stdin, stdout}, prompt),
			raw: func() (func(), error) {
				st, err := term.MakeRaw(fd)
				if err != nil {
					return nil, err
				}
				return func() { _ = term.Restore(fd, st) }, nil
			},
			size: func() (int, int, error) { return term.GetSize(fd) },
		}
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	return &plainReader{sc: sc, w: stdout, prompt: prompt}
}

// termReader edits lines in a terminal. The terminal is in raw mode only
// while a line is edited, so answers and warnings print as usual; in raw
// mode the editor itself handles Ctrl-C and Ctrl-D (both end the chat),
// the arrow keys and history.
type termReader struct {
	t    *term.Terminal
	raw  func() (restore func(), err error)
	size func() (w, h int, err error)
}

func (r *termReader) ReadLine() (string, error) {
	restore, err := r.raw()
	if err != nil {
		return "", fmt.Errorf("terminal raw mode: %w", err)
	}
	defer restore()
	if w, h, err := r.size(); err == nil && w > 0 && h > 0 {
		_ = r.t.SetSize(w, h) // a terminal that reports no size keeps 80x24
	}
	line, err := r.t.ReadLine()
	if errors.Is(err, term.ErrPasteIndicator) {
		err = nil // a pasted line is a line like any other
	}
	return line, err
}

// plainReader reads lines from a pipe or a file.
type plainReader struct {
	sc     *bufio.Scanner
	w      io.Writer
	prompt string
}

func (r *plainReader) ReadLine() (string, error) {
	fmt.Fprint(r.w, r.prompt)
	if !r.sc.Scan() {
		fmt.Fprintln(r.w)
		if err := r.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return r.sc.Text(), nil
}
