package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/conversekit/converse/internal/wire"
)

// Listener wraps ln so that the responses net/http writes on its own,
// before any handler runs, reach the client in Bedrock's error shape
// (X-Amzn-ErrorType and a JSON message) instead of plain text: 431 for
// headers over the server's MaxHeaderBytes, 400 for a malformed request (a
// duplicate Host, a control character in a header, a bad request line),
// 501 for an unknown transfer coding, 505 for an unknown HTTP version, 417
// for an Expect other than 100-continue, and the 400 to plain HTTP sent to
// an HTTPS port. Put it under the server:
// srv.Serve(server.Listener(ln)).
//
// It works on HTTP/1.x in cleartext. Over TLS those responses are written
// inside the encryption, which this layer (below TLS, so that net/http
// still sees a *tls.Conn and negotiates HTTP/2) cannot read; HTTP/2 refuses
// malformed requests with stream resets, which carry no response.
func Listener(ln net.Listener) net.Listener { return shapingListener{ln} }

type shapingListener struct{ net.Listener }

func (l shapingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return shapingConn{c}, nil
}

type shapingConn struct{ net.Conn }

// Write passes every write through except net/http's own error responses,
// which it recognises by their exact form: each is one Write of a status
// line followed by errorHeaders (net/http/server.go), a form no handler of
// this server produces (it never answers text/plain).
func (c shapingConn) Write(b []byte) (int, error) {
	out, ok := reshape(b)
	if !ok {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

var (
	errorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")
	httpToHTTPS  = []byte("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
)

// reshape returns the Bedrock-shaped replacement for one of net/http's
// plain-text error responses.
func reshape(b []byte) ([]byte, bool) {
	if !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return nil, false
	}
	if bytes.Equal(b, httpToHTTPS) {
		return shapedResponse("HTTP/1.0", http.StatusBadRequest,
			"This port speaks HTTPS: call it with an https:// endpoint."), true
	}
	line, rest, ok := bytes.Cut(b, []byte("\r\n"))
	if ok && string(line) == "HTTP/1.1 417 Expectation Failed" {
		// Written through a response writer, with headers of its own; no
		// handler here answers 417.
		return shapedResponse("HTTP/1.1", http.StatusExpectationFailed,
			"The request's Expect header is not supported: send Expect: 100-continue or none."), true
	}
	if !ok || !bytes.HasPrefix(rest, errorHeaders[2:]) || len(line) < len("HTTP/1.1 400") {
		return nil, false
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return nil, false
	}
	// net/http's status line is "<code> <text>" or "<code> <text>: <reason>".
	_, reason, _ := bytes.Cut(line[12:], []byte(": "))
	var msg string
	switch {
	case code == http.StatusRequestHeaderFieldsTooLarge:
		msg = fmt.Sprintf("The request's headers are larger than this server accepts (%d bytes in all). Send fewer or shorter headers.", maxHeaderBytes)
	case code == http.StatusNotImplemented:
		msg = "The request is not valid HTTP/1.1: its Transfer-Encoding is not supported; send Content-Length or Transfer-Encoding: chunked."
	case len(reason) > 0:
		msg = fmt.Sprintf("The request is not valid HTTP/1.1: %s.", reason)
	default:
		msg = "The request is not valid HTTP/1.1: its request line or a header is malformed (for example a control character in a header name or value)."
	}
	return shapedResponse("HTTP/1.1", code, msg), true
}

// shapedResponse is a complete HTTP/1.x response carrying a
// ValidationException: every such refusal is the client's to fix.
func shapedResponse(proto string, status int, msg string) []byte {
	ex := wire.Errorf(wire.ValidationException, "%s", msg)
	body, _ := json.Marshal(exceptionBody(ex)) // strings only: cannot fail
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d %s\r\n", proto, status, http.StatusText(status))
	fmt.Fprintf(&b, "Content-Type: application/json\r\nX-Amzn-Errortype: %s%s\r\nX-Amzn-Requestid: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		ex.Type, errorTypeSuffix, newRequestID(), len(body))
	b.Write(body)
	return b.Bytes()
}

// NetConn returns the connection under the shaping layer (as tls.Conn's
// does), for code that needs the TCP connection itself.
func (c shapingConn) NetConn() net.Conn { return c.Conn }
