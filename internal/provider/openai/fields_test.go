package openai

import (
	"errors"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

// Request members this backend cannot honour are refused with a
// ValidationException naming the member (docs/fields.md); the rest pass.
func TestCheckFields(t *testing.T) {
	p, err := New(Options{BaseURL: "http://fields.invalid/v1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body, refused string // refused: the member the message names, "" when accepted
	}{
		{`{"serviceTier":{"type":"default"}}`, ""},
		{`{"serviceTier":{"type":"priority"}}`, ""},
		{`{"serviceTier":{"type":"reserved"}}`, "serviceTier"},
		{`{"performanceConfig":{"latency":"standard"}}`, ""},
		{`{"performanceConfig":{"latency":"optimized"}}`, "performanceConfig.latency"},
		{`{"promptVariables":{"topic":{"text":"x"}}}`, "promptVariables"},
		{`{"requestMetadata":{"team":"a"},"projectIdentifier":"default"}`, ""},
		{`{"messages":[{"role":"user","content":[{"text":"q"},{"document":{"name":"d","format":"txt","source":{"text":"x"},"citations":{"enabled":true}}}]}]}`, "messages[0].content[1].document.citations.enabled"},
		{`{"messages":[{"role":"user","content":[{"text":"q"},{"document":{"name":"d","format":"txt","source":{"text":"x"},"citations":{"enabled":false}}}]}]}`, ""},
	} {
		var req wire.ConverseRequest
		if err := wire.Decode([]byte(tc.body), &req); err != nil {
			t.Fatal(err)
		}
		err := p.CheckFields(&req)
		var ex *wire.Exception
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s refused: %v", tc.body, err)
		case tc.refused != "" && (!errors.As(err, &ex) || ex.Type != wire.ValidationException || !strings.Contains(ex.Message, tc.refused)):
			t.Errorf("%s: got %v, want a ValidationException naming %s", tc.body, err, tc.refused)
		}
	}
}
