package chat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

func TestCallBuiltin(t *testing.T) {
	rec := &recording{Provider: builtinModel(t)}
	c := newClient(t, start(t, rec))
	resp, err := c.Prompt().System("You are terse.").User("Explain overfitting in machine learning").Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(resp.Text), "overfitting") {
		t.Errorf("text %q does not address the question", resp.Text)
	}
	if resp.StopReason != types.StopReasonEndTurn {
		t.Errorf("stop reason %q, want end_turn", resp.StopReason)
	}
	if resp.Usage.InputTokens <= 0 || resp.Usage.OutputTokens <= 0 || resp.Usage.TotalTokens != resp.Usage.InputTokens+resp.Usage.OutputTokens {
		t.Errorf("usage %+v", resp.Usage)
	}
	if resp.Message.Role != types.ConversationRoleAssistant || resp.Latency <= 0 {
		t.Errorf("message role %q, latency %s", resp.Message.Role, resp.Latency)
	}
	if id, _ := resp.Metadata["requestId"].(string); len(id) != 36 {
		t.Errorf("metadata requestId %v, want a UUID", resp.Metadata["requestId"])
	}
	if got := resp.Metadata["outputTokens"]; got != resp.Usage.OutputTokens {
		t.Errorf("metadata outputTokens %v, usage %d", got, resp.Usage.OutputTokens)
	}
	// The seed's defaults reached the server.
	req := rec.last(t)
	want := `{"maxTokens":500,"temperature":0.8}`
	if got := asJSON(t, req.InferenceConfig); got != want {
		t.Errorf("inferenceConfig %s, want %s", got, want)
	}
	if got := asJSON(t, req.System); got != `[{"text":"You are terse."}]` {
		t.Errorf("system %s", got)
	}
	if len(resp.Messages) != 2 || resp.Messages[0].Role != types.ConversationRoleUser {
		t.Errorf("messages added: %d, want the user's and the answer", len(resp.Messages))
	}
}

func TestStreamMatchesCall(t *testing.T) {
	c := newClient(t, start(t, builtinModel(t)))
	p := c.Prompt("Tell me a joke")
	resp, err := p.Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var usage *chat.Usage
	var stop types.StopReason
	pieces := 0
	for ch, err := range p.Stream(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if ch.Text != "" {
			pieces++
		}
		text.WriteString(ch.Text)
		if ch.Usage != nil {
			usage = ch.Usage
		}
		if ch.StopReason != "" {
			stop = ch.StopReason
		}
	}
	if diff := cmp.Diff(resp.Text, text.String()); diff != "" {
		t.Errorf("streamed text differs from called text (-call +stream):\n%s", diff)
	}
	if pieces < 2 {
		t.Errorf("%d text chunks, want a stream of several", pieces)
	}
	if usage == nil || usage.OutputTokens != resp.Usage.OutputTokens || stop != types.StopReasonEndTurn {
		t.Errorf("stream usage %+v stop %q; call usage %+v", usage, stop, resp.Usage)
	}
}

func TestStreamBreakStops(t *testing.T) {
	rec := &recording{Provider: builtinModel(t)}
	c := newClient(t, start(t, rec))
	n := 0
	for _, err := range c.Prompt("Write a long story about the sea").Stream(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		break
	}
	if n != 1 {
		t.Errorf("%d chunks after break", n)
	}
	// The client is still usable: the broken stream released its connection.
	if _, err := c.Prompt("Hello").Call(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsMerge(t *testing.T) {
	cases := []struct {
		name     string
		defaults chat.Options
		call     chat.Options
		wantIC   string
		wantAMRF string
		wantTC   string
	}{
		{
			name:     "call overrides temperature, inherits maxTokens and topK",
			defaults: chat.Options{Model: haiku, MaxTokens: chat.Ptr(300), TopK: chat.Ptr(15)},
			call:     chat.Options{Temperature: chat.Ptr[float32](0.6)},
			wantIC:   `{"maxTokens":300,"temperature":0.6}`,
			wantAMRF: `{"top_k":15}`,
		},
		{
			name:     "nova topK nests in inferenceConfig, beside caller fields",
			defaults: chat.Options{Model: nova, TopP: chat.Ptr[float32](0.9), AdditionalFields: map[string]any{"inferenceConfig": map[string]any{"x": 1}}},
			call:     chat.Options{TopK: chat.Ptr(20), StopSequences: []string{"END"}},
			wantIC:   `{"maxTokens":500,"temperature":0.8,"topP":0.9,"stopSequences":["END"]}`,
			wantAMRF: `{"inferenceConfig":{"topK":20,"x":1}}`,
		},
		{
			name: "additional fields merge key by key; tool choice",
			// Keys Claude knows: the server refuses others as Bedrock does.
			defaults: chat.Options{Model: haiku, AdditionalFields: map[string]any{"top_k": 1, "thinking": 2}},
			call:     chat.Options{AdditionalFields: map[string]any{"thinking": 3}, ToolChoice: chat.SpecificTool("weather")},
			wantIC:   `{"maxTokens":500,"temperature":0.8}`,
			wantAMRF: `{"thinking":3,"top_k":1}`,
			wantTC:   `{"tool":{"name":"weather"}}`,
		},
	}
	s := &script{answer: func(_ context.Context, _ int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return textAnswer("ok"), nil
	}}
	end := start(t, s)
	weather := chat.NewTool("weather", "Weather in a city", func(_ context.Context, in cityIn) (string, error) { return "sunny", nil })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, end, chat.WithOptions(tc.defaults), chat.WithTools(weather))
			if _, err := c.Prompt("hi").Options(tc.call).Call(t.Context()); err != nil {
				t.Fatal(err)
			}
			reqs := s.requests()
			req := reqs[len(reqs)-1]
			if got := asJSON(t, req.InferenceConfig); got != tc.wantIC {
				t.Errorf("inferenceConfig %s, want %s", got, tc.wantIC)
			}
			if got := string(req.AdditionalModelRequestFields); got != tc.wantAMRF {
				t.Errorf("additionalModelRequestFields %s, want %s", got, tc.wantAMRF)
			}
			got := ""
			if req.ToolConfig.ToolChoice != nil {
				got = asJSON(t, req.ToolConfig.ToolChoice)
			}
			if got != tc.wantTC {
				t.Errorf("toolChoice %s, want %s", got, tc.wantTC)
			}
		})
	}
}

func TestNoModel(t *testing.T) {
	c, err := chat.New(t.Context(), chat.WithSettings(testSettings("http://127.0.0.1:1")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prompt("hi").Call(t.Context()); !errors.Is(err, chat.ErrNoModel) {
		t.Errorf("err %v, want ErrNoModel", err)
	}
}

// A client is shared by goroutines; each prompt builder is its own value.
func TestConcurrentPrompts(t *testing.T) {
	c := newClient(t, start(t, builtinModel(t)))
	base := c.Prompt().System("Be brief.")
	var wg sync.WaitGroup
	errs := make([]error, 8)
	texts := make([]string, 8)
	for i := range 8 {
		wg.Go(func() {
			p := base.User(strings.Repeat("why ", i+1))
			resp, err := p.Call(t.Context())
			errs[i] = err
			if err == nil {
				texts[i] = resp.Text
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("prompt %d: %v", i, err)
		}
	}
}

// Builders are values: deriving from one does not change it.
func TestPromptImmutable(t *testing.T) {
	s := &script{answer: func(_ context.Context, _ int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return textAnswer("ok"), nil
	}}
	c := newClient(t, start(t, s))
	base := c.Prompt().System("S").User("first")
	_ = base.User("second").System("T").Options(chat.Options{Temperature: chat.Ptr[float32](0.1)})
	if _, err := base.Call(t.Context()); err != nil {
		t.Fatal(err)
	}
	req := s.requests()[0]
	if got := asJSON(t, req.Messages); got != `[{"role":"user","content":[{"text":"first"}]}]` {
		t.Errorf("messages %s", got)
	}
	if got := asJSON(t, req.System); got != `[{"text":"S"}]` {
		t.Errorf("system %s", got)
	}
	if *req.InferenceConfig.Temperature != 0.8 {
		t.Errorf("temperature %v leaked from a derived builder", *req.InferenceConfig.Temperature)
	}
}

type cityIn struct {
	City string `json:"city" jsonschema:"City or state name"`
}
