package server_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
)

// protoRecorder notes the HTTP version of every response.
type protoRecorder struct {
	rt     http.RoundTripper
	mu     sync.Mutex
	protos []string
}

func (p *protoRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.rt.RoundTrip(r)
	if err == nil {
		p.mu.Lock()
		p.protos = append(p.protos, resp.Proto)
		p.mu.Unlock()
	}
	return resp, err
}

// The JavaScript SDK speaks only cleartext HTTP/2 with prior knowledge to an
// http:// endpoint; the same port must serve it and HTTP/1.1.
func TestH2CAndHTTP1OnOnePort(t *testing.T) {
	endpoint := start(t, nil)
	for _, tc := range []struct {
		name  string
		proto func(*http.Protocols)
		want  string
	}{
		{"h2c", func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) }, "HTTP/2.0"},
		{"http1", func(p *http.Protocols) { p.SetHTTP1(true) }, "HTTP/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &http.Transport{Protocols: new(http.Protocols)}
			tc.proto(tr.Protocols)
			t.Cleanup(tr.CloseIdleConnections)
			rec := &protoRecorder{rt: tr}
			client := sdktest.Client(t, endpoint, sdktest.Options{HTTPClient: &http.Client{Transport: rec}})
			if _, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
				ModelId: aws.String(haiku), Messages: []types.Message{userText("hello")},
			}); err != nil {
				t.Fatal(err)
			}
			out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
				ModelId: aws.String(haiku), Messages: []types.Message{userText("hello")},
			})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for range out.GetStream().Events() {
				n++
			}
			if err := out.GetStream().Err(); err != nil || n < 4 {
				t.Fatalf("stream over %s: %d events, %v", tc.name, n, err)
			}
			for _, p := range rec.protos {
				if p != tc.want {
					t.Errorf("response over %s, want %s", p, tc.want)
				}
			}
		})
	}
}
