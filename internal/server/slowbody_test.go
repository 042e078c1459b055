package server_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// A client that sends part of its body and stalls gets an answer when the
// body deadline passes instead of holding the connection.
func TestTricklingBodyTimesOut(t *testing.T) {
	val, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Router: servertest.Failing{Err: wire.Errorf(wire.InternalServerException, "never called")}, Validator: val,
		Auth: auth.Open{}, BodyReadTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, server.HTTPServer(srv, nil), ln, time.Second) }()
	defer func() { cancel(); <-done }()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.Write([]byte("POST /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"messages\":"))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer within 5 s of a stalled body: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), wire.SerializationException) {
		t.Errorf("status %d %q, want 400 SerializationException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
