package builtin

import (
	"context"
	"hash/fnv"
	"math"
	"strings"
	"unicode"

	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/provider"
)

// DefaultDimensions is the vector length of an embedding when neither the
// request nor the catalogue names one.
const DefaultDimensions = 1024

// Embed answers an embedding request with lexical embeddings: not a
// language model's meaning, but deterministic vectors whose cosine
// similarity follows shared words and word pieces. Every text becomes a
// bag of features (its words, lower-cased; character trigrams of each
// word; pairs of neighbouring words), each feature is hashed to four
// positions of the vector with a hashed sign (feature hashing, a sparse
// random projection), and the weighted features are summed. So the same
// text always gives the same vector, "cat sat on the mat" is close to
// "a cat on a mat" and nearly orthogonal to "tax law", and a typo costs a
// little similarity rather than all of it. Common function words weigh
// less, so they do not make unrelated sentences alike. Cohere's
// input_type changes nothing: queries and documents live in one space.
func (m *Model) Embed(ctx context.Context, c *provider.EmbedCall) (*invoke.Embeddings, error) {
	dims := c.Dimensions
	if dims <= 0 {
		dims = DefaultDimensions
	}
	out := &invoke.Embeddings{Vectors: make([][]float64, 0, len(c.Request.Texts))}
	for _, t := range c.Request.Texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out.Vectors = append(out.Vectors, LexicalVector(t, dims))
		out.InputTokens += m.opts.Tokens.Text(t)
	}
	return out, nil
}

var _ provider.Embedder = (*Model)(nil)

// functionWords weigh a quarter of other words.
var functionWords = map[string]bool{
	"a": true, "an": true, "the": true, "on": true, "in": true, "at": true, "of": true, "to": true,
	"and": true, "or": true, "is": true, "are": true, "was": true, "were": true, "be": true,
	"it": true, "its": true, "this": true, "that": true, "for": true, "with": true, "as": true,
	"by": true, "from": true, "i": true, "you": true, "he": true, "she": true, "we": true, "they": true,
}

// Feature weights: a whole word counts most; its trigrams together about
// as much as half a word; a word pair half a word.
const (
	wordWeight     = 1.0
	functionWeight = 0.25
	trigramWeight  = 0.5
	pairWeight     = 0.5
	projections    = 4
)

// LexicalVector is the built-in embedding of text with dims dimensions
// (not normalised; see Embed).
func LexicalVector(text string, dims int) []float64 {
	v := make([]float64, dims)
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	add := func(kind byte, feature string, w float64) {
		h := fnv.New64a()
		h.Write([]byte{kind})
		h.Write([]byte(feature))
		x := h.Sum64()
		for range projections {
			x = splitmix(x)
			sign := 1.0
			if x>>63 == 1 {
				sign = -1
			}
			v[int(x%uint64(dims))] += sign * w / math.Sqrt(projections)
		}
	}
	for i, w := range words {
		weight := wordWeight
		if functionWords[w] {
			weight = functionWeight
		}
		add('w', w, weight)
		padded := []rune("^" + w + "$")
		if n := len(padded) - 2; n > 0 {
			tw := trigramWeight * weight / math.Sqrt(float64(n))
			for j := 0; j+3 <= len(padded); j++ {
				add('c', string(padded[j:j+3]), tw)
			}
		}
		if i > 0 {
			pw := pairWeight
			if functionWords[w] || functionWords[words[i-1]] {
				pw *= functionWeight
			}
			add('b', words[i-1]+" "+w, pw)
		}
	}
	return v
}

// splitmix is SplitMix64's finaliser, to derive independent positions
// from one hash.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}
