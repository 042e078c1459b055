package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/jsonschema-go/jsonschema"

	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// The rows of docs/fields.md, proven through the official SDK.

const orderSchema = `{"type":"object","properties":{"customer":{"type":"string","minLength":2},` +
	`"items":{"type":"array","minItems":1,"items":{"type":"object","properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{4}$"},"qty":{"type":"integer","minimum":1}},"required":["sku","qty"],"additionalProperties":false}},` +
	`"priority":{"enum":["low","high"]}},"required":["customer","items","priority"],"additionalProperties":false}`

func outputConfig() *types.OutputConfig {
	return &types.OutputConfig{TextFormat: &types.OutputFormat{
		Type: types.OutputFormatTypeJsonSchema,
		Structure: &types.OutputFormatStructureMemberJsonSchema{Value: types.JsonSchemaDefinition{
			Schema: aws.String(orderSchema), Name: aws.String("order"),
		}},
	}}
}

func mustValidate(t *testing.T, schema, doc string) {
	t.Helper()
	var s jsonschema.Schema
	if err := json.Unmarshal([]byte(schema), &s); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("answer is not JSON: %q", doc)
	}
	if err := rs.Validate(v); err != nil {
		t.Errorf("answer %s is not valid against the schema: %v", doc, err)
	}
}

// outputConfig on the built-in model: the answer is JSON valid against the
// schema, on Converse and ConverseStream alike.
func TestStructuredOutputBuiltin(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	msgs := []types.Message{userText("Order 2 widgets for Alice, high priority")}
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: msgs, OutputConfig: outputConfig()})
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, orderSchema, textOf(t, out))

	st, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(sonnet37), Messages: msgs, OutputConfig: outputConfig()})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for ev := range st.GetStream().Events() {
		if d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			if txt, ok := d.Value.Delta.(*types.ContentBlockDeltaMemberText); ok {
				sb.WriteString(txt.Value)
			}
		}
	}
	if err := st.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	mustValidate(t, orderSchema, sb.String())
}

// A schema that is not JSON is refused, naming the field.
func TestStructuredOutputBadSchema(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	oc := outputConfig()
	oc.TextFormat.Structure = &types.OutputFormatStructureMemberJsonSchema{Value: types.JsonSchemaDefinition{Schema: aws.String("{not json")}}
	_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: []types.Message{userText("hi")}, OutputConfig: oc})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "outputConfig.textFormat.structure.jsonSchema.schema") {
		t.Fatalf("got %v, want a ValidationException naming the schema", err)
	}
}

// serviceTier and performanceConfig are echoed, as Bedrock echoes them,
// in the response and in the stream's metadata event.
func TestServiceTierAndPerformanceEchoed(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	tier := &types.ServiceTier{Type: types.ServiceTierTypeFlex}
	perf := &types.PerformanceConfiguration{Latency: types.PerformanceConfigLatencyOptimized}
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: []types.Message{userText("hi")}, ServiceTier: tier, PerformanceConfig: perf})
	if err != nil {
		t.Fatal(err)
	}
	if out.ServiceTier == nil || out.ServiceTier.Type != types.ServiceTierTypeFlex || out.PerformanceConfig == nil || out.PerformanceConfig.Latency != types.PerformanceConfigLatencyOptimized {
		t.Errorf("echo: serviceTier %+v, performanceConfig %+v", out.ServiceTier, out.PerformanceConfig)
	}
	st, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(sonnet37), Messages: []types.Message{userText("hi")}, ServiceTier: tier, PerformanceConfig: perf})
	if err != nil {
		t.Fatal(err)
	}
	var md *types.ConverseStreamMetadataEvent
	for ev := range st.GetStream().Events() {
		if m, ok := ev.(*types.ConverseStreamOutputMemberMetadata); ok {
			md = &m.Value
		}
	}
	if md == nil || md.ServiceTier == nil || md.ServiceTier.Type != types.ServiceTierTypeFlex || md.PerformanceConfig == nil || md.PerformanceConfig.Latency != types.PerformanceConfigLatencyOptimized {
		t.Errorf("stream metadata echo: %+v", md)
	}
}

// requestMetadata and projectIdentifier land in the invocation log.
func TestRequestMetadataInInvocationLog(t *testing.T) {
	client, lines := invocationServer(t, nil)
	meta := map[string]string{"team": "search", "ticket": "OPS-42"}
	_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: []types.Message{userText("hi")},
		RequestMetadata: meta, ProjectIdentifier: aws.String("proj-123")})
	if err != nil {
		t.Fatal(err)
	}
	got := lines.next(t)
	if got.RequestMetadata["team"] != "search" || got.RequestMetadata["ticket"] != "OPS-42" || got.ProjectIdentifier != "proj-123" {
		t.Errorf("record: requestMetadata %v, projectIdentifier %q", got.RequestMetadata, got.ProjectIdentifier)
	}
}

// silent is a backend that reports no usage, as some OpenAI-compatible
// servers do.
type silent struct{}

func (silent) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	text := "The capital of France is Paris."
	return &wire.ConverseResponse{StopReason: wire.StopReasonEndTurn,
		Output: &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: []wire.ContentBlock{{Text: &text}}}}}, nil
}

func (silent) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		text := "The capital of France is Paris."
		for _, ev := range []*wire.StreamEvent{
			{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}},
			{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &text}}},
			{ContentBlockStop: &wire.ContentBlockStopEvent{}},
			{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn}},
			{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{}}},
		} {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// A backend that reports no usage gets counted usage, marked estimated in
// the invocation log.
func TestUsageEstimatedWhenUpstreamReportsNone(t *testing.T) {
	lines := make(sink, 16)
	l, err := invocationlog.New(invocationlog.Options{Writer: lines})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	endpoint := servertest.Start(t, servertest.Options{
		Invocations: l,
		Backends:    map[string]provider.Provider{"silent": silent{}},
		Routes:      []router.Route{{Pattern: sonnet37, Target: router.Target{Backend: "silent"}}},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: []types.Message{userText("What is the capital of France?")}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Usage == nil || aws.ToInt32(out.Usage.InputTokens) == 0 || aws.ToInt32(out.Usage.OutputTokens) == 0 {
		t.Errorf("usage %+v, want counted tokens", out.Usage)
	}
	if rec := lines.next(t); !rec.UsageEstimated || rec.Output.OutputTokenCount == 0 {
		t.Errorf("record: estimated %v, output tokens %d", rec.UsageEstimated, rec.Output.OutputTokenCount)
	}
	st, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(sonnet37), Messages: []types.Message{userText("What is the capital of France?")}})
	if err != nil {
		t.Fatal(err)
	}
	var u *types.TokenUsage
	for ev := range st.GetStream().Events() {
		if m, ok := ev.(*types.ConverseStreamOutputMemberMetadata); ok {
			u = m.Value.Usage
		}
	}
	if u == nil || aws.ToInt32(u.InputTokens) == 0 || aws.ToInt32(u.OutputTokens) == 0 {
		t.Errorf("stream usage %+v, want counted tokens", u)
	}
	if rec := lines.next(t); !rec.UsageEstimated {
		t.Error("stream record not marked estimated")
	}
}
