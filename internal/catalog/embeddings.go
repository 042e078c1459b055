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
