package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
)

// DefaultEmbeddingModel is the model of an [EmbeddingModel] whose options
// name none: Amazon Titan Text Embeddings V2, as in Spring AI's Bedrock
// Titan embedding starter.
const DefaultEmbeddingModel = "amazon.titan-embed-text-v2:0"

// EmbeddingOptions configure embeddings (Spring AI's
// BedrockTitanEmbeddingOptions and BedrockCohereEmbeddingOptions). Zero
// values mean the model's defaults.
type EmbeddingOptions struct {
	// Model is a Titan (amazon.titan-embed-text-v1, -v2:0) or Cohere
	// (cohere.embed-english-v3, -multilingual-v3, cohere.embed-v4:0)
	// embedding model ID, or an inference profile of one.
	Model string
	// Dimensions is the vector length: 256, 512 or 1024 for Titan v2; 256,
	// 512, 1024 or 1536 for Cohere v4. Titan v1 (1536) and Cohere v3 (1024)
	// have one size only.
	Dimensions int
	// Normalize asks for unit-length vectors. Titan v2 normalises on the
	// service (its default is true); for Titan v1 the client scales the
	// vectors; Cohere's vectors are unit length already.
	Normalize *bool
	// InputType is Cohere's input_type: search_document (default),
	// search_query, classification or clustering.
	InputType string
	// Truncate is Cohere's truncate: NONE (the default: refuse an input
	// over the model's limit), START or END (v4: LEFT or RIGHT).
	Truncate string
}

func (o EmbeddingOptions) merge(over EmbeddingOptions) EmbeddingOptions {
	if over.Model != "" {
		o.Model = over.Model
	}
	if over.Dimensions != 0 {
		o.Dimensions = over.Dimensions
	}
	if over.Normalize != nil {
		o.Normalize = over.Normalize
	}
	if over.InputType != "" {
		o.InputType = over.InputType
	}
	if over.Truncate != "" {
		o.Truncate = over.Truncate
	}
	return o
}

// EmbeddingModel computes embeddings with InvokeModel (Spring AI's
// EmbeddingModel: embed one text, embed many, the vector size). It is an
// immutable value: With returns a copy with other options.
type EmbeddingModel struct {
	c    *Client
	opts EmbeddingOptions
}

// EmbeddingModel returns the client's embedding model with options o
// (model DefaultEmbeddingModel when o names none).
func (c *Client) EmbeddingModel(o EmbeddingOptions) EmbeddingModel {
	return EmbeddingModel{c: c, opts: EmbeddingOptions{Model: DefaultEmbeddingModel}.merge(o)}
}

// With returns a copy whose options are o laid over m's.
func (m EmbeddingModel) With(o EmbeddingOptions) EmbeddingModel {
	m.opts = m.opts.merge(o)
	return m
}

// Options returns the model's options.
func (m EmbeddingModel) Options() EmbeddingOptions { return m.opts }

// Embedding is one input's vector.
type Embedding struct {
	Index  int
	Vector []float32
}

// EmbeddingResponse is the answer to a batch: one embedding per input, in
// order, and the input tokens the service counted (Titan reports them per
// call, Cohere not at all: 0).
type EmbeddingResponse struct {
	Model       string
	Embeddings  []Embedding
	InputTokens int
}

// embedFamily names the body format of an embedding model ID.
func embedFamily(model string) string {
	switch {
	case strings.Contains(model, "titan-embed-text-v1"), strings.Contains(model, "titan-embed-g1-text"):
		return "titan-v1"
	case strings.Contains(model, "titan-embed-text-v2"):
		return "titan-v2"
	case strings.Contains(model, "cohere.embed-v4"):
		return "cohere-v4"
	case strings.Contains(model, "cohere.embed-"):
		return "cohere-v3"
	}
	return ""
}

// Dimensions is the vector length the model answers with for these
// options (Spring AI's dimensions()), without a call.
func (m EmbeddingModel) Dimensions() int {
	if m.opts.Dimensions != 0 {
		return m.opts.Dimensions
	}
	return map[string]int{"titan-v1": 1536, "titan-v2": 1024, "cohere-v3": 1024, "cohere-v4": 1536}[embedFamily(m.opts.Model)]
}

// Embed returns the embedding of one text.
func (m EmbeddingModel) Embed(ctx context.Context, text string) ([]float32, error) {
	r, err := m.Call(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return r.Embeddings[0].Vector, nil
}

// EmbedAll returns the embeddings of texts, in order.
func (m EmbeddingModel) EmbedAll(ctx context.Context, texts []string) ([][]float32, error) {
	r, err := m.Call(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(r.Embeddings))
	for i, e := range r.Embeddings {
		out[i] = e.Vector
	}
	return out, nil
}

// cohereBatch is how many texts one Cohere call takes.
const cohereBatch = 96

// Call embeds texts: one InvokeModel call per text for Titan (it takes
// one), per 96 texts for Cohere. Each call has the client's timeout and
// retry policy.
func (m EmbeddingModel) Call(ctx context.Context, texts []string) (*EmbeddingResponse, error) {
	if len(texts) == 0 {
		return nil, errors.New("chat: embed: no texts")
	}
	fam := embedFamily(m.opts.Model)
	if fam == "" {
		return nil, fmt.Errorf("chat: embed: %q is not a Titan or Cohere embedding model", m.opts.Model)
	}
	if err := m.checkDimensions(fam); err != nil {
		return nil, err
	}
	resp := &EmbeddingResponse{Model: m.opts.Model}
	if strings.HasPrefix(fam, "cohere") {
		for start := 0; start < len(texts); start += cohereBatch {
			batch := texts[start:min(start+cohereBatch, len(texts))]
			vecs, err := m.cohere(ctx, fam, batch)
			if err != nil {
				return nil, err
			}
			for i, v := range vecs {
				resp.Embeddings = append(resp.Embeddings, Embedding{Index: start + i, Vector: v})
			}
		}
		return resp, nil
	}
	for i, t := range texts {
		v, n, err := m.titan(ctx, fam, t)
		if err != nil {
			return nil, err
		}
		resp.Embeddings = append(resp.Embeddings, Embedding{Index: i, Vector: v})
		resp.InputTokens += n
	}
	return resp, nil
}

func (m EmbeddingModel) checkDimensions(fam string) error {
	d := m.opts.Dimensions
	if d == 0 {
		return nil
	}
	allowed := map[string][]int{"titan-v1": {1536}, "titan-v2": {256, 512, 1024}, "cohere-v3": {1024}, "cohere-v4": {256, 512, 1024, 1536}}[fam]
	for _, a := range allowed {
		if a == d {
			return nil
		}
	}
	return fmt.Errorf("chat: embed: %s answers with %v dimensions, not %d", m.opts.Model, allowed, d)
}

// invoke sends one body and decodes the JSON answer into out.
func (m EmbeddingModel) invoke(ctx context.Context, body any, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("chat: embed: encode request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.c.settings.Timeout)
	defer cancel()
	// The client's SDK retryer retries throttling and unavailability.
	o, err := m.c.rt.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(m.opts.Model), Body: b,
		ContentType: aws.String("application/json"), Accept: aws.String("application/json"),
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(o.Body, out); err != nil {
		return fmt.Errorf("chat: embed: decode %s answer: %w", m.opts.Model, err)
	}
	return nil
}

func (m EmbeddingModel) titan(ctx context.Context, fam, text string) ([]float32, int, error) {
	body := map[string]any{"inputText": text}
	normalize := m.opts.Normalize
	if fam == "titan-v2" {
		if m.opts.Dimensions != 0 {
			body["dimensions"] = m.opts.Dimensions
		}
		if normalize != nil {
			body["normalize"] = *normalize
		}
		normalize = nil // done by the service
	}
	var out struct {
		Embedding           []float32 `json:"embedding"`
		InputTextTokenCount int       `json:"inputTextTokenCount"`
	}
	if err := m.invoke(ctx, body, &out); err != nil {
		return nil, 0, err
	}
	if len(out.Embedding) == 0 {
		return nil, 0, fmt.Errorf("chat: embed: %s answered without an embedding", m.opts.Model)
	}
	if normalize != nil && *normalize {
		out.Embedding = unit(out.Embedding)
	}
	return out.Embedding, out.InputTextTokenCount, nil
}

func (m EmbeddingModel) cohere(ctx context.Context, fam string, texts []string) ([][]float32, error) {
	body := map[string]any{"texts": texts, "input_type": "search_document", "embedding_types": []string{"float"}}
	if m.opts.InputType != "" {
		body["input_type"] = m.opts.InputType
	}
	if m.opts.Truncate != "" {
		body["truncate"] = m.opts.Truncate
	}
	if fam == "cohere-v4" && m.opts.Dimensions != 0 {
		body["output_dimension"] = m.opts.Dimensions
	}
	var out struct {
		Embeddings struct {
			Float [][]float32 `json:"float"`
		} `json:"embeddings"`
	}
	if err := m.invoke(ctx, body, &out); err != nil {
		return nil, err
	}
	if len(out.Embeddings.Float) != len(texts) {
		return nil, fmt.Errorf("chat: embed: %s answered %d embeddings for %d texts", m.opts.Model, len(out.Embeddings.Float), len(texts))
	}
	if m.opts.Normalize != nil && *m.opts.Normalize {
		for i, v := range out.Embeddings.Float {
			out.Embeddings.Float[i] = unit(v)
		}
	}
	return out.Embeddings.Float, nil
}

// unit scales v to length 1 (a zero vector stays zero).
func unit(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	n := math.Sqrt(s)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}
