package server_test

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/wire"
)

// endless streams text deltas until its consumer stops pulling or the
// request context ends, and reports which happened.
type endless struct {
	server.Router
	ended chan string
}

func (e endless) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: "assistant"}}, nil) {
			e.ended <- "consumer stopped"
			return
		}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				e.ended <- "context cancelled"
				return
			case <-tick.C:
			}
			delta := &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr(" word")}}
			if !yield(&wire.StreamEvent{ContentBlockDelta: delta}, nil) {
				e.ended <- "consumer stopped"
				return
			}
		}
	}
}

// A client that hangs up mid-stream ends the provider's stream (and with
// it any upstream call) and leaves no goroutine behind.
func TestClientDisconnectEndsStream(t *testing.T) {
	// Registered first, so it runs after the server and client cleanups.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ended := make(chan string, 1)
	endpoint := start(t, func(r server.Router) server.Router { return endless{Router: r, ended: ended} })
	client := sdktest.Client(t, endpoint, sdktest.Options{})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText("go on forever")},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range out.GetStream().Events() {
		if n++; n == 10 {
			cancel() // the client hangs up
			break
		}
	}
	out.GetStream().Close()
	select {
	case how := <-ended:
		t.Logf("provider stream ended: %s after %d events", how, n)
	case <-time.After(5 * time.Second):
		t.Fatal("provider stream still running 5 s after the client hung up")
	}
}
