package router

import (
	"context"
	"errors"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// forwarder is a backend that applies guardrails itself, as the bedrock
// provider does; it records the request it got.
type forwarder struct {
	fake
	got *wire.ConverseRequest
}

func (f *forwarder) ForwardsGuardrails() bool { return true }

func (f *forwarder) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	f.got = c.Request
	return f.fake.Converse(ctx, c)
}

// A backend that applies guardrails itself gets the request untouched
// (even a guardrail converse does not know, which only it can judge);
// every other backend gets converse's guardrail, and an unknown one is
// Bedrock's ValidationException.
func TestGuardrailForwarding(t *testing.T) {
	fw := &forwarder{fake: fake{name: "bedrock"}}
	r := newRouter(t, map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "bedrock": fw}, []Route{{Pattern: "anthropic.*", Target: Target{Backend: "bedrock"}}}, nil)
	secret := "my card is 4111 1111 1111 1111"
	req := &wire.ConverseRequest{
		Messages:        []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Text: &secret}}}},
		GuardrailConfig: &wire.GuardrailStreamConfiguration{GuardrailIdentifier: "onbedrock", GuardrailVersion: "3", Trace: wire.GuardrailTraceEnabled},
	}
	out, err := r.Converse(t.Context(), &provider.Call{ModelID: "anthropic.claude-3-haiku-20240307-v1:0", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if fw.got != req || out.Trace != nil {
		t.Errorf("the bedrock backend did not get the request as sent (%p, want %p), or converse added a trace %+v", fw.got, req, out.Trace)
	}
	_, err = r.Converse(t.Context(), &provider.Call{ModelID: "amazon.nova-micro-v1:0", Request: req})
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
		t.Fatalf("unknown guardrail on a local backend: %v, want ValidationException", err)
	}
}
