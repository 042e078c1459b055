//go:build !linux

package main

import (
	"os"
	"testing"
)

// termios is not compared outside Linux.
type termios struct{}

func modes(*testing.T, *os.File) termios { return termios{} }
