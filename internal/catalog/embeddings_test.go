package catalog

import (
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

// The catalogue knows the embedding models' sizes and limits, and refuses
// Converse on them as Bedrock does.
func TestEmbeddingModels(t *testing.T) {
	c := New()
	for id, want := range map[string]struct{ dims, maxTokens, texts int }{
		"amazon.titan-embed-text-v1":   {1536, 8192, 1},
		"amazon.titan-embed-text-v2:0": {1024, 8192, 1},
		"cohere.embed-english-v3":      {1024, 512, 96},
		"cohere.embed-multilingual-v3": {1024, 512, 96},
		"cohere.embed-v4:0":            {1536, 128_000, 96},
	} {
		m, ok := c.Lookup("us." + id)
		if !ok || m.Embedding == nil {
			t.Errorf("%s: not an embedding model in the catalogue", id)
			continue
		}
		e := m.Embedding
		if e.DefaultDimensions() != want.dims || e.MaxInputTokens != want.maxTokens || e.MaxTexts != want.texts || m.Streaming {
			t.Errorf("%s: %+v streaming=%v", id, e, m.Streaming)
		}
		text := "hi"
		err := c.CheckCapabilities(m, &wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Text: &text}}}}})
		if err == nil || !strings.Contains(err.Error(), "doesn't support the model that you provided") {
			t.Errorf("%s: Converse not refused: %v", id, err)
		}
	}
	if m, _ := c.Lookup("anthropic.claude-3-haiku-20240307-v1:0"); m.Embedding != nil {
		t.Error("a chat model is marked as an embedding model")
	}
}
