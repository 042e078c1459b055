package server

import (
	"context"
	"net"
	"net/http"
	"testing"
)

// The stream reset on a stalled reader needs the TCP connection under
// Listener's layer.
func TestTCPConnUnderListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sl := Listener(ln)
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := sl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, _ := http.NewRequestWithContext(context.WithValue(t.Context(), connKey{}, c), http.MethodPost, "/", nil)
	if tcpConn(r) == nil {
		t.Fatal("tcpConn does not find the TCP connection under Listener")
	}
}

// Only net/http's own refusals are rewritten, never a handler's response.
func TestReshapeLeavesHandlerResponses(t *testing.T) {
	for _, b := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}",
		"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Amzn-Errortype: ValidationException\r\n\r\n{\"message\":\"Content-Type: text/plain; charset=utf-8\\r\\nConnection: close\"}",
		"HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n{}",
		"\x00\x00\x01\x00HTTP/1.1 431 x\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n",
	} {
		if _, ok := reshape([]byte(b)); ok {
			t.Errorf("rewrote %q", b)
		}
	}
	if _, ok := reshape([]byte("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large")); !ok {
		t.Error("did not rewrite net/http's 431")
	}
}
