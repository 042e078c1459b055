package repl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// lineReader reads one message or command at a time with golang.org/x/term's
// line editor (history on ↑/↓, Emacs keys, bracketed paste).
//
// Multi-line input: a line ending in a backslash continues on the next
// line; a pasted block (bracketed paste) is kept whole and sent with one
// more Enter, so pasted code is never cut at its first newline.
type lineReader struct {
	t    Terminal
	term *term.Terminal
	st   style
}

func newLineReader(t Terminal, out io.Writer, st style) *lineReader {
	tt := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{t, out}, "")
	tt.AutoCompleteCallback = completeCommand
	return &lineReader{t: t, term: tt, st: st}
}

// read returns the next input: a slash command (cmd true) or a message.
// io.EOF means the user left (Ctrl-D on an empty line, or Ctrl-C).
func (r *lineReader) read(prompt string) (text string, cmd bool, err error) {
	restore, err := r.t.Raw()
	if err != nil {
		return "", false, fmt.Errorf("terminal raw mode: %w", err)
	}
	r.term.SetBracketedPasteMode(true)
	defer func() {
		r.term.SetBracketedPasteMode(false)
		if rerr := restore(); rerr != nil && err == nil {
			err = fmt.Errorf("restore terminal: %w", rerr)
		}
	}()
	if sz, ok := r.t.(interface{ Size() (int, int, error) }); ok {
		if w, h, err := sz.Size(); err == nil && w > 0 {
			_ = r.term.SetSize(w, h)
		}
	}
	r.term.SetPrompt(prompt)
	var lines []string
	for {
		line, err := r.term.ReadLine()
		pasted := errors.Is(err, term.ErrPasteIndicator)
		if err != nil && !pasted {
			return "", false, err
		}
		if len(lines) == 0 && !pasted && strings.HasPrefix(line, "/") {
			return line, true, nil
		}
		more := pasted
		if !pasted {
			if l, ok := strings.CutSuffix(line, `\`); ok {
				line, more = l, true
			}
		}
		lines = append(lines, line)
		if !more {
			return strings.TrimRight(strings.Join(lines, "\n"), " \n"), false, nil
		}
		r.term.SetPrompt(r.st.prompt("… "))
	}
}

// completeCommand completes a slash command's name on Tab.
func completeCommand(line string, pos int, key rune) (string, int, bool) {
	if key != '\t' || !strings.HasPrefix(line, "/") || strings.Contains(line, " ") || pos != len(line) {
		return "", 0, false
	}
	var match string
	for _, c := range commands {
		if strings.HasPrefix(c.name, line) {
			if match != "" {
				return "", 0, false
			}
			match = c.name
		}
	}
	if match == "" {
		return "", 0, false
	}
	return match + " ", len(match) + 1, true
}

// TTY is the controlling terminal, opened afresh so that its reads can be
// cancelled (SetReadDeadline) without switching standard input or output
// to non-blocking mode.
type TTY struct{ f *os.File }

// OpenTTY opens the process's terminal.
func OpenTTY() (*TTY, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &TTY{f: f}, nil
}

// Read reads keys.
func (t *TTY) Read(p []byte) (int, error) { return t.f.Read(p) }

// SetReadDeadline ends a pending Read at d.
func (t *TTY) SetReadDeadline(d time.Time) error { return t.f.SetReadDeadline(d) }

// Close closes the terminal.
func (t *TTY) Close() error { return t.f.Close() }

// control runs fn on the descriptor; f.Fd() would make it blocking and
// lose the deadline.
func (t *TTY) control(fn func(fd int) error) error {
	rc, err := t.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// Raw switches the terminal to raw mode and returns how to restore it.
func (t *TTY) Raw() (func() error, error) {
	var st *term.State
	if err := t.control(func(fd int) (err error) { st, err = term.MakeRaw(fd); return err }); err != nil {
		return nil, err
	}
	return func() error { return t.control(func(fd int) error { return term.Restore(fd, st) }) }, nil
}

// Size is the terminal's width and height.
func (t *TTY) Size() (w, h int, err error) {
	err = t.control(func(fd int) (err error) { w, h, err = term.GetSize(fd); return err })
	return w, h, err
}
