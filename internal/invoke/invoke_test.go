package invoke

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/golden"
	"github.com/conversekit/converse/internal/wire"
)

// TestToConverseGolden proves the Messages → Converse translation on
// recorded bodies (LangChainGo's tools call, pydantic-ai's cached prompt)
// and on one body with every block type.
func TestToConverseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.messages.json")
	if err != nil || len(files) < 3 {
		t.Fatalf("cases: %v %v", files, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".messages.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			req, err := DecodeMessages(body)
			if err != nil {
				t.Fatal(err)
			}
			conv, err := req.ToConverse("anthropic.claude-sonnet-4-20250514-v1:0")
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(conv)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".converse.json"), golden.IndentJSON(t, got))
		})
	}
}

func TestDecodeMessagesRefuses(t *testing.T) {
	const ok = `"anthropic_version":"bedrock-2023-05-31","max_tokens":100`
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not an object", `[1]`, "Malformed input request: #: expected type: JSONObject, found: JSONArray, please reformat your input and try again."},
		{"model and stream", `{` + ok + `,"messages":[{"role":"user","content":"hi"}],"model":"x","stream":true}`,
			"Malformed input request: #: extraneous key [model] is not permitted, #: extraneous key [stream] is not permitted, please reformat your input and try again."},
		{"no version, no messages", `{"max_tokens":1}`,
			"Malformed input request: #: required key [anthropic_version] not found, #: required key [messages] not found, please reformat your input and try again."},
		{"other version", `{"anthropic_version":"2023-06-01","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`,
			`Malformed input request: #/anthropic_version: "2023-06-01" is not a supported version; use "bedrock-2023-05-31", please reformat your input and try again.`},
		{"wrong type", `{` + ok + `,"messages":"hi"}`,
			"Malformed input request: #: messages: expected type: JSONArray, found: string, please reformat your input and try again."},
		{"empty text", `{` + ok + `,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`,
			"messages.0.content.0: text content blocks must be non-empty"},
		{"url image", `{` + ok + `,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}]}`,
			"messages.0.content.0.image.source: URL sources are not supported on Bedrock; send the image as base64 data."},
		{"thinking budget", `{` + ok + `,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":"hi"}]}`,
			"`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"},
		{"tool_choice unknown tool", `{` + ok + `,"tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"b"},"messages":[{"role":"user","content":"hi"}]}`,
			`tool_choice: tool "b" is not among the tools`},
		{"tool_use from user", `{` + ok + `,"messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"a","input":{}}]}]}`,
			"messages.0.content.0: tool_use blocks may only appear in assistant messages"},
		{"cache ttl", `{` + ok + `,"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"2h"}}]}]}`,
			"messages.0.content.0.cache_control.ttl: Input should be '5m' or '1h'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeMessages([]byte(tc.body))
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
				t.Fatalf("err %v, want ValidationException", err)
			}
			if diff := cmp.Diff(tc.want, ex.Message); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestToConverseRefuses(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"server tool", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"tools":[{"type":"bash_20250124","name":"bash"}],"messages":[{"role":"user","content":"ls"}]}`,
			`the Anthropic-defined tool type "bash_20250124" is not served by this backend`},
		{"none with history", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"none"},"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"a","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"r"}]}]}`,
			"tool_choice none with tool_use or tool_result blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeMessages([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = req.ToConverse("m")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFromConverse(t *testing.T) {
	req, err := DecodeMessages([]byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"stop_sequences":["STOP"],
		"tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true},
		"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	out := &wire.ConverseResponse{
		Output: &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: []wire.ContentBlock{
			{ReasoningContent: &wire.ReasoningContentBlock{ReasoningText: &wire.ReasoningTextBlock{Text: "hmm", Signature: "sig"}}},
			{Text: wire.Ptr("Calling.")},
			{ToolUse: &wire.ToolUseBlock{ToolUseID: "t1", Name: "a", Input: json.RawMessage(`{"x":1}`)}},
			{ToolUse: &wire.ToolUseBlock{ToolUseID: "t2", Name: "a", Input: json.RawMessage(`{"x":2}`)}},
		}}},
		StopReason: wire.StopReasonToolUse,
		Usage:      &wire.TokenUsage{InputTokens: 5, OutputTokens: 7, CacheReadInputTokens: wire.Ptr(100), CacheWriteInputTokens: wire.Ptr(3)},
	}
	got, err := req.FromConverse("msg_bdrk_1", "claude-x", out)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"msg_bdrk_1","type":"message","role":"assistant","model":"claude-x","content":[` +
		`{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"text","text":"Calling."},` +
		`{"type":"tool_use","id":"t1","name":"a","input":{"x":1}}],"stop_reason":"tool_use","stop_sequence":null,` +
		`"usage":{"input_tokens":5,"cache_creation_input_tokens":3,"cache_read_input_tokens":100,"output_tokens":7}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestStreamEncoder(t *testing.T) {
	req, err := DecodeMessages([]byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	enc := req.NewStreamEncoder("msg_bdrk_1", "claude-x", 9)
	events := []*wire.StreamEvent{
		{MessageStart: &wire.MessageStartEvent{Role: "assistant"}},
		{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: 0, Delta: &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Text: wire.Ptr("think")}}}},
		{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: 0, Delta: &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Signature: wire.Ptr("sig")}}}},
		{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: 0}},
		{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: 1, Delta: &wire.ContentBlockDelta{Text: wire.Ptr("Hi")}}},
		{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: 1}},
		{ContentBlockStart: &wire.ContentBlockStartEvent{ContentBlockIndex: 2, Start: &wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: "t", Name: "a"}}}},
		{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: 2, Delta: &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: `{"x":1}`}}}},
		{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: 2}},
		{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonToolUse}},
		{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 9, OutputTokens: 4}}},
	}
	var got []string
	for _, ev := range events {
		chunks, err := enc.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			got = append(got, string(c))
		}
	}
	want := []string{
		`{"type":"message_start","message":{"id":"msg_bdrk_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"think"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi"}}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"t","name":"a","input":{}}}`,
		`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"x\":1}"}}`,
		`{"type":"content_block_stop","index":2}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":4}}`,
		`{"type":"message_stop"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !enc.Done() || enc.FinalUsage == nil || enc.FinalUsage.OutputTokens != 4 {
		t.Errorf("done %v usage %+v", enc.Done(), enc.FinalUsage)
	}
}

func TestWithMetrics(t *testing.T) {
	got, err := WithMetrics([]byte(`{"type":"message_stop"}`), Metrics{InputTokenCount: 1, OutputTokenCount: 2, InvocationLatency: 3, FirstByteLatency: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":1,"outputTokenCount":2,"invocationLatency":3,"firstByteLatency":4}}`
	if string(got) != want {
		t.Errorf("got %s", got)
	}
	if !HasMetrics(got) {
		t.Error("HasMetrics false")
	}
	if _, err := WithMetrics([]byte(`[1]`), Metrics{}); err == nil {
		t.Error("array accepted")
	}
}

func TestFamilies(t *testing.T) {
	for id, want := range map[string]Family{
		"anthropic.claude-3-haiku-20240307-v1:0": Messages,
		"amazon.titan-embed-text-v2:0":           TitanEmbedV2,
		"amazon.titan-embed-text-v1":             TitanEmbedV1,
		"cohere.embed-english-v3":                CohereEmbedV3,
		"cohere.embed-multilingual-v3":           CohereEmbedV3,
		"cohere.embed-v4:0":                      CohereEmbedV4,
		"amazon.nova-micro-v1:0":                 FamilyOther,
	} {
		if got, _ := ForModel(id); got != want {
			t.Errorf("ForModel(%s) = %q, want %q", id, got, want)
		}
	}
	for body, want := range map[string]Family{
		`{"anthropic_version":"bedrock-2023-05-31"}`:                         Messages,
		`{"inputText":"x"}`:                                                  TitanEmbedV2,
		`{"inputText":"x","textGenerationConfig":{}}`:                        FamilyOther,
		`{"texts":["x"],"input_type":"search_query"}`:                        CohereEmbedV3,
		`{"texts":["x"],"input_type":"search_query","output_dimension":256}`: CohereEmbedV4,
		`{"messages":[],"schemaVersion":"messages-v1"}`:                      FamilyOther,
		`not json`: FamilyOther,
	} {
		if got := FromBody([]byte(body)); got != want {
			t.Errorf("FromBody(%s) = %q, want %q", body, got, want)
		}
	}
}

func TestHeadersValidate(t *testing.T) {
	for _, tc := range []struct {
		h    Headers
		want string
	}{
		{Headers{Trace: "ON"}, "Value 'ON' at 'trace' failed to satisfy constraint"},
		{Headers{PerformanceConfigLatency: "fast"}, "at 'performanceConfigLatency'"},
		{Headers{ServiceTier: "gold"}, "at 'serviceTier'"},
		{Headers{GuardrailIdentifier: "gr-1"}, "Guardrail version is required"},
		{Headers{GuardrailIdentifier: "gr-1", GuardrailVersion: "01"}, "at 'guardrailVersion'"},
		{Headers{ContentType: "text/plain"}, "content type text/plain is not supported"},
		{Headers{Accept: "image/png"}, "accept type image/png is not supported"},
		{Headers{Trace: "ENABLED_FULL", GuardrailIdentifier: "gr-1", GuardrailVersion: "DRAFT", ContentType: "application/json", Accept: "*/*"}, ""},
	} {
		err := tc.h.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.h, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.h, err, tc.want)
		}
	}
	h := Headers{GuardrailIdentifier: "gr-1", GuardrailVersion: "1"}
	if err := h.Unsupported("builtin"); err == nil || !strings.Contains(err.Error(), "X-Amzn-Bedrock-GuardrailIdentifier") {
		t.Errorf("guardrail not refused: %v", err)
	}
}

func TestModelName(t *testing.T) {
	for id, want := range map[string]string{
		"anthropic.claude-3-haiku-20240307-v1:0":    "claude-3-haiku-20240307",
		"anthropic.claude-haiku-4-5-20251001-v1:0":  "claude-haiku-4-5-20251001",
		"anthropic.claude-3-5-sonnet-20241022-v2:0": "claude-3-5-sonnet-20241022",
		"my-model": "my-model",
	} {
		if got := ModelName(id); got != want {
			t.Errorf("ModelName(%s) = %s, want %s", id, got, want)
		}
	}
}
