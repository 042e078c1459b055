package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// byteLines is the byte-at-a-time line splitter lineReader replaced, kept
// as the reference: same lines, same limit, same errors.
func byteLines(r *bufio.Reader, max int) (lines []string, err error) {
	var buf []byte
	skipLF := false
	for {
		b, err := r.ReadByte()
		if err != nil {
			return lines, err
		}
		if skipLF {
			skipLF = false
			if b == '\n' {
				continue
			}
		}
		switch b {
		case '\n', '\r':
			skipLF = b == '\r'
			lines = append(lines, string(buf))
			buf = buf[:0]
			continue
		}
		if len(buf) >= max {
			return lines, ErrLineTooLong
		}
		buf = append(buf, b)
	}
}

// lineReader splits exactly as the byte-at-a-time reference, whatever the
// reads' sizes and wherever "\r\n" is cut.
func TestLineReaderMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab:\r\n d")
	for i := range 3000 {
		in := make([]byte, rng.IntN(200))
		for j := range in {
			in[j] = alphabet[rng.IntN(len(alphabet))]
		}
		max := 1 + rng.IntN(20)
		wrap := []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader,
		}[i%4]
		want, wantErr := byteLines(bufio.NewReaderSize(wrap(bytes.NewReader(in)), 16), max)
		lr := lineReader{r: bufio.NewReaderSize(wrap(bytes.NewReader(in)), 16), max: max}
		var got []string
		var gotErr error
		for {
			line, err := lr.next()
			if err != nil {
				gotErr = err
				break
			}
			got = append(got, string(line))
		}
		if !equalLines(got, want) || errors.Is(gotErr, ErrLineTooLong) != errors.Is(wantErr, ErrLineTooLong) || errors.Is(gotErr, io.EOF) != errors.Is(wantErr, io.EOF) {
			t.Fatalf("input %q max %d:\n got %q, %v\nwant %q, %v", in, max, got, gotErr, want, wantErr)
		}
	}
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
