package openai_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/openai"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// upstream replays one recorded OpenAI response byte for byte and keeps
// the request it received.
type upstream struct {
	mu     sync.Mutex
	status int
	file   string
	bodies []map[string]any
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &body)
	u.mu.Lock()
	u.bodies = append(u.bodies, body)
	status, file := u.status, u.file
	u.mu.Unlock()
	data, err := os.ReadFile("testdata/" + file)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	if strings.HasSuffix(file, ".sse") {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(data)
}

func (u *upstream) serve(status int, file string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.status, u.file = status, file
}

func (u *upstream) last() map[string]any {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.bodies[len(u.bodies)-1]
}

// setup runs official Go SDK → converse → openai provider → recorded
// upstream, with every model ID routed to the upstream as "gpt-test".
func setup(t *testing.T, baseURL string) *bedrockruntime.Client {
	t.Helper()
	p, err := openai.New(openai.Options{BaseURL: baseURL, Name: "vllm-test"})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"vllm-test": p},
		Routes:   []router.Route{{Pattern: "*", Target: router.Target{Backend: "vllm-test", Model: "gpt-test"}}},
	})
	return sdktest.Client(t, endpoint, sdktest.Options{})
}

func user(blocks ...types.ContentBlock) []types.Message {
	return []types.Message{{Role: types.ConversationRoleUser, Content: blocks}}
}

func text(s string) types.ContentBlock { return &types.ContentBlockMemberText{Value: s} }

// golden reads a recorded case's expected Converse response.
func golden(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSDKThroughConverseToOpenAI(t *testing.T) {
	up := &upstream{}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	client := setup(t, srv.URL+"/v1")

	t.Run("text", func(t *testing.T) {
		up.serve(200, "response/openai-text.openai.json")
		out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
			ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: user(text("Hello")),
			System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be brief."}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := golden(t, "response/openai-text.converse.json")
		msg := out.Output.(*types.ConverseOutputMemberMessage).Value
		wantText := want["output"].(map[string]any)["message"].(map[string]any)["content"].([]any)[0].(map[string]any)["text"]
		if got := msg.Content[0].(*types.ContentBlockMemberText).Value; got != wantText {
			t.Errorf("text %q, want %q", got, wantText)
		}
		wantUsage := want["usage"].(map[string]any)
		if float64(*out.Usage.InputTokens) != wantUsage["inputTokens"] || float64(*out.Usage.OutputTokens) != wantUsage["outputTokens"] {
			t.Errorf("usage %+v, want %v", *out.Usage, wantUsage)
		}
		sent := up.last()
		if sent["model"] != "gpt-test" {
			t.Errorf("upstream model %v", sent["model"])
		}
		msgs := sent["messages"].([]any)
		if first := msgs[0].(map[string]any); first["role"] != "system" {
			t.Errorf("system prompt not sent first: %v", first)
		}
	})

	t.Run("image", func(t *testing.T) {
		up.serve(200, "response/openai-text.openai.json")
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
		_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
			ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
			Messages: user(&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: png}}},
				text("What is this?")),
		})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(up.last())
		if want := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png); !strings.Contains(string(b), want) {
			t.Errorf("upstream request lacks the image data URL: %s", b)
		}
	})

	t.Run("parallel tools streamed", func(t *testing.T) {
		up.serve(200, "stream/openai-parallel-tools.openai.sse")
		out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
			ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: user(text("country and product?")),
			ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{
				tool("get_country"), tool("get_product_name"),
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		inputs := map[int32]string{}
		var stop types.StopReason
		for ev := range out.GetStream().Events() {
			switch v := ev.(type) {
			case *types.ConverseStreamOutputMemberContentBlockStart:
				names = append(names, *v.Value.Start.(*types.ContentBlockStartMemberToolUse).Value.Name)
			case *types.ConverseStreamOutputMemberContentBlockDelta:
				inputs[*v.Value.ContentBlockIndex] += *v.Value.Delta.(*types.ContentBlockDeltaMemberToolUse).Value.Input
			case *types.ConverseStreamOutputMemberMessageStop:
				stop = v.Value.StopReason
			}
		}
		if err := out.GetStream().Err(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"get_country", "get_product_name"}, names); diff != "" {
			t.Errorf("tool calls (-want +got):\n%s", diff)
		}
		if stop != types.StopReasonToolUse || inputs[0] != "{}" || inputs[1] != "{}" {
			t.Errorf("stop %q, inputs %v", stop, inputs)
		}
		if s := up.last()["stream"]; s != true {
			t.Errorf("upstream stream flag %v", s)
		}
	})

	for _, tc := range []struct {
		status int
		file   string
		is     func(error) bool
		name   string
	}{
		{400, "errors/openai-400.json", isErr[*types.ValidationException], "ValidationException"},
		{404, "errors/openai-404.json", isErr[*types.ResourceNotFoundException], "ResourceNotFoundException"},
		{429, "errors/openrouter-429.json", isErr[*types.ThrottlingException], "ThrottlingException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up.serve(tc.status, tc.file)
			_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: user(text("hi"))})
			if !tc.is(err) {
				t.Errorf("Converse: %v, want %s", err, tc.name)
			}
			_, err = client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: user(text("hi"))})
			if !tc.is(err) {
				t.Errorf("ConverseStream: %v, want %s", err, tc.name)
			}
		})
	}
}

// A backend that refuses connections is ServiceUnavailableException
// naming the backend.
func TestSDKBackendDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client := setup(t, "http://"+addr+"/v1")
	_, err = client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"), Messages: user(text("hi"))})
	if !isErr[*types.ServiceUnavailableException](err) || !strings.Contains(err.Error(), "vllm-test") {
		t.Errorf("error %v, want ServiceUnavailableException naming vllm-test", err)
	}
}

func tool(name string) types.Tool {
	return &types.ToolMemberToolSpec{Value: types.ToolSpecification{
		Name: aws.String(name), InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
	}}
}

func isErr[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}
