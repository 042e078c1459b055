package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/servertest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/wire"
)

func call() *provider.Call {
	return &provider.Call{ModelID: "m", UpstreamModel: "m", Request: &wire.ConverseRequest{
		Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{{Text: wire.Ptr("hi")}}}},
	}}
}

// The per-backend stream timeouts of the config reach every kind of
// backend: a backend that answers headers and then nothing fails after the
// configured first_token_timeout, named in the message.
func TestBackendStreamTimeoutsWired(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.HasSuffix(r.URL.Path, "/converse-stream") {
			w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		} else {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute): // a guard against a hang, never reached
		}
	}))
	defer hung.Close()
	for _, b := range []config.Backend{
		{Name: "slow-openai", Kind: config.KindOpenAI, BaseURL: hung.URL + "/v1"},
		{Name: "slow-anthropic", Kind: config.KindAnthropic, BaseURL: hung.URL},
		{Name: "slow-bedrock", Kind: config.KindBedrock, BaseURL: hung.URL, Region: "us-east-1"},
	} {
		t.Run(b.Kind, func(t *testing.T) {
			b.FirstTokenTimeout, b.IdleTimeout = 50*time.Millisecond, time.Hour
			p, err := backend(t.Context(), b, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got error
			for ev, err := range p.ConverseStream(t.Context(), call()) {
				if ev != nil {
					t.Errorf("event %s before the timeout", ev.EventType())
				}
				got = err
			}
			var ex *wire.Exception
			if !errors.As(got, &ex) || ex.Type != wire.ModelTimeoutException || !strings.Contains(ex.Message, "within 50ms") || !strings.Contains(ex.Message, "first_token_timeout") {
				t.Errorf("error %v, want a ModelTimeoutException after the configured 50ms first_token_timeout", got)
			}
		})
	}
}

// A configured backend follows no redirect, and the warning reaches the
// server's log.
func TestBackendRefusesRedirects(t *testing.T) {
	reached := false
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	var logs servertest.Buffer
	p, err := backend(t.Context(), config.Backend{Name: "moved", Kind: config.KindOpenAI, BaseURL: srv.URL + "/v1"}, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(t.Context(), call())
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ServiceUnavailableException || reached {
		t.Errorf("error %v (target reached: %v), want ServiceUnavailableException and no call to the target", err, reached)
	}
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "backend=moved") || !strings.Contains(out, "location="+other.URL) {
		t.Errorf("log:\n%s", out)
	}
}

// Through the official SDK: a backend that only sends empty keep-alive
// chunks fails its first_token_timeout before the client saw any event, so
// the route's fallback answers; without a fallback the client gets a typed
// ModelTimeoutException, not a stream that never ends.
func TestServeFirstTokenTimeoutFallsBack(t *testing.T) {
	keepAlive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for {
			if _, err := io.WriteString(w, "data: {\"choices\":[]}\n\n"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}))
	defer keepAlive.Close()
	cfg := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(cfg, []byte(`
backends:
  - name: warm-but-silent
    kind: openai
    base_url: `+keepAlive.URL+`/v1
    first_token_timeout: 200ms
routes:
  - match: anthropic.claude-3-haiku-20240307-v1:0
    backend: warm-but-silent
    fallbacks: [{backend: builtin}]
  - match: amazon.nova-lite-v1:0
    backend: warm-but-silent
`), 0o600); err != nil {
		t.Fatal(err)
	}
	client := sdktest.Client(t, startServe(t, "-config", cfg), sdktest.Options{})
	stream := func(model string) (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // a guard against a hang
		defer cancel()
		out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
			ModelId:  aws.String(model),
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
		})
		if err != nil {
			return "", err
		}
		defer out.GetStream().Close()
		var text strings.Builder
		for ev := range out.GetStream().Events() {
			if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
				if tx, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
					text.WriteString(tx.Value)
				}
			}
		}
		return text.String(), out.GetStream().Err()
	}
	got, err := stream("anthropic.claude-3-haiku-20240307-v1:0")
	if err != nil || !strings.HasPrefix(got, "H") || !strings.HasSuffix(got, "?") { // the built-in model's greeting
		t.Errorf("with a fallback: %q, %v; want the built-in model's answer", got, err)
	}
	_, err = stream("amazon.nova-lite-v1:0")
	var mt *types.ModelTimeoutException
	if !errors.As(err, &mt) || !strings.Contains(err.Error(), "first_token_timeout") {
		t.Errorf("without a fallback: %v, want a ModelTimeoutException naming first_token_timeout", err)
	}
}
