package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// serveHandler runs h as `converse serve` does (HTTPServer on Listener) on
// a loopback port until the test ends and returns host:port.
func serveHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, server.HTTPServer(h, nil), server.Listener(ln), time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// newServer is a server with the development key (or o.Auth) and a router
// that fails unless o.Router is set.
func newServer(t *testing.T, o server.Options) *server.Server {
	t.Helper()
	val, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	o.Validator = val
	if o.Router == nil {
		o.Router = servertest.Failing{Err: wire.Errorf(wire.InternalServerException, "not expected to be called")}
	}
	if o.Auth == nil {
		v, err := auth.New(auth.DevOptions())
		if err != nil {
			t.Fatal(err)
		}
		o.Auth = v
	}
	s, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawResponse is what a raw HTTP/1.1 exchange returned.
type rawResponse struct {
	status          int
	errType, ctype  string
	message, rawErr string
}

// exchange writes req on a fresh connection to addr (from a goroutine, so
// a server that stops reading cannot block the test) and reads one
// response. It never sends more than req: a request that declares a body
// and stops after its headers is answered only if the server refuses it
// without reading the body.
func exchange(t *testing.T, addr, req string) rawResponse {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() { _, _ = io.WriteString(conn, req) }()
	// A hang guard, not a timing assumption: a server that waits for the
	// body never answers.
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(b, &body)
	errType, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	return rawResponse{status: resp.StatusCode, errType: errType, ctype: resp.Header.Get("Content-Type"), message: body.Message, rawErr: string(b)}
}

const fiftyMB = 50 << 20

// A caller the server cannot identify from its headers is refused before
// its body is read: these requests declare 50 MB and send none of it, and
// the refusal still arrives.
func TestUnidentifiedBodyNotRead(t *testing.T) {
	addr := serveHandler(t, newServer(t, server.Options{
		Auth:            authOptions(t, teamAuth(0)),
		BodyReadTimeout: time.Hour, // reading the body would hang the test
	}))
	const path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
	amzDate := time.Now().UTC().Format("20060102T150405Z")
	sigv4 := func(akid, region string) string {
		return fmt.Sprintf("Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%s\r\nX-Amz-Date: %s\r\n",
			akid, amzDate[:8], region, strings.Repeat("0", 64), amzDate)
	}
	for _, tc := range []struct {
		name, headers, wantType string
	}{
		{"no credentials", "", wire.AccessDeniedException},
		{"unknown access key", sigv4("AKIANOBODY0000000001", "us-east-1"), wire.UnrecognizedClientException},
		{"bad api key", "Authorization: Bearer not-a-key\r\n", wire.AccessDeniedException},
		{"wrong region", sigv4("AKIATEAMEXAMPLE00001", "attacker-region-1"), wire.InvalidSignatureException},
		{"unsigned payload over http", sigv4("AKIATEAMEXAMPLE00001", "us-east-1") + "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n", wire.IncompleteSignatureException},
		{"bad signature over a declared hash", strings.Replace(sigv4("AKIATEAMEXAMPLE00001", "us-east-1"), "content-type;host;x-amz-date", "content-type;host;x-amz-content-sha256;x-amz-date", 1) +
			"X-Amz-Content-Sha256: " + strings.Repeat("a", 64) + "\r\n", wire.InvalidSignatureException},
	} {
		// 50 MB, and 1 KB, which net/http would wait for before answering
		// unless the response closes the connection.
		for _, size := range []int{fiftyMB, 1 << 10} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, size), func(t *testing.T) {
				got := exchange(t, addr, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n",
					path, addr, size, tc.headers))
				if got.status != http.StatusForbidden || got.errType != tc.wantType || got.message == "" {
					t.Errorf("got %d %s %q, want 403 %s with a message", got.status, got.errType, got.rawErr, tc.wantType)
				}
			})
		}
	}
}

// stalledBody yields nothing and blocks until closed, counting reads.
type stalledBody struct {
	reads  atomic.Int64
	closed chan struct{}
}

func (b *stalledBody) Read([]byte) (int, error) {
	b.reads.Add(1)
	<-b.closed
	return 0, io.ErrClosedPipe
}

func (b *stalledBody) Close() error {
	select {
	case <-b.closed:
	default:
		close(b.closed)
	}
	return nil
}

// stallingTransport sends each request's headers (with its real
// Content-Length) but never a byte of its body.
type stallingTransport struct {
	base  http.RoundTripper
	bodys []*stalledBody
}

func (s *stallingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b := &stalledBody{closed: make(chan struct{})}
	s.bodys = append(s.bodys, b)
	r = r.Clone(r.Context())
	r.Body = b
	r.GetBody = nil
	return s.base.RoundTrip(r)
}

// The same through the Go SDK: a 50 MB Converse call signed with a key the
// server does not know gets UnrecognizedClientException although its body
// never leaves the client.
func TestUnidentifiedBodyNotReadThroughSDK(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs last, after the server stops
	addr := serveHandler(t, newServer(t, server.Options{BodyReadTimeout: time.Hour}))
	tr := &stallingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	defer tr.base.(*http.Transport).CloseIdleConnections()
	client := sdktest.Client(t, "http://"+addr, sdktest.Options{
		AccessKeyID: "AKIANOBODY0000000001", SecretAccessKey: "x", HTTPClient: &http.Client{Transport: tr},
	})
	_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText(strings.Repeat("a", fiftyMB))},
	})
	var unrecognized interface{ ErrorCode() string }
	if !errors.As(err, &unrecognized) || unrecognized.ErrorCode() != wire.UnrecognizedClientException {
		t.Fatalf("error %v, want UnrecognizedClientException", err)
	}
	for _, b := range tr.bodys {
		b.Close()
	}
}

// blockingRouter holds every Converse call until release is closed.
type blockingRouter struct {
	servertest.Failing
	entered chan struct{}
	release chan struct{}
}

func (b *blockingRouter) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	b.entered <- struct{}{}
	<-b.release
	return &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: []wire.ContentBlock{{Text: aws.String("ok")}}}},
		StopReason: wire.StopReasonEndTurn, Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2},
	}, nil
}

func (b *blockingRouter) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return b.Failing.ConverseStream(context.Background(), nil)
}

// Bodies held at once are bounded: while one request holds the whole
// budget, another waits BodyBudgetWait and gets ThrottlingException (which
// the SDKs retry); once the budget is free it succeeds.
func TestBodyBudgetExhausted(t *testing.T) {
	const budget = 256 << 10
	rt := &blockingRouter{Failing: servertest.Failing{Err: wire.Errorf(wire.InternalServerException, "unused")}, entered: make(chan struct{}), release: make(chan struct{})}
	addr := serveHandler(t, newServer(t, server.Options{
		Router: rt, MaxBodyBytes: budget, MaxInflightBodyBytes: budget,
		// Short, but the outcome does not depend on it: the holder keeps
		// the budget until the test releases it.
		BodyBudgetWait: 10 * time.Millisecond,
	}))
	client := sdktest.Client(t, "http://"+addr, sdktest.Options{})
	call := func(text string) error {
		_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userText(text)}})
		return err
	}
	// Each body is over half the budget: two cannot be held at once.
	big := strings.Repeat("x", budget*6/10)
	holder := make(chan error, 1)
	go func() { holder <- call(big) }()
	<-rt.entered // the holder's body is read and held by its handler

	err := call(big)
	var throttled *types.ThrottlingException
	if !errors.As(err, &throttled) {
		t.Fatalf("over budget: %v, want ThrottlingException", err)
	}
	if !strings.Contains(throttled.ErrorMessage(), "server.max_inflight_body_bytes") {
		t.Errorf("message does not name the setting: %q", throttled.ErrorMessage())
	}

	close(rt.release)
	if err := <-holder; err != nil {
		t.Fatalf("holder: %v", err)
	}
	go func() { <-rt.entered }()
	if err := call(big); err != nil {
		t.Fatalf("after the budget was freed: %v", err)
	}
}

// A body over the limit gets 413 and the exception shape: refused before
// reading when its length is declared, at the limit when it is chunked.
func TestBodyTooLarge(t *testing.T) {
	const limit = 64 << 10
	addr := serveHandler(t, newServer(t, server.Options{Auth: auth.Open{}, MaxBodyBytes: limit, BodyReadTimeout: time.Hour}))
	const head = "POST /model/m/converse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	for _, tc := range []struct{ name, req string }{
		{"declared, nothing sent", head + fmt.Sprintf("Content-Length: %d\r\n\r\n", limit+1)},
		{"chunked", head + "Transfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", limit+1, strings.Repeat("a", limit+1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exchange(t, addr, tc.req)
			if got.status != http.StatusRequestEntityTooLarge || got.errType != wire.ValidationException || !strings.Contains(got.message, "65536") {
				t.Errorf("got %d %s %q, want 413 ValidationException naming the limit", got.status, got.errType, got.rawErr)
			}
		})
	}
	// Through the SDK: typed, with status 413.
	sdkAddr := serveHandler(t, newServer(t, server.Options{MaxBodyBytes: limit}))
	_, err := sdktest.Client(t, "http://"+sdkAddr, sdktest.Options{}).Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText(strings.Repeat("a", limit))},
	})
	var ve *types.ValidationException
	var re *smithyhttp.ResponseError
	if !errors.As(err, &ve) || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusRequestEntityTooLarge {
		t.Errorf("SDK: %v, want ValidationException with status 413", err)
	}
}

// A chunked body within the limit is read (unknown length, budget taken
// as the buffer grows), up to exactly the limit with a budget of exactly
// the limit.
func TestChunkedBodyRead(t *testing.T) {
	const limit = 1 << 20
	addr := serveHandler(t, newServer(t, server.Options{Auth: auth.Open{}, MaxBodyBytes: limit, MaxInflightBodyBytes: limit, BodyBudgetWait: time.Hour}))
	for _, size := range []int{300 << 10, limit} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			const pre, post = `{"messages":[{"role":"user","content":[{"text":"`, `"}]}],"inferenceConfig":{"maxTokens":0}}`
			body := pre + strings.Repeat("b", size-len(pre)-len(post)) + post
			got := exchange(t, addr, "POST /model/m/converse HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
				fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body))
			// The whole body was read and decoded: validation speaks about
			// its content, not its transport.
			if got.status != http.StatusBadRequest || got.errType != wire.ValidationException || !strings.Contains(got.message, "maxTokens") {
				t.Errorf("got %d %s %q, want the validation error about maxTokens", got.status, got.errType, got.rawErr)
			}
		})
	}
}

func authOptions(t *testing.T, o *auth.Options) *auth.Verifier {
	t.Helper()
	v, err := auth.New(*o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
