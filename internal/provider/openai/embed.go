package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/wire"
)

// Embeddings go to the OpenAI-compatible /v1/embeddings endpoint beside
// chat completions (vLLM, Ollama, llama.cpp's server, Text Embeddings
// Inference, OpenAI): all texts in one request, float vectors back, and
// "dimensions" only when the caller asked for a size, since many servers
// refuse it for models that cannot shorten their vectors.

var _ provider.Embedder = (*Provider)(nil)

type embeddingsRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Dimensions     int      `json:"dimensions,omitempty"`
}

type embeddingsResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
	Usage *struct {
		PromptTokens int `json:"prompt_tokens"`
	} `json:"usage"`
}

// Embed posts the texts to /embeddings and returns the vectors in input
// order with the prompt tokens the server counted (0 when it did not say).
func (p *Provider) Embed(ctx context.Context, c *provider.EmbedCall) (*invoke.Embeddings, error) {
	body, err := json.Marshal(embeddingsRequest{Model: c.UpstreamModel, Input: c.Request.Texts, EncodingFormat: "float", Dimensions: c.Request.Dimensions})
	if err != nil {
		return nil, fmt.Errorf("backend %q: encode embeddings request: %w", p.name, err)
	}
	ctx, cancel := p.up.WithTimeout(ctx, p.timeout)
	defer cancel()
	url := strings.TrimSuffix(p.endpoint, "/chat/completions") + "/embeddings"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("backend %q: build request: %w", p.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if p.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+p.apiKey)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, p.up.TransportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw := upstream.ReadErrorBody(resp)
		return nil, p.up.StatusError(ctx, resp.StatusCode, "", errorMessage(raw))
	}
	raw, err := p.up.ReadBody(ctx, resp.Body)
	if err != nil {
		return nil, err
	}
	var er embeddingsResponse
	if err := json.Unmarshal(raw, &er); err != nil {
		return nil, &wire.Exception{Type: wire.ModelErrorException, Message: fmt.Sprintf("Backend %q sent an embeddings response that is not valid JSON.", p.name), OriginalStatusCode: resp.StatusCode}
	}
	out := &invoke.Embeddings{Vectors: make([][]float64, len(c.Request.Texts))}
	for _, d := range er.Data {
		if d.Index < 0 || d.Index >= len(out.Vectors) || out.Vectors[d.Index] != nil {
			return nil, &wire.Exception{Type: wire.ModelErrorException, Message: fmt.Sprintf("Backend %q sent embeddings with a bad or repeated index %d.", p.name, d.Index), OriginalStatusCode: resp.StatusCode}
		}
		out.Vectors[d.Index] = d.Embedding
	}
	for i, v := range out.Vectors {
		if v == nil {
			return nil, &wire.Exception{Type: wire.ModelErrorException, Message: fmt.Sprintf("Backend %q sent no embedding for input %d.", p.name, i), OriginalStatusCode: resp.StatusCode}
		}
	}
	if er.Usage != nil {
		out.InputTokens = er.Usage.PromptTokens
	}
	return out, nil
}
