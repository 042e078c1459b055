package server_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/openai"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// Frames are coalesced only while the backend has more ready: the first
// event reaches the client while the OpenAI-compatible backend is still
// holding the rest of its answer back, so nothing waits for a later chunk.
func TestStreamFirstEventNotHeldWhileBackendWaits(t *testing.T) {
	release := make(chan struct{})
	chunk := func(w io.Writer, s string) {
		fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", s)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		chunk(w, "Hel")
		w.(http.Flusher).Flush()
		select {
		case <-release: // the client has the first event
		case <-r.Context().Done():
			return
		}
		chunk(w, "lo")
		chunk(w, " world")
		io.WriteString(w, `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}`+"\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(backend.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	p, err := openai.New(openai.Options{BaseURL: backend.URL + "/v1", Name: "vllm"})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"vllm": p},
		Routes:   []router.Route{{Pattern: "*", Target: router.Target{Backend: "vllm", Model: "m"}}},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userText("Hello")},
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var text strings.Builder
	hangGuard := time.After(60 * time.Second)
	for first := true; ; {
		var ev types.ConverseStreamOutput
		var ok bool
		select {
		case ev, ok = <-stream.Events():
		case <-hangGuard:
			t.Fatalf("no event within a minute after %q: the first frames were held while the backend waited", text.String())
		}
		if !ok {
			break
		}
		if d, isDelta := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); isDelta {
			text.WriteString(d.Value.Delta.(*types.ContentBlockDeltaMemberText).Value)
			if first {
				first = false
				close(release)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != "Hello world" {
		t.Errorf("text %q, want %q", text.String(), "Hello world")
	}
}
