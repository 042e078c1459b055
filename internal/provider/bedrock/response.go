package bedrock

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Converse forwards the call's request bytes to /model/{upstream}/converse
// and decodes the answer.
func (p *Provider) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	body, err := requestBody(c)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", p.name, err)
	}
	ctx, cancel := p.up.WithTimeout(ctx, p.timeout)
	defer cancel()
	var out wire.ConverseResponse
	if err := p.call(ctx, upstreamModel(c), "converse", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// call posts body to op and decodes the JSON answer into out.
func (p *Provider) call(ctx context.Context, modelID, op string, body []byte, out any) error {
	resp, err := p.post(ctx, modelID, op, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := p.up.ReadBody(ctx, resp.Body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return wire.Errorf(wire.InternalServerException, "Backend %q sent a %s response that is not valid JSON.", p.name, op)
	}
	return nil
}

// upstreamModel is the model ID to call: the routed one, else the client's.
func upstreamModel(c *provider.Call) string {
	if c.UpstreamModel != "" {
		return c.UpstreamModel
	}
	return c.ModelID
}

var _ provider.Provider = (*Provider)(nil)
