package server_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// messagesBody is an Anthropic Messages body as Claude on Bedrock takes it.
func messagesBody(t *testing.T, extra map[string]any) []byte {
	t.Helper()
	body := map[string]any{
		"anthropic_version": "bedrock-2023-05-31",
		"max_tokens":        200,
		"messages":          []any{map[string]any{"role": "user", "content": "Say hello to the tests."}},
	}
	for k, v := range extra {
		body[k] = v
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// messagesAnswer is the part of a Messages response the tests read.
type messagesAnswer struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Role       string `json:"role"`
	Model      string `json:"model"`
	StopReason string `json:"stop_reason"`
	Content    []struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"content"`
	Usage struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

func TestInvokeModelMessagesBuiltin(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{
		ModelId:     aws.String(haiku),
		ContentType: aws.String("application/json"),
		Accept:      aws.String("application/json"),
		Body:        messagesBody(t, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.ContentType); got != "application/json" {
		t.Errorf("content type %q", got)
	}
	var a messagesAnswer
	if err := json.Unmarshal(out.Body, &a); err != nil {
		t.Fatalf("body %s: %v", out.Body, err)
	}
	if !strings.HasPrefix(a.ID, "msg_bdrk_") || a.Type != "message" || a.Role != "assistant" || a.Model != "claude-3-haiku-20240307" || a.StopReason != "end_turn" {
		t.Errorf("answer %s", out.Body)
	}
	if len(a.Content) != 1 || a.Content[0].Type != "text" || a.Content[0].Text == "" {
		t.Errorf("content %s", out.Body)
	}
	raw := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	in, _ := strconv.Atoi(raw.Header.Get("X-Amzn-Bedrock-Input-Token-Count"))
	outTok, _ := strconv.Atoi(raw.Header.Get("X-Amzn-Bedrock-Output-Token-Count"))
	if in == 0 || in != a.Usage.InputTokens || outTok != a.Usage.OutputTokens || outTok == 0 {
		t.Errorf("headers in=%d out=%d, usage %+v", in, outTok, a.Usage)
	}
	if raw.Header.Get("X-Amzn-Bedrock-Invocation-Latency") == "" {
		t.Error("no invocation latency header")
	}
}

func TestInvokeModelStreamMessagesBuiltin(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	out, err := client.InvokeModelWithResponseStream(t.Context(), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId:     aws.String(haiku),
		ContentType: aws.String("application/json"),
		Body:        messagesBody(t, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var types_ []string
	var text strings.Builder
	var last map[string]json.RawMessage
	for ev := range stream.Events() {
		chunk, ok := ev.(*types.ResponseStreamMemberChunk)
		if !ok {
			t.Fatalf("event %T", ev)
		}
		var e struct {
			Type  string `json:"type"`
			Delta struct {
				Text string `json:"text"`
			} `json:"delta"`
		}
		if err := json.Unmarshal(chunk.Value.Bytes, &e); err != nil {
			t.Fatalf("chunk %s: %v", chunk.Value.Bytes, err)
		}
		types_ = append(types_, e.Type)
		text.WriteString(e.Delta.Text)
		last = nil
		_ = json.Unmarshal(chunk.Value.Bytes, &last)
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if types_[0] != "message_start" || types_[1] != "content_block_start" || types_[len(types_)-2] != "message_delta" || types_[len(types_)-1] != "message_stop" {
		t.Errorf("event types %v", types_)
	}
	if text.Len() == 0 {
		t.Error("no text")
	}
	var m struct {
		InputTokenCount, OutputTokenCount int
	}
	if err := json.Unmarshal(last["amazon-bedrock-invocationMetrics"], &m); err != nil || m.InputTokenCount == 0 || m.OutputTokenCount == 0 {
		t.Errorf("last chunk metrics %s: %v", last["amazon-bedrock-invocationMetrics"], err)
	}
}

func TestInvokeModelMessagesValidation(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	for _, tc := range []struct {
		name string
		body string
		want string
	}{
		{"extraneous key", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"stream":true}`,
			"Malformed input request: #: extraneous key [stream] is not permitted, please reformat your input and try again."},
		{"missing max_tokens", `{"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"hi"}]}`,
			"Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again."},
		{"bad role", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}`,
			"messages.0.role: Input should be 'user' or 'assistant'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku), Body: []byte(tc.body)})
			var ve *types.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("err %v, want ValidationException", err)
			}
			if diff := cmp.Diff(tc.want, aws.ToString(ve.Message)); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJavaScriptInvoke runs jstest/invoke.mjs: InvokeModelCommand and
// InvokeModelWithResponseStreamCommand of the official JavaScript SDK on
// Messages and embedding bodies.
func TestJavaScriptInvoke(t *testing.T) {
	out := clientScript(t, "invoke.mjs", start(t, nil), devKey)
	if n := strings.Count(out, `"ok":true`); n != 5 {
		t.Errorf("%d of 5 checks passed", n)
	}
}

// TestJavaScriptEmbeddings runs jstest/embed.mjs: the Vercel AI SDK's
// embed and embedMany (@ai-sdk/amazon-bedrock) and LangChain.js
// BedrockEmbeddings (@langchain/aws), unmodified.
func TestJavaScriptEmbeddings(t *testing.T) {
	out := clientScript(t, "embed.mjs", start(t, nil), devKey)
	if n := strings.Count(out, `"ok":true`); n != 4 {
		t.Errorf("%d of 4 checks passed", n)
	}
}

// Errors before the first chunk are HTTP errors; after it, exception
// frames of InvokeModelWithResponseStream's ResponseStream, which has a
// modelTimeoutException member that ConverseStream lacks.
func TestInvokeModelStreamErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ex        *wire.Exception
		midStream bool
		check     func(error) bool
	}{
		{"throttled before", wire.Errorf(wire.ThrottlingException, "slow"), false, func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		{"timeout mid-stream", wire.Errorf(wire.ModelTimeoutException, "late"), true, func(err error) bool { var e *types.ModelTimeoutException; return errors.As(err, &e) }},
		{"model error mid-stream", &wire.Exception{Type: wire.ModelStreamErrorException, Message: "broke", OriginalStatusCode: 500}, true, func(err error) bool {
			var e *types.ModelStreamErrorException
			return errors.As(err, &e) && aws.ToInt32(e.OriginalStatusCode) == 500
		}},
		{"throttled mid-stream", wire.Errorf(wire.ThrottlingException, "slow"), true, func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := start(t, func(server.Router) server.Router { return servertest.Failing{Err: tc.ex, MidStream: tc.midStream} })
			client := sdktest.Client(t, endpoint, sdktest.Options{})
			out, err := client.InvokeModelWithResponseStream(t.Context(), &bedrockruntime.InvokeModelWithResponseStreamInput{
				ModelId: aws.String(haiku), Body: messagesBody(t, nil)})
			if !tc.midStream {
				if !tc.check(err) {
					t.Errorf("err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := out.GetStream()
			defer s.Close()
			n := 0
			for range s.Events() {
				n++
			}
			if n != 1 || !tc.check(s.Err()) {
				t.Errorf("%d chunks, err %T %v", n, s.Err(), s.Err())
			}
		})
	}
}

// The catalogue's per-model rules apply to a Messages body as to Converse:
// a prompt over the model's context window is refused before any backend.
func TestInvokeModelContextWindow(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	huge := strings.Repeat("lorem ipsum dolor sit amet ", 60000) // ~300K tokens, over Claude 3 Haiku's 200K
	_, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku),
		Body: messagesBody(t, map[string]any{"messages": []any{map[string]any{"role": "user", "content": huge}}})})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "Input is too long for requested model.") {
		t.Errorf("err %v", err)
	}
}
