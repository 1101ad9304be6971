package termtext

import "io"

// maxControlString bounds the bytes an unterminated control string (OSC,
// DCS, ...) may swallow before output resumes.
const maxControlString = 4096

// Writer states.
const (
	stText      = iota
	stEsc       // after ESC
	stCSI       // in a control sequence: ESC [ or C1 CSI
	stString    // in a control string (OSC, DCS, SOS, PM, APC) up to BEL or ST
	stStringEsc // after ESC in a control string
)

// ControlWriter passes text through to a terminal without its control
// characters: escape sequences (ANSI colours and cursor moves, CSI), control
// strings (OSC, including OSC 8 hyperlinks and window titles, DCS, APC, ...),
// and every other C0 and C1 control character except newline and tab are
// dropped whole, so that article text can neither restyle the terminal nor
// plant a link that shows one address and opens another. A sequence split
// across writes is recognised all the same. Text is otherwise unchanged.
type ControlWriter struct {
	w     io.Writer
	state int
	c2    bool // the last byte was 0xC2, which may start a C1 control
	n     int  // bytes swallowed in the current control string
	buf   []byte
}

// StripControls returns a ControlWriter that writes to w.
func StripControls(w io.Writer) *ControlWriter { return &ControlWriter{w: w} }

// Write writes p without its control characters. It reports len(p) on
// success, the bytes it consumed, whatever it dropped.
func (cw *ControlWriter) Write(p []byte) (int, error) {
	cw.buf = cw.buf[:0]
	for _, b := range p {
		cw.byte(b)
	}
	if len(cw.buf) > 0 {
		if _, err := cw.w.Write(cw.buf); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (cw *ControlWriter) byte(b byte) {
	if cw.c2 {
		cw.c2 = false
		if b >= 0x80 && b <= 0x9f {
			cw.c1(b)
			return
		}
		if cw.state == stText {
			cw.buf = append(cw.buf, 0xc2)
		}
	}
	if b == 0xc2 {
		cw.c2 = true
		return
	}
	switch cw.state {
	case stText:
		switch {
		case b == 0x1b:
			cw.state = stEsc
		case b == '\n' || b == '\t':
			cw.buf = append(cw.buf, b)
		case b < 0x20 || b == 0x7f:
			// A C0 control or DEL: dropped.
		default:
			cw.buf = append(cw.buf, b)
		}
	case stEsc:
		switch {
		case b == '[':
			cw.state = stCSI
		case b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_':
			cw.state, cw.n = stString, 0
		case b >= 0x20 && b <= 0x2f:
			// An intermediate byte: the sequence goes on.
		default:
			cw.state = stText // the final byte ends a two-byte sequence
		}
	case stCSI:
		switch {
		case b >= 0x20 && b <= 0x3f:
			// Parameter and intermediate bytes.
		case b == 0x1b:
			cw.state = stEsc
		default:
			cw.state = stText // the final byte, or a stray one: dropped
		}
	case stString, stStringEsc:
		cw.n++
		switch {
		case b == 0x07:
			cw.state = stText
		case cw.state == stStringEsc && b == '\\':
			cw.state = stText
		case b == 0x1b:
			cw.state = stStringEsc
		case cw.n > maxControlString:
			cw.state = stText
		default:
			cw.state = stString
		}
	}
}

// c1 handles a C1 control character (U+0080 to U+009F).
func (cw *ControlWriter) c1(b byte) {
	switch {
	case cw.state == stString || cw.state == stStringEsc:
		if b == 0x9c { // ST
			cw.state = stText
		}
	case b == 0x9b:
		cw.state = stCSI
	case b == 0x9d || b == 0x90 || b == 0x98 || b == 0x9e || b == 0x9f:
		cw.state, cw.n = stString, 0
	default:
		// Any other C1 control: dropped.
	}
}
