package main

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// termios is what a program must restore when it leaves a terminal: its
// input, output and local modes (raw mode clears ICANON, ECHO, ISIG…).
type termios struct{ Iflag, Oflag, Lflag uint32 }

func modes(t *testing.T, f *os.File) termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("terminal modes: %v", err)
	}
	return termios{tio.Iflag, tio.Oflag, tio.Lflag}
}
