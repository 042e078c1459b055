package redistest

import (
	"bufio"
	"net"
	"testing"
)

func TestStart(t *testing.T) {
	a, b := Start(t), Start(t)
	if a == b {
		t.Fatalf("two servers on one address %s", a)
	}
	for _, addr := range []string{a, b} {
		if !ping(addr) {
			t.Errorf("%s does not answer PING", addr)
		}
	}
	// No persistence: CONFIG GET save answers an empty value.
	c, err := net.Dial("tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("CONFIG GET save\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var lines []string
	for range 5 {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if lines[3] != "$0\r\n" {
		t.Errorf("CONFIG GET save = %q, want an empty value", lines)
	}
}
