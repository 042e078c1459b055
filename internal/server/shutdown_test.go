package server_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// held answers each stream with a first delta, then waits until the test
// releases that stream (it then finishes normally) or its context ends (it
// then reports the context and stops, with an error or quietly, as
// providers do). Converse waits for its context.
type held struct {
	servertest.Failing                          // ModelForms, CountTokens
	release            map[string]chan struct{} // by prompt
	ended              chan error               // context.Cause of each call ended by its context
	unary              chan struct{}            // a Converse call arrived
}

func promptOf(c *provider.Call) string {
	return *c.Request.Messages[0].Content[0].Text
}

func (h *held) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	h.unary <- struct{}{}
	<-ctx.Done()
	h.ended <- context.Cause(ctx)
	return nil, ctx.Err()
}

func (h *held) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		text := func(s string) *wire.StreamEvent {
			return &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr(s)}}}
		}
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) || !yield(text("part one"), nil) {
			return
		}
		prompt := promptOf(c)
		select {
		case <-h.release[prompt]:
		case <-ctx.Done():
			h.ended <- context.Cause(ctx)
			if strings.HasSuffix(prompt, "quiet") {
				return
			}
			yield(nil, ctx.Err())
			return
		}
		for _, ev := range []*wire.StreamEvent{
			text(" and part two"),
			{ContentBlockStop: &wire.ContentBlockStopEvent{}},
			{MessageStop: &wire.MessageStopEvent{StopReason: "end_turn"}},
			{Metadata: &wire.ConverseStreamMetadataEvent{
				Usage:   &wire.TokenUsage{InputTokens: 3, OutputTokens: 5, TotalTokens: 8},
				Metrics: &wire.ConverseStreamMetrics{LatencyMs: 1},
			}},
		} {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// streamResult is what a client saw of one stream.
type streamResult struct {
	prompt      string
	text        string
	messageStop bool
	err         error
}

// After shutdown begins, open streams may finish within the grace period;
// when it ends, every stream still open ends with a
// ServiceUnavailableException frame (never a silent cut that the SDK takes
// for a complete answer), its provider's context is cancelled, a unary call
// gets the same exception, and Serve returns nil. Over HTTP/1.1 (one
// connection per stream) and h2c (all streams on one connection).
func TestShutdownDrainsThenEndsStreams(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto func(*http.Protocols)
	}{
		{"http1", func(p *http.Protocols) { p.SetHTTP1(true) }},
		{"h2c", func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			testShutdown(t, tc.proto)
		})
	}
}

func testShutdown(t *testing.T, proto func(*http.Protocols)) {
	const n = 100
	h := &held{release: map[string]chan struct{}{}, ended: make(chan error, n+1), unary: make(chan struct{}, 1)}
	prompts := make([]string, n)
	for i := range prompts {
		// Even streams are released during the grace period; odd ones
		// outlive it, half of their providers ending with an error and
		// half quietly.
		prompts[i] = fmt.Sprintf("stream %d", i)
		if i%4 == 3 {
			prompts[i] += " quiet"
		}
		h.release[prompts[i]] = make(chan struct{})
	}
	val, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.New(auth.DevOptions())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Router: h, Validator: val, Auth: verifier})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := server.HTTPServer(srv, nil)
	shutdownBegan := make(chan struct{})
	hs.RegisterOnShutdown(func() { close(shutdownBegan) })
	ctx, beginShutdown := context.WithCancel(context.Background())
	defer beginShutdown()
	grace, endGrace := context.WithCancel(context.Background())
	defer endGrace()
	served := make(chan error, 1)
	go func() { served <- server.ServeGrace(ctx, hs, ln, grace, time.Minute) }()

	tr := &http.Transport{Protocols: new(http.Protocols)}
	proto(tr.Protocols)
	defer tr.CloseIdleConnections()
	// One SDK client per stream: the SDK's event-stream decoder belongs to
	// a client and races when streams share it (smithy-go v1.28.8).
	newClient := func() *bedrockruntime.Client {
		return sdktest.Client(t, "http://"+ln.Addr().String(), sdktest.Options{HTTPClient: &http.Client{Transport: tr}})
	}

	// Every stream is running (its first delta arrived) before the
	// shutdown begins.
	var running sync.WaitGroup
	running.Add(n)
	results := make(chan streamResult, n)
	for _, prompt := range prompts {
		go func() {
			r := streamResult{prompt: prompt}
			defer func() { results <- r }()
			out, err := newClient().ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
				ModelId: aws.String(haiku), Messages: []types.Message{userText(prompt)},
			})
			if err != nil {
				r.err = err
				running.Done()
				return
			}
			st := out.GetStream()
			defer st.Close()
			first := true
			for ev := range st.Events() {
				switch v := ev.(type) {
				case *types.ConverseStreamOutputMemberContentBlockDelta:
					r.text += v.Value.Delta.(*types.ContentBlockDeltaMemberText).Value
					if first {
						first = false
						running.Done()
					}
				case *types.ConverseStreamOutputMemberMessageStop:
					r.messageStop = true
				}
			}
			r.err = st.Err()
		}()
	}
	waitOrFail(t, "streams to start", running.Wait)
	unary := make(chan error, 1)
	go func() {
		_, err := newClient().Converse(context.Background(), &bedrockruntime.ConverseInput{
			ModelId: aws.String(haiku), Messages: []types.Message{userText("unary")},
		})
		unary <- err
	}()
	receive(t, "unary call", h.unary)

	beginShutdown()
	waitOrFail(t, "shutdown to begin", func() { <-shutdownBegan })
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after shutdown began")
	}

	// Within the grace period, released streams finish normally.
	for i := 0; i < n; i += 2 {
		close(h.release[prompts[i]])
	}
	got := map[string]streamResult{}
	for range n / 2 {
		r := receive(t, "stream result", results)
		got[r.prompt] = r
		if r.err != nil || !r.messageStop || r.text != "part one and part two" {
			t.Errorf("%s, released during the grace period: text %q, messageStop %v, err %v; want the whole answer", r.prompt, r.text, r.messageStop, r.err)
		}
	}
	for i := 0; i < n; i += 2 {
		if _, ok := got[prompts[i]]; !ok {
			t.Fatalf("%s released but not finished; another stream ended instead", prompts[i])
		}
	}

	// The grace ends: the rest end with the exception, their providers'
	// contexts are cancelled, and Serve returns nil.
	endGrace()
	for range n / 2 {
		r := receive(t, "stream result", results)
		var unavailable *types.ServiceUnavailableException
		if !errors.As(r.err, &unavailable) || !strings.Contains(unavailable.ErrorMessage(), "shutting down") {
			t.Errorf("%s, open when the grace ended: err %v (messageStop %v), want ServiceUnavailableException saying the server is shutting down", r.prompt, r.err, r.messageStop)
		}
		if r.messageStop || r.text != "part one" {
			t.Errorf("%s: text %q, messageStop %v after the exception", r.prompt, r.text, r.messageStop)
		}
	}
	for range n/2 + 1 {
		if cause := receive(t, "provider end", h.ended); cause == nil {
			t.Error("a provider's context ended without a cause")
		}
	}
	var unavailable *types.ServiceUnavailableException
	if err := receive(t, "unary answer", unary); !errors.As(err, &unavailable) {
		t.Errorf("unary call open when the grace ended: %v, want ServiceUnavailableException", err)
	}
	if err := receive(t, "return from Serve", served); err != nil {
		t.Errorf("Serve: %v, want nil after a shutdown", err)
	}
}

// stuck streams one event, then waits for the test whatever its context
// says: a provider that ignores cancellation.
type stuck struct {
	servertest.Failing // ModelForms, CountTokens
	started, unblock   chan struct{}
}

func (s stuck) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		close(s.started)
		<-s.unblock
	}
}

// A request that does not end when the grace is over (its provider ignores
// cancellation) cannot hold the shutdown: after the wind-down its
// connection is closed, the client sees an error, not a complete answer,
// and Serve returns nil.
func TestShutdownClosesStuckRequests(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	router := stuck{started: make(chan struct{}), unblock: make(chan struct{})}
	val, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Router: router, Validator: val, Auth: auth.Open{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, beginShutdown := context.WithCancel(context.Background())
	defer beginShutdown()
	grace, endGrace := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- server.ServeGrace(ctx, server.HTTPServer(srv, nil), ln, grace, time.Millisecond) }()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := sdktest.Client(t, "http://"+ln.Addr().String(), sdktest.Options{HTTPClient: &http.Client{Transport: tr}})
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText("hello")},
	})
	if err != nil {
		t.Fatal(err)
	}
	receive(t, "stream start", router.started)
	beginShutdown()
	endGrace()
	if err := receive(t, "return from Serve", served); err != nil {
		t.Errorf("Serve: %v, want nil", err)
	}
	for range out.GetStream().Events() {
	}
	if err := out.GetStream().Err(); err == nil {
		t.Error("the stream of a closed connection ended without an error")
	}
	out.GetStream().Close()
	close(router.unblock)
}

// hangGuard bounds waits that only a bug makes long.
const hangGuard = 60 * time.Second

func receive[T any](t testing.TB, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("no %s within %s", what, hangGuard)
		panic("unreachable")
	}
}

func waitOrFail(t *testing.T, what string, wait func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatalf("still waiting for %s after %s", what, hangGuard)
	}
}
