package openai

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// hostileStream is an upstream stream whose first tool call's arguments
// never complete while later content keeps coming: everything after it
// must be held back, and a translator without a bound grows with the
// stream.
func hostileStream(later func(i int) string, n int) []byte {
	var b bytes.Buffer
	chunk := func(s string) { b.WriteString("data: " + s + "\n\n") }
	chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"a","arguments":"{\"x\":"}}]}}]}`)
	for i := range n {
		chunk(later(i))
	}
	chunk(`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`)
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

func TestHeldBackContentIsBounded(t *testing.T) {
	piece := strings.Repeat("x", 64<<10)
	tests := []struct {
		name  string
		later func(i int) string
	}{
		{"text after an open tool call", func(int) string {
			return `{"choices":[{"index":0,"delta":{"content":"` + piece + `"}}]}`
		}},
		{"a second tool call's arguments", func(i int) string {
			frag := piece
			if i == 0 {
				frag = `{\"y\":\"` + piece
			}
			return `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"b","arguments":"` + frag + `"}}]}}]}`
		}},
		{"the open call's own arguments", func(int) string {
			// The live call is streamed as it comes, but its arguments are
			// kept to tell when they are whole.
			return `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"` + piece + `"}}]}}]}`
		}},
		{"ever more blocks", func(i int) string {
			// Reasoning and text alternating opens a block per chunk.
			if i%2 == 0 {
				return `{"choices":[{"index":0,"delta":{"reasoning_content":"r"}}]}`
			}
			return `{"choices":[{"index":0,"delta":{"content":"t"}}]}`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 200 // 12.5 MiB of held-back pieces
			if tt.name == "ever more blocks" {
				n = 1 << 16
			}
			body := hostileStream(tt.later, n)
			p := newTestProviderOpts(t, Options{BaseURL: "http://backend.test/v1", HTTPClient: &http.Client{Transport: bodyTransport(body)}})
			events, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}))
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ModelStreamErrorException || !strings.Contains(ex.Message, "holds back") || !strings.Contains(ex.Message, `"local-openai"`) {
				t.Fatalf("error = %v, want a ModelStreamErrorException about held-back content naming the backend", err)
			}
			if ex.OriginalStatusCode != http.StatusOK {
				t.Errorf("originalStatusCode %d, want the upstream's 200", ex.OriginalStatusCode)
			}
			if len(events) == 0 || events[0].MessageStart == nil {
				t.Fatalf("the stream should have started before the overflow: %s", dumpEvents(t, events))
			}
			if member, _ := ex.StreamMember(); member != "modelStreamErrorException" {
				t.Errorf("travels as %s", member)
			}
		})
	}
}

// The bound is the option's: a smaller one fails sooner, at the first
// piece that does not fit.
func TestMaxBufferedBytesOption(t *testing.T) {
	body := hostileStream(func(i int) string {
		return fmt.Sprintf(`{"choices":[{"index":0,"delta":{"content":"%s"}}]}`, strings.Repeat("y", 1000))
	}, 10)
	for _, tc := range []struct {
		max    int
		wantOK bool
	}{{64 << 10, true}, {4000, false}} {
		p := newTestProviderOpts(t, Options{BaseURL: "http://backend.test/v1", MaxBufferedBytes: tc.max, HTTPClient: &http.Client{Transport: bodyTransport(body)}})
		_, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}))
		if (err == nil) != tc.wantOK {
			t.Errorf("MaxBufferedBytes %d: error %v, want ok=%v", tc.max, err, tc.wantOK)
		}
	}
}
