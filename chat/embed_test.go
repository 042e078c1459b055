package chat_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/conversekit/converse/chat"
)

func length(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// Spring AI's EmbeddingModel on InvokeModel, against converse's built-in
// embeddings: one text, a batch, sizes and normalisation per family.
func TestEmbeddingModel(t *testing.T) {
	c := newClient(t, start(t, builtinModel(t)))
	ctx := t.Context()

	m := c.EmbeddingModel(chat.EmbeddingOptions{})
	if m.Options().Model != chat.DefaultEmbeddingModel || m.Dimensions() != 1024 {
		t.Errorf("defaults %+v, %d dimensions", m.Options(), m.Dimensions())
	}
	v, err := m.Embed(ctx, "cat sat on the mat")
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 1024 || math.Abs(length(v)-1) > 1e-4 {
		t.Errorf("titan v2: len %d, length %.4f", len(v), length(v))
	}
	all, err := m.EmbedAll(ctx, []string{"cat sat on the mat", "a cat on a mat", "tax law"})
	if err != nil {
		t.Fatal(err)
	}
	if dot(all[0], v) < 0.9999 || dot(all[0], all[1]) < dot(all[0], all[2])+0.3 {
		t.Errorf("batch: same %.4f, near %.3f, far %.3f", dot(all[0], v), dot(all[0], all[1]), dot(all[0], all[2]))
	}

	for _, tc := range []struct {
		name      string
		opts      chat.EmbeddingOptions
		dims      int
		unit      bool
		wantError string
	}{
		{"titan v2 256", chat.EmbeddingOptions{Dimensions: 256}, 256, true, ""},
		{"titan v2 raw", chat.EmbeddingOptions{Normalize: chat.Ptr(false)}, 1024, false, ""},
		{"titan v1", chat.EmbeddingOptions{Model: "amazon.titan-embed-text-v1"}, 1536, false, ""},
		{"titan v1 normalised here", chat.EmbeddingOptions{Model: "amazon.titan-embed-text-v1", Normalize: chat.Ptr(true)}, 1536, true, ""},
		{"cohere v3", chat.EmbeddingOptions{Model: "cohere.embed-english-v3", InputType: "search_query"}, 1024, true, ""},
		{"cohere v4 512", chat.EmbeddingOptions{Model: "cohere.embed-v4:0", Dimensions: 512}, 512, true, ""},
		{"titan v2 300", chat.EmbeddingOptions{Dimensions: 300}, 0, false, "answers with [256 512 1024] dimensions, not 300"},
		{"not an embedding model", chat.EmbeddingOptions{Model: haiku}, 0, false, "is not a Titan or Cohere embedding model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			em := m.With(tc.opts)
			v, err := em.Embed(ctx, "Hello embeddings")
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Errorf("err %v, want %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(v) != tc.dims || em.Dimensions() != tc.dims || (math.Abs(length(v)-1) < 1e-4) != tc.unit {
				t.Errorf("len %d (Dimensions %d), length %.4f, want %d unit=%v", len(v), em.Dimensions(), length(v), tc.dims, tc.unit)
			}
		})
	}
}

// Cohere takes 96 texts a call: a larger batch is split, and the answer
// keeps the input order.
func TestEmbeddingModelCohereBatches(t *testing.T) {
	c := newClient(t, start(t, builtinModel(t)))
	m := c.EmbeddingModel(chat.EmbeddingOptions{Model: "cohere.embed-multilingual-v3"})
	texts := make([]string, 150)
	for i := range texts {
		texts[i] = fmt.Sprintf("document number %d about topic %d", i, i%7)
	}
	r, err := m.Call(t.Context(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Embeddings) != 150 {
		t.Fatalf("%d embeddings", len(r.Embeddings))
	}
	one, err := m.Embed(t.Context(), texts[120])
	if err != nil {
		t.Fatal(err)
	}
	if e := r.Embeddings[120]; e.Index != 120 || dot(e.Vector, one) < 0.9999 {
		t.Errorf("embedding 120: index %d, cos %.4f with its own call", e.Index, dot(e.Vector, one))
	}
}
