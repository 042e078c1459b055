package openai

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// bodyTransport answers every request with body, without a network.
type bodyTransport []byte

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
}

func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzStream feeds arbitrary bytes as an upstream stream: the translation
// must never panic, and whatever it yields without error must be in
// Bedrock's event order with JSON tool inputs.
func FuzzStream(f *testing.F) {
	addFiles(f, "stream/*.openai.sse")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := New(Options{BaseURL: "http://fuzz.invalid/v1", HTTPClient: &http.Client{Transport: bodyTransport(body)}})
		if err != nil {
			t.Fatal(err)
		}
		events, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: &wire.ConverseRequest{}}))
		if err != nil {
			if _, ok := err.(*wire.Exception); !ok {
				t.Fatalf("error %v is not a *wire.Exception", err)
			}
			return
		}
		checkOrder(t, events)
	})
}

// FuzzTranslateResponse: any body either fails with an exception or gives a
// well-formed Converse response.
func FuzzTranslateResponse(f *testing.F) {
	addFiles(f, "response/*.openai.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		p := &Provider{name: "fuzz", newID: randomToolUseID}
		out, err := p.translateResponse(body, &wire.ConverseRequest{})
		if err != nil {
			if _, ok := err.(*wire.Exception); !ok {
				t.Fatalf("error %v is not a *wire.Exception", err)
			}
			return
		}
		checkResponse(t, out)
	})
}
