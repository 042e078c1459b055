package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// Every refusal, including those net/http would write itself before any
// handler runs, carries Bedrock's error shape: X-Amzn-ErrorType and a JSON
// body with a message, never a redirect or plain text.
func TestEveryRefusalIsTyped(t *testing.T) {
	addr := serveHandler(t, newServer(t, server.Options{MaxBodyBytes: 1 << 20}))
	const good = "Host: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
	for _, tc := range []struct {
		name, req  string
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{"dot-dot segment", "POST /model/a/../converse HTTP/1.1\r\n" + good, 404, wire.UnknownOperationException, "No Bedrock Runtime operation matches POST /model/a/../converse"},
		{"dot-dot as model ID", "POST /model/../converse HTTP/1.1\r\n" + good, 403, wire.AccessDeniedException, "Authorization header is missing"},
		{"double slash", "POST //model/m/converse HTTP/1.1\r\n" + good, 404, wire.UnknownOperationException, "No Bedrock Runtime operation"},
		{"dot segment", "POST /model/m/./converse HTTP/1.1\r\n" + good, 404, wire.UnknownOperationException, "No Bedrock Runtime operation"},
		{"escaped dot-dot in the model ID", "POST /model/a%2F..%2F..%2Fb/converse HTTP/1.1\r\n" + good, 403, wire.AccessDeniedException, "Authorization header is missing"},
		{"empty model ID", "POST /model//converse HTTP/1.1\r\n" + good, 403, wire.AccessDeniedException, "Authorization header is missing"},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 404, wire.UnknownOperationException, "No Bedrock Runtime operation matches OPTIONS"},
		{"unknown operation", "GET /model/m/converse HTTP/1.1\r\nHost: x\r\n\r\n", 404, wire.UnknownOperationException, "No Bedrock Runtime operation"},
		{"2 MB header", "POST /model/m/converse HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n" + good[len("Host: x\r\n"):], 431, wire.ValidationException, "headers are larger than this server accepts"},
		{"duplicate host", "POST /model/m/converse HTTP/1.1\r\nHost: x\r\n" + good, 400, wire.ValidationException, "not valid HTTP/1.1"},
		{"no host", "POST /model/m/converse HTTP/1.1\r\n" + good[len("Host: x\r\n"):], 400, wire.ValidationException, "not valid HTTP/1.1: missing required Host header"},
		{"NUL in a header", "POST /model/m/converse HTTP/1.1\r\nX-Bad: a\x00b\r\n" + good, 400, wire.ValidationException, "not valid HTTP/1.1"},
		{"bad request line", "POST /model/m/converse\r\nHost: x\r\n\r\n", 400, wire.ValidationException, "not valid HTTP/1.1"},
		{"unknown transfer coding", "POST /model/m/converse HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, wire.ValidationException, "Transfer-Encoding is not supported"},
		{"unknown expectation", "POST /model/m/converse HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}", 417, wire.ValidationException, "Expect header is not supported"},
		{"unknown HTTP version", "POST /model/m/converse HTTP/3.7\r\n" + good, 505, wire.ValidationException, "not valid HTTP/1.1: unsupported protocol version"},
		{"unsigned body over the limit", fmt.Sprintf("POST /model/m/converse HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 2<<20), 403, wire.AccessDeniedException, "Authorization header is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exchange(t, addr, tc.req)
			if got.status != tc.wantStatus || got.errType != tc.wantType || !strings.Contains(got.message, tc.wantMsg) || got.ctype != "application/json" {
				t.Errorf("got %d %s (%s) %q\nwant %d %s with a JSON message containing %q", got.status, got.errType, got.ctype, got.rawErr, tc.wantStatus, tc.wantType, tc.wantMsg)
			}
		})
	}
}

// Plain HTTP sent to the HTTPS port gets the exception shape too (net/http
// writes that answer below TLS, where Listener sees it).
func TestHTTPToHTTPSPortIsTyped(t *testing.T) {
	endpoint, _ := servertest.StartTLS(t, servertest.Options{})
	got := exchange(t, strings.TrimPrefix(endpoint, "https://"), "POST /model/m/converse HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	if got.status != 400 || got.errType != wire.ValidationException || !strings.Contains(got.message, "https://") {
		t.Errorf("got %d %s %q, want 400 ValidationException telling to use https://", got.status, got.errType, got.rawErr)
	}
}
