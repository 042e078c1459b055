package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/jsonschema-go/jsonschema"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

type Forecast struct {
	City         string   `json:"city" jsonschema:"the city asked about"`
	TemperatureC int      `json:"temperatureC"`
	Conditions   []string `json:"conditions"`
	Note         string   `json:"note,omitempty"`
}

// The schema of T travels in outputConfig; the built-in model answers with
// JSON valid against it, decoded into T.
func TestEntityBuiltin(t *testing.T) {
	rec := &recording{Provider: builtinModel(t)}
	c := newClient(t, start(t, rec))
	f, resp, err := chat.Entity[Forecast](t.Context(), c.Prompt("What is the weather in Paris? It is 21 degrees and sunny."))
	if err != nil {
		t.Fatal(err)
	}
	if f.City != "Paris" || f.TemperatureC != 21 || len(f.Conditions) != 1 {
		t.Errorf("decoded %+v from %q", f, resp.Text)
	}
	req := rec.last(t)
	oc := req.OutputConfig
	if oc == nil || oc.TextFormat == nil || oc.TextFormat.Type != "json_schema" || oc.TextFormat.Structure.JSONSchema == nil {
		t.Fatalf("outputConfig %s", asJSON(t, oc))
	}
	js := oc.TextFormat.Structure.JSONSchema
	want, err := jsonschema.For[Forecast](nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := js.Schema; got != asJSON(t, want) || js.Name != "Forecast" {
		t.Errorf("schema %s named %q, want %s named Forecast", got, js.Name, asJSON(t, want))
	}
	// A stream with the same option gets the same structured answer.
	var text strings.Builder
	for ch, err := range c.Prompt("What is the weather in Paris? It is 21 degrees and sunny.").Options(chat.Options{Output: &chat.OutputFormat{Name: "Forecast", Schema: json.RawMessage(js.Schema)}}).Stream(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(ch.Text)
	}
	if text.String() != resp.Text {
		t.Errorf("stream %q, call %q", text.String(), resp.Text)
	}
}

// An answer that is not a document valid for T is an *EntityError naming
// the type, with the text and the Response beside it.
func TestEntityErrors(t *testing.T) {
	for _, tc := range []struct {
		name, answer, want string
	}{
		{"not JSON", "Sorry, I can only answer in prose.", "invalid character"},
		{"fenced", "```json\n{\"city\":\"Paris\",\"temperatureC\":21,\"conditions\":[\"sunny\"]}\n```", ""},
		{"missing required", `{"city":"Paris"}`, "required"},
		{"wrong type", `{"city":"Paris","temperatureC":"warm","conditions":[]}`, "type"},
		{"trailing text", `{"city":"Paris","temperatureC":21,"conditions":[]} Hope this helps!`, "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{answer: func(context.Context, int, *wire.ConverseRequest) (*wire.ConverseResponse, error) {
				return textAnswer(tc.answer), nil
			}}
			c := newClient(t, start(t, s))
			f, resp, err := chat.Entity[Forecast](t.Context(), c.Prompt("Weather in Paris?"))
			if tc.want == "" {
				if err != nil || f.City != "Paris" || f.TemperatureC != 21 {
					t.Errorf("got %+v, %v", f, err)
				}
				return
			}
			var ee *chat.EntityError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want an EntityError containing %q", err, tc.want)
			}
			if ee.Type != "chat_test.Forecast" || ee.Text != tc.answer || ee.StopReason != types.StopReasonEndTurn || resp == nil || resp.Text != tc.answer {
				t.Errorf("error %+v, response %+v", ee, resp)
			}
		})
	}
	// A type without a JSON Schema fails before anything is sent.
	s := &script{}
	c := newClient(t, start(t, s))
	if _, _, err := chat.Entity[chan int](t.Context(), c.Prompt("hi")); err == nil || len(s.requests()) != 0 {
		t.Errorf("chan int: %v after %d requests", err, len(s.requests()))
	}
	if _, err := c.Prompt("hi").Options(chat.Options{Output: &chat.OutputFormat{Schema: json.RawMessage(`[1]`)}}).Call(t.Context()); err == nil || len(s.requests()) != 0 {
		t.Errorf("schema not an object: %v", err)
	}
}

// A blocked answer is no document: the error says why.
func TestEntityGuardrailIntervened(t *testing.T) {
	endpoint, _ := startGuarded(t)
	c := newClient(t, endpoint, chat.WithOptions(gr1))
	_, resp, err := chat.Entity[Forecast](t.Context(), c.Prompt("Tell me about blorp."))
	var ee *chat.EntityError
	if !errors.As(err, &ee) || ee.StopReason != types.StopReasonGuardrailIntervened || !resp.GuardrailIntervened() || !strings.Contains(err.Error(), "guardrail_intervened") {
		t.Errorf("err %v", err)
	}
}

// serviceTier and performanceConfig reach the model and come back as
// Bedrock echoes them; options merge as the others.
func TestServiceTierAndLatency(t *testing.T) {
	rec := &recording{Provider: builtinModel(t)}
	c := newClient(t, start(t, rec), chat.WithOptions(chat.Options{ServiceTier: types.ServiceTierTypeFlex}))
	resp, err := c.Prompt("Hello").Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := asJSON(t, rec.last(t).ServiceTier); got != `{"type":"flex"}` || rec.last(t).PerformanceConfig != nil {
		t.Errorf("serviceTier %s, performanceConfig %s", got, asJSON(t, rec.last(t).PerformanceConfig))
	}
	if resp.ServiceTier != types.ServiceTierTypeFlex || resp.Metadata["serviceTier"] != "flex" {
		t.Errorf("response tier %q, metadata %v", resp.ServiceTier, resp.Metadata["serviceTier"])
	}
	opts := chat.Options{ServiceTier: types.ServiceTierTypePriority, PerformanceLatency: types.PerformanceConfigLatencyOptimized}
	resp, err = c.Prompt("Hello").Options(opts).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := asJSON(t, rec.last(t).PerformanceConfig); got != `{"latency":"optimized"}` || rec.last(t).ServiceTier.Type != "priority" {
		t.Errorf("performanceConfig %s, tier %s", got, rec.last(t).ServiceTier.Type)
	}
	if resp.ServiceTier != types.ServiceTierTypePriority || resp.PerformanceLatency != types.PerformanceConfigLatencyOptimized || resp.Metadata["performanceConfig"] != "optimized" {
		t.Errorf("echo %q %q %v", resp.ServiceTier, resp.PerformanceLatency, resp.Metadata)
	}
	var last chat.Chunk
	for ch, err := range c.Prompt("Hello").Options(opts).Stream(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if ch.Usage != nil {
			last = ch
		}
	}
	if last.ServiceTier != types.ServiceTierTypePriority || last.PerformanceLatency != types.PerformanceConfigLatencyOptimized {
		t.Errorf("stream metadata tier %q latency %q", last.ServiceTier, last.PerformanceLatency)
	}
}
