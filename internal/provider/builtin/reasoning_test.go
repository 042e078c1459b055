package builtin

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

const sonnet37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"

func TestReasoningConverseAndStreamAgree(t *testing.T) {
	cases := []struct {
		name, body string
		wantKinds  []string // content block kinds of the Converse answer
	}{
		{
			name:      "anthropic thinking",
			body:      `{"messages":[{"role":"user","content":[{"text":"Why is the sky blue?"}]}],"inferenceConfig":{"maxTokens":4000},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2048}}}`,
			wantKinds: []string{"reasoning", "text"},
		},
		{
			name:      "nova reasoningConfig",
			body:      `{"messages":[{"role":"user","content":[{"text":"Why is the sky blue?"}]}],"additionalModelRequestFields":{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"low"}}}`,
			wantKinds: []string{"reasoning", "text"},
		},
		{
			name:      "thinking before a tool call",
			body:      `{"messages":[{"role":"user","content":[{"text":"What's the weather in Paris?"}]}],"toolConfig":{"tools":[` + weatherTool + `]},"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}}`,
			wantKinds: []string{"reasoning", "text", "toolUse"},
		},
		{
			name:      "disabled",
			body:      `{"messages":[{"role":"user","content":[{"text":"Why is the sky blue?"}]}],"additionalModelRequestFields":{"thinking":{"type":"disabled"}}}`,
			wantKinds: []string{"text"},
		},
	}
	m := newModel(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			call := &provider.Call{ModelID: sonnet37, Request: decode(t, tc.body)}
			out, err := m.Converse(t.Context(), call)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			var reasoning, sig string
			for _, b := range out.Output.Message.Content {
				switch {
				case b.ReasoningContent != nil:
					kinds = append(kinds, "reasoning")
					reasoning, sig = b.ReasoningContent.ReasoningText.Text, b.ReasoningContent.ReasoningText.Signature
				case b.ToolUse != nil:
					kinds = append(kinds, "toolUse")
				case b.Text != nil:
					kinds = append(kinds, "text")
				}
			}
			if diff := cmp.Diff(tc.wantKinds, kinds); diff != "" {
				t.Fatalf("blocks (-want +got):\n%s", diff)
			}
			if reasoning != "" && (!strings.Contains(reasoning, "The user asks") || len(sig) < 80) {
				t.Errorf("reasoning %q signature %q", reasoning, sig)
			}

			// The stream: reasoning text deltas then one signature delta,
			// without contentBlockStart, in block 0.
			var sText, sSig strings.Builder
			var sigDeltas, starts0 int
			last := ""
			for ev, err := range m.ConverseStream(t.Context(), call) {
				if err != nil {
					t.Fatal(err)
				}
				if s := ev.ContentBlockStart; s != nil && s.ContentBlockIndex == 0 {
					starts0++
				}
				d := ev.ContentBlockDelta
				if d == nil || d.Delta.ReasoningContent == nil {
					continue
				}
				if d.ContentBlockIndex != 0 {
					t.Errorf("reasoning delta in block %d", d.ContentBlockIndex)
				}
				rc := d.Delta.ReasoningContent
				if rc.Text != nil {
					if last == "signature" {
						t.Error("reasoning text after the signature")
					}
					sText.WriteString(*rc.Text)
					last = "text"
				}
				if rc.Signature != nil {
					sigDeltas++
					sSig.WriteString(*rc.Signature)
					last = "signature"
				}
			}
			if reasoning == "" {
				if sText.Len() > 0 || sigDeltas > 0 {
					t.Error("stream reasons but Converse did not")
				}
				return
			}
			if starts0 != 0 {
				t.Error("contentBlockStart sent for a reasoning block")
			}
			if sText.String() != reasoning || sSig.String() != sig || sigDeltas != 1 {
				t.Errorf("stream reasoning %q sig %q (%d deltas), converse %q %q", sText.String(), sSig.String(), sigDeltas, reasoning, sig)
			}
		})
	}
}

func TestReasoningOnlyForCapableModels(t *testing.T) {
	tok, _ := sharedTokens()
	m := New(Options{Tokens: tok, Reasoning: func(id string) bool { return strings.Contains(id, "claude-3-7") }})
	body := `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}}`
	for id, want := range map[string]bool{sonnet37: true, "anthropic.claude-3-haiku-20240307-v1:0": false} {
		out, err := m.Converse(t.Context(), &provider.Call{ModelID: id, Request: decode(t, body)})
		if err != nil {
			t.Fatal(err)
		}
		got := out.Output.Message.Content[0].ReasoningContent != nil
		if got != want {
			t.Errorf("%s: reasoning %v, want %v", id, got, want)
		}
	}
}

func TestThinkingBudgetLimits(t *testing.T) {
	m := newModel(t)
	for _, tc := range []struct{ fields, inference, want string }{
		{`{"thinking":{"type":"enabled","budget_tokens":500}}`, `{}`, "greater than or equal to 1024"},
		{`{"thinking":{"type":"enabled","budget_tokens":2048}}`, `{"maxTokens":1500}`, "`max_tokens` must be greater than `thinking.budget_tokens`"},
	} {
		body := `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":` + tc.inference + `,"additionalModelRequestFields":` + tc.fields + `}`
		_, err := m.Converse(t.Context(), &provider.Call{ModelID: sonnet37, Request: decode(t, body)})
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ValidationException || !strings.Contains(ex.Message, tc.want) {
			t.Errorf("%s: got %v, want ValidationException with %q", tc.fields, err, tc.want)
		}
	}
}

func TestSignatureDeterministic(t *testing.T) {
	first, again := signature("m", "a"), signature("m", "a")
	if first != again || first == signature("m", "b") || first == signature("n", "a") {
		t.Error("signature is not a deterministic function of model and text")
	}
}
