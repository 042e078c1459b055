package catalog

// Embedding is what an embedding model accepts and answers with.
type Embedding struct {
	// Dimensions are the vector lengths a request may ask for; the first
	// is the default.
	Dimensions []int
	// MaxInputTokens bounds one input text.
	MaxInputTokens int
	// MaxTexts bounds the texts of one call (Titan: 1).
	MaxTexts int
	// Types are the embedding types a request may ask for.
	Types []string
	// Images: image inputs accepted.
	Images bool
}

// DefaultDimensions is the vector length of a request that names none.
func (e *Embedding) DefaultDimensions() int {
	if e == nil || len(e.Dimensions) == 0 {
		return 0
	}
	return e.Dimensions[0]
}

// Sources of the embedding entries: AWS User Guide "Amazon Titan
// Embeddings G1 - Text" (model-parameters-titan-embed-text: v2 dimensions
// 1024 default, 512, 256; embeddingTypes float, binary; 8,192 tokens,
// 50,000 characters), "Cohere Embed v3" (model-parameters-embed-v3: 96
// texts of at most 2,048 characters, one image, 512 tokens, 1,024
// dimensions; float, int8, uint8, binary, ubinary) and "Cohere Embed v4"
// (model-parameters-embed-v4: output_dimension 256, 512, 1024, 1536
// (default); about 128K tokens; 96 inputs). Titan v1's 1,536 dimensions and
// 8K tokens: the same Titan page and the Vercel AI SDK's model table.
var embeddings = []Model{
	embedding("amazon", "titan", "amazon.titan-embed-text-v1", "Titan Embeddings G1 - Text",
		Embedding{Dimensions: []int{1536}, MaxInputTokens: 8192, MaxTexts: 1, Types: []string{"float"}}),
	embedding("amazon", "titan", "amazon.titan-embed-text-v2:0", "Titan Text Embeddings V2",
		Embedding{Dimensions: []int{1024, 512, 256}, MaxInputTokens: 8192, MaxTexts: 1, Types: []string{"float", "binary"}}),
	embedding("cohere", "embed", "cohere.embed-english-v3", "Cohere Embed English v3",
		Embedding{Dimensions: []int{1024}, MaxInputTokens: 512, MaxTexts: 96, Types: cohereTypes, Images: true}),
	embedding("cohere", "embed", "cohere.embed-multilingual-v3", "Cohere Embed Multilingual v3",
		Embedding{Dimensions: []int{1024}, MaxInputTokens: 512, MaxTexts: 96, Types: cohereTypes, Images: true}),
	embedding("cohere", "embed", "cohere.embed-v4:0", "Cohere Embed v4",
		Embedding{Dimensions: []int{1536, 1024, 512, 256}, MaxInputTokens: 128_000, MaxTexts: 96, Types: cohereTypes, Images: true}),
}

var cohereTypes = []string{"float", "int8", "uint8", "binary", "ubinary"}

func embedding(provider, family, id, name string, e Embedding) Model {
	return Model{ID: id, Provider: provider, Family: family, Name: name, Embedding: &e,
		Source: "AWS User Guide model parameters for " + name}
}
