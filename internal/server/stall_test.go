package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
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

// flood streams 16 KB text deltas without pause until its consumer stops
// pulling or its context ends, then reports the context's error: the
// socket buffers of a client that does not read fill within a few hundred
// frames.
type flood struct {
	servertest.Failing            // ModelForms, CountTokens
	ended              chan error // ctx.Err() when the stream stopped
	frames             chan struct{}
}

var floodText = strings.Repeat("flood ", 16<<10/6)

func (f flood) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		defer func() { f.ended <- ctx.Err() }()
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		for ctx.Err() == nil {
			delta := &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr(floodText)}}
			if !yield(&wire.StreamEvent{ContentBlockDelta: delta}, nil) {
				return
			}
			if f.frames != nil {
				select {
				case f.frames <- struct{}{}:
				default:
				}
			}
		}
	}
}

// stallServer runs a server on router with the given stream write timeout
// and no authentication, and returns its address and a channel that
// receives once per request when its handler has returned.
func stallServer(t testing.TB, router server.Router, timeout time.Duration, logs io.Writer) (addr string, handled <-chan struct{}) {
	t.Helper()
	val, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{
		Router: router, Validator: val, Auth: auth.Open{}, StreamWriteTimeout: timeout,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 16)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		done <- struct{}{}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, server.HTTPServer(h, nil), ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := receive(t, "return from Serve", served); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String(), done
}

const streamBody = `{"messages":[{"role":"user","content":[{"text":"go on forever"}]}]}`

// A client that stops reading cannot hold a stream: once a frame cannot be
// written within the stream write timeout, the provider's context is
// cancelled, the handler returns, the failure is logged, and no goroutine
// is left. Over HTTP/1.1 (a raw connection that never reads; the server
// resets it, so the kernel drops the unsent bytes rather than keeping them
// for the client) and h2c (a client that never reads the body, so flow
// control stops the server).
func TestStalledReaderEndsStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		// stall starts a stream and never reads it; after runs once the
		// handler has returned.
		stall func(t *testing.T, addr string) (after func(t *testing.T))
	}{
		{"http1", func(t *testing.T, addr string) func(*testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			req := fmt.Sprintf("POST /model/%s/converse-stream HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				haiku, addr, len(streamBody), streamBody)
			if _, err := conn.Write([]byte(req)); err != nil {
				t.Fatal(err)
			}
			return func(t *testing.T) {
				// An orderly close would deliver the megabytes still queued
				// and then EOF; a reset ends the connection at once.
				_, err := io.Copy(io.Discard, conn)
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("reading the abandoned stream ended with %v, want a connection reset", err)
				}
			}
		}},
		{"h2c", func(t *testing.T, addr string) func(*testing.T) {
			tr := &http.Transport{Protocols: new(http.Protocols)}
			tr.Protocols.SetUnencryptedHTTP2(true)
			t.Cleanup(tr.CloseIdleConnections)
			req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/model/"+haiku+"/converse-stream", strings.NewReader(streamBody))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { resp.Body.Close() })
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			return func(*testing.T) {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			ended := make(chan error, 1)
			logs := &servertest.Buffer{}
			addr, handled := stallServer(t, flood{ended: ended}, 100*time.Millisecond, logs)
			after := tc.stall(t, addr)

			if err := receive(t, "end of the provider's stream", ended); err == nil {
				t.Error("the provider's stream ended with its context still live; the upstream call would go on")
			}
			receive(t, "return of the handler", handled)
			if !strings.Contains(logs.String(), "client stopped reading") {
				t.Errorf("no log line names the stalled client:\n%s", logs.String())
			}
			after(t)
		})
	}
}

// pausing streams one delta, stays silent for pause, then finishes.
type pausing struct {
	servertest.Failing // ModelForms, CountTokens
	pause              time.Duration
}

func (p pausing) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		text := func(s string) *wire.StreamEvent {
			return &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr(s)}}}
		}
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) || !yield(text("before"), nil) {
			return
		}
		select {
		case <-time.After(p.pause):
		case <-ctx.Done():
			yield(nil, ctx.Err())
			return
		}
		for _, ev := range []*wire.StreamEvent{
			text(" and after"),
			{ContentBlockStop: &wire.ContentBlockStopEvent{}},
			{MessageStop: &wire.MessageStopEvent{StopReason: "end_turn"}},
			{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 2, TotalTokens: 3}, Metrics: &wire.ConverseStreamMetrics{}}},
		} {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// The write deadline bounds writing a frame, not the silence between
// frames: a model that thinks longer than the timeout keeps its stream
// (on HTTP/2 the deadline is a timer, which must be lifted between frames).
func TestSilentStreamOutlivesWriteTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	for _, tc := range []struct {
		name  string
		proto func(*http.Protocols)
	}{
		{"http1", func(p *http.Protocols) { p.SetHTTP1(true) }},
		{"h2c", func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := stallServer(t, pausing{pause: 10 * timeout}, timeout, io.Discard)
			tr := &http.Transport{Protocols: new(http.Protocols)}
			tc.proto(tr.Protocols)
			defer tr.CloseIdleConnections()
			client := sdktest.Client(t, "http://"+addr, sdktest.Options{HTTPClient: &http.Client{Transport: tr}})
			out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
				ModelId: aws.String(haiku), Messages: []types.Message{userText("think first")},
			})
			if err != nil {
				t.Fatal(err)
			}
			var text string
			stopped := false
			for ev := range out.GetStream().Events() {
				switch v := ev.(type) {
				case *types.ConverseStreamOutputMemberContentBlockDelta:
					text += v.Value.Delta.(*types.ContentBlockDeltaMemberText).Value
				case *types.ConverseStreamOutputMemberMessageStop:
					stopped = true
				}
			}
			if err := out.GetStream().Err(); err != nil || !stopped || text != "before and after" {
				t.Errorf("text %q, messageStop %v, err %v; want the whole answer", text, stopped, err)
			}
		})
	}
}
