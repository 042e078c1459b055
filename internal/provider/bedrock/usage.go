package bedrock

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Bedrock reports usage in Converse's own terms (inputTokens beside
// cacheReadInputTokens and cacheWriteInputTokens), so responses and
// metadata events need no mapping; only CountTokens lives here.

var _ provider.TokenCounter = (*Provider)(nil)

// CountTokens asks the upstream to count the prompt tokens of in for
// modelID, with POST /model/{modelID}/count-tokens.
func (p *Provider) CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (int, error) {
	body, err := json.Marshal(struct {
		Input *wire.CountTokensInput `json:"input"`
	}{in})
	if err != nil {
		return 0, fmt.Errorf("backend %q: encode count-tokens input: %w", p.name, err)
	}
	ctx, cancel := p.up.WithTimeout(ctx, p.timeout)
	defer cancel()
	var out wire.CountTokensResponse
	if err := p.call(ctx, modelID, "count-tokens", body, &out); err != nil {
		return 0, err
	}
	return out.InputTokens, nil
}
