package catalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

// Every mistake in a models file is refused with its line and entry.
func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "models:\n  - id: a.b\n    streaming: true\n", []string{"models.yaml: ", "line 3: field streaming not found"}},
		{"unknown cache key", "models:\n  - id: a.b\n    cache: {min_tokens: 1, checkpoints: [system], ttl_1h: true}\n", []string{"line 3: field ttl_1h not found"}},
		{"wrong type", "models:\n  - id: a.b\n    context_window: lots\n", []string{"line 3: cannot unmarshal !!str `lots` into int"}},
		{"top level", "model: []\n", []string{"field model not found"}},
		{"no id", "models:\n  - name: x\n", []string{"line 2: models[0] (): id is required"}},
		{"duplicate", "models:\n  - id: a.b\n  - id: a.c\n  - id: a.b\n", []string{"line 4: models[2] (a.b): the ID is already listed at models[0]"}},
		{"profile prefix", "models:\n  - id: us.anthropic.x\n", []string{`line 2: models[0] (us.anthropic.x): id "us.anthropic.x" starts with an inference-profile prefix; write the base model ID "anthropic.x"`}},
		{"arn", "models:\n  - id: 'arn:aws:bedrock:us-east-1::foundation-model/a.b'\n", []string{"is an ARN"}},
		{"space", "models:\n  - id: 'a. b'\n", []string{"contains spaces"}},
		{"capability", "models:\n  - id: a.b\n    capabilities: [streaming, vision]\n", []string{`capability "vision" is not one of streaming, tools, streaming_tools`}},
		{"capability twice", "models:\n  - id: a.b\n    capabilities: [tools, tools]\n", []string{`capability "tools" is listed twice`}},
		{"streaming tools", "models:\n  - id: a.b\n    capabilities: [tools, streaming_tools]\n", []string{"streaming_tools needs streaming and tools"}},
		{"tool choice", "models:\n  - id: a.b\n    capabilities: [tool_choice_any]\n", []string{"tool_choice_any and tool_choice_tool need tools"}},
		{"negative", "models:\n  - id: a.b\n    context_window: -1\n", []string{"context_window and max_output_tokens must not be negative"}},
		{"kind", "models:\n  - id: a.b\n    kind: image\n", []string{`kind "image" is not text or embedding`}},
		{"cache checkpoints", "models:\n  - id: a.b\n    cache: {min_tokens: 1024}\n", []string{"cache: checkpoints is required"}},
		{"cache checkpoint name", "models:\n  - id: a.b\n    cache: {min_tokens: 1024, checkpoints: [system, tool]}\n", []string{`cache: checkpoint "tool" is not one of system, messages, tools`}},
		{"cache ttl", "models:\n  - id: a.b\n    cache: {min_tokens: 1024, checkpoints: [system], ttl: [1h]}\n", []string{"ttl must include 5m"}},
		{"cache ttl name", "models:\n  - id: a.b\n    cache: {checkpoints: [system], ttl: [5m, 2h]}\n", []string{`ttl "2h" is not one of 5m, 1h`}},
		{"cache cap", "models:\n  - id: a.b\n    cache: {min_tokens: 4096, max_tokens: 1024, checkpoints: [system]}\n", []string{"max_tokens 1024 is below min_tokens 4096"}},
		{"cache negative", "models:\n  - id: a.b\n    cache: {min_tokens: -1, checkpoints: [system]}\n", []string{"must not be negative"}},
		{"embedding on text", "models:\n  - id: a.b\n    embedding: {dimensions: [8], max_input_tokens: 8, types: [float]}\n", []string{"embedding applies to kind embedding only"}},
		{"embedding missing", "models:\n  - id: a.b\n    kind: embedding\n", []string{"kind embedding needs embedding"}},
		{"embedding with chat facts", "models:\n  - id: a.b\n    kind: embedding\n    capabilities: [streaming]\n    embedding: {dimensions: [8], max_input_tokens: 8, types: [float]}\n", []string{"an embedding model has no capabilities"}},
		{"embedding dimensions", "models:\n  - id: a.b\n    kind: embedding\n    embedding: {dimensions: [8, 0, 8], max_input_tokens: 0, types: [float, double]}\n", []string{
			"dimensions[1] is 0", "dimension 8 is listed twice", "max_input_tokens must be positive", `type "double" is not one of float, int8`,
		}},
		{"every mistake", "models:\n  - id: a.b\n    kind: x\n\n  - id: a.c\n    capabilities: [x]\n", []string{"line 2: models[0] (a.b): kind", "line 5: models[1] (a.c): capability"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile("models.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// An entry fills every Model field it names; unnamed ones keep their
// defaults (name: the ID, provider: the ID's first part).
func TestEntryModel(t *testing.T) {
	models, err := ParseFile("models.yaml", []byte(`
models:
  - id: example.chat-v1:0
    family: claude
    capabilities: [streaming, tools, streaming_tools, tool_choice_any, tool_choice_tool, tool_result_status,
                   schema_top_level_composition, images, documents, video, audio, reasoning]
    cache: {min_tokens: 512, ttl: [5m, 1h], checkpoints: [system, messages, tools], lookback_blocks: 20, max_tokens: 30000}
    context_window: 400000
    max_output_tokens: 32000
    source: operator's model card
  - id: example.embed-v2
    kind: embedding
    name: Example Embed
    provider: examplecorp
    embedding: {dimensions: [1024, 256], max_input_tokens: 8192, max_texts: 96, types: [float, int8], images: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Model{{
		ID: "example.chat-v1:0", Provider: "example", Family: "claude", Name: "example.chat-v1:0",
		Streaming: true, Tools: true, StreamingTools: true, ToolChoiceAny: true, ToolChoiceTool: true,
		ToolResultStatus: true, SchemaTopLevelComposition: true, Images: true, Documents: true, Video: true, Audio: true, Reasoning: true,
		CacheSystem: true, CacheMessages: true, CacheTools: true, MinCacheTokens: 512, CacheTTL1h: true,
		CacheLookbackBlocks: 20, MaxCachedTokens: 30000, MaxOutputTokens: 32000, Source: "operator's model card", ContextTokens: 400000,
	}, {
		ID: "example.embed-v2", Provider: "examplecorp", Name: "Example Embed",
		Embedding: &Embedding{Dimensions: []int{1024, 256}, MaxInputTokens: 8192, MaxTexts: 96, Types: []string{"float", "int8"}, Images: true},
	}}
	if diff := cmp.Diff(want, models); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	if models[1].Embedding.DefaultDimensions() != 1024 {
		t.Errorf("default dimensions %d", models[1].Embedding.DefaultDimensions())
	}
}

// Options.Models add IDs the built-in file lacks, replace built-in entries
// by ID (whole, in place), and leave every other ID unknown.
func TestLoadAddsAndOverrides(t *testing.T) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	c, err := Load(Options{Models: []Entry{
		{ID: "anthropic.claude-fable-5", Name: "Claude Fable 5", Family: "claude", Capabilities: []string{"streaming", "tools", "images"},
			Cache:         &CacheEntry{MinTokens: 512, TTL: []string{"5m", "1h"}, Checkpoints: []string{"system", "messages", "tools"}, LookbackBlocks: 20},
			ContextWindow: 1_000_000, MaxOutputTokens: 128_000},
		{ID: haiku, Name: "Haiku, shrunk", Capabilities: []string{"streaming"}, MaxOutputTokens: 100},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := c.Lookup("global.anthropic.claude-fable-5")
	if !ok || m.Provider != "anthropic" || m.MinCacheTokens != 512 || !m.CacheTTL1h || m.ContextWindow() != 1_000_000 {
		t.Errorf("added model: %+v, %v", m, ok)
	}
	h, _ := c.Lookup("us." + haiku)
	if want := (Model{ID: haiku, Provider: "anthropic", Name: "Haiku, shrunk", Streaming: true, MaxOutputTokens: 100}); !cmp.Equal(want, h) {
		t.Errorf("override (-want +got):\n%s", cmp.Diff(want, h))
	}
	models := c.Models()
	if len(models) != len(New().Models())+1 || models[0].ID != haiku || models[len(models)-1].ID != "anthropic.claude-fable-5" {
		t.Errorf("order: %d models, first %s, last %s", len(models), models[0].ID, models[len(models)-1].ID)
	}
	if _, ok := c.Lookup("anthropic.claude-fable-6"); ok {
		t.Error("an ID nobody listed resolves")
	}
	// The override is enforced: Haiku no longer takes tools or long answers.
	max := 200
	err = c.CheckCapabilities(h, &wire.ConverseRequest{InferenceConfig: &wire.InferenceConfiguration{MaxTokens: &max}})
	if err == nil || !strings.Contains(err.Error(), "model limit of 100") {
		t.Errorf("maxTokens over the overridden limit: %v", err)
	}
}

func TestLoadRefusesBadEntries(t *testing.T) {
	_, err := Load(Options{Models: []Entry{{ID: "a.b"}, {ID: "a.b", Kind: "embedding"}}})
	var ee *EntryError
	if !errors.As(err, &ee) || ee.Index != 1 || ee.ID != "a.b" {
		t.Fatalf("error %v", err)
	}
	if !strings.Contains(err.Error(), "models[1] (a.b): ") {
		t.Errorf("error %q", err)
	}
}

// An embedding entry is refused on Converse as Bedrock refuses it.
func TestEmbeddingModelRefusedOnConverse(t *testing.T) {
	c, err := Load(Options{Models: []Entry{{ID: "amazon.titan-embed-text-v2:0", Kind: KindEmbedding,
		Embedding: &EmbeddingEntry{Dimensions: []int{1024, 512, 256}, MaxInputTokens: 8192, MaxTexts: 1, Types: []string{"float", "binary"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Lookup("amazon.titan-embed-text-v2:0")
	err = c.CheckCapabilities(m, &wire.ConverseRequest{})
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
		t.Errorf("got %v", err)
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		New()
	}
}
