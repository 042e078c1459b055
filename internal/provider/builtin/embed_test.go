package builtin

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/provider"
)

func cosine(a, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += a[i] * b[i]
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	return dot / math.Sqrt(na*nb)
}

// The built-in embeddings carry lexical similarity: sentences sharing
// words are close, unrelated ones are not, and a vector depends on the
// text alone.
func TestLexicalSimilarity(t *testing.T) {
	for _, dims := range []int{256, 1024, 1536} {
		cat := LexicalVector("cat sat on the mat", dims)
		cat2 := LexicalVector("a cat on a mat", dims)
		tax := LexicalVector("tax law", dims)
		typo := LexicalVector("cat sat on the matt", dims)
		near, far := cosine(cat, cat2), cosine(cat, tax)
		if near < 0.5 || far > 0.15 || near-far < 0.4 {
			t.Errorf("%d dims: cos(cat, a cat) = %.3f, cos(cat, tax) = %.3f", dims, near, far)
		}
		// Word pieces keep a misspelt sentence close.
		if c := cosine(cat, typo); c < 0.6 || c > 0.999 {
			t.Errorf("%d dims: a typo gives cos %.3f", dims, c)
		}
		if diff := cmp.Diff(cat, LexicalVector("cat sat on the mat", dims)); diff != "" {
			t.Errorf("not deterministic: %s", diff)
		}
		if len(cat) != dims {
			t.Errorf("len %d, want %d", len(cat), dims)
		}
	}
	// Case and punctuation do not change the words.
	if c := cosine(LexicalVector("Cat, sat!", 512), LexicalVector("cat sat", 512)); c < 0.9999 {
		t.Errorf("case/punctuation: cos %.4f", c)
	}
}

func TestEmbed(t *testing.T) {
	m := newModel(t)
	tok, _ := sharedTokens()
	out, err := m.Embed(t.Context(), &provider.EmbedCall{Request: &invoke.EmbedRequest{Texts: []string{"one text", "two texts"}}, Dimensions: 512})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Vectors) != 2 || len(out.Vectors[0]) != 512 || out.InputTokens != tok.Text("one text")+tok.Text("two texts") {
		t.Errorf("vectors %d×%d, tokens %d", len(out.Vectors), len(out.Vectors[0]), out.InputTokens)
	}
	out, err = m.Embed(t.Context(), &provider.EmbedCall{Request: &invoke.EmbedRequest{Texts: []string{"x"}}})
	if err != nil || len(out.Vectors[0]) != DefaultDimensions {
		t.Errorf("default dims: %v %d", err, len(out.Vectors[0]))
	}
}

func BenchmarkLexicalVector(b *testing.B) {
	text := "Amazon Bedrock is a fully managed service that offers a choice of high-performing foundation models."
	for b.Loop() {
		LexicalVector(text, 1024)
	}
}
