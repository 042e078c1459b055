package anthropic

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"

	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/sse"
	"github.com/conversekit/converse/internal/wire"
)

// A Messages body of InvokeModel goes to the Messages API as it is, with
// what differs between Bedrock and the API moved into place: the API takes
// the version in the anthropic-version header (this backend's Version), not
// anthropic_version in the body; beta flags in the anthropic-beta header,
// not anthropic_beta; and the model and stream flag in the body, where
// Bedrock has them in the path and the operation. The answer (JSON, or the
// stream events' data as chunks) comes back unchanged, so nothing is
// translated twice.

var _ provider.Invoker = (*Provider)(nil)

// Invokes reports that the Anthropic Messages family is served natively.
func (p *Provider) Invokes(f invoke.Family) bool { return f == invoke.Messages }

// apiBody makes the Messages API request for a Bedrock Messages body.
func (p *Provider) apiBody(inv *provider.Invocation, stream bool) (*request, error) {
	if err := inv.Headers.Unsupported(p.name); err != nil {
		return nil, err
	}
	// Tier and latency as on Converse (fields.go): the API's service_tier
	// stands for Bedrock's default and priority; it has no other.
	var tier string
	switch h := inv.Headers; {
	case h.PerformanceConfigLatency == "optimized":
		return nil, wire.Errorf(wire.ValidationException, "Backend %q has no latency-optimized inference: remove the %s header or set it to standard.", p.name, invoke.HeaderLatency)
	case h.ServiceTier == "default":
		tier = "standard_only"
	case h.ServiceTier == "priority":
		tier = "auto"
	case h.ServiceTier != "":
		return nil, wire.Errorf(wire.ValidationException, "Backend %q has no %s service tier: use default or priority, or remove the %s header.", p.name, h.ServiceTier, invoke.HeaderServiceTier)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(inv.Body, &fields); err != nil {
		return nil, wire.Errorf(wire.ValidationException, "Malformed input request: #: expected type: JSONObject, please reformat your input and try again.")
	}
	r := &request{stream: stream}
	if raw, ok := fields["anthropic_beta"]; ok {
		if err := json.Unmarshal(raw, &r.betas); err != nil {
			return nil, wire.Errorf(wire.ValidationException, "anthropic_beta: must be a list of strings.")
		}
	}
	delete(fields, "anthropic_version")
	delete(fields, "anthropic_beta")
	model, err := json.Marshal(inv.UpstreamModel)
	if err != nil {
		return nil, fmt.Errorf("backend %q: encode model: %w", p.name, err)
	}
	fields["model"] = model
	if stream {
		fields["stream"] = json.RawMessage("true")
	}
	if tier != "" {
		fields["service_tier"] = json.RawMessage(`"` + tier + `"`)
	}
	if r.body, err = json.Marshal(fields); err != nil {
		return nil, fmt.Errorf("backend %q: encode request: %w", p.name, err)
	}
	return r, nil
}

func usageOf(u *apiUsage) invoke.Usage {
	if u == nil {
		return invoke.Usage{}
	}
	return invoke.Usage{InputTokens: deref(u.InputTokens), OutputTokens: deref(u.OutputTokens),
		CacheReadInputTokens: deref(u.CacheReadInputTokens), CacheWriteInputTokens: deref(u.CacheCreationInputTokens)}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// InvokeModel posts the body to /v1/messages and returns Anthropic's
// answer unchanged, with its usage.
func (p *Provider) InvokeModel(ctx context.Context, inv *provider.Invocation) (*provider.InvokeResponse, error) {
	r, err := p.apiBody(inv, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.up.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := p.post(ctx, r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := p.up.ReadBody(ctx, resp.Body)
	if err != nil {
		return nil, err
	}
	var m struct {
		Type  string    `json:"type"`
		Usage *apiUsage `json:"usage"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Type != "message" {
		return nil, &wire.Exception{Type: wire.ModelErrorException, Message: fmt.Sprintf("Backend %q sent a response that is not a message.", p.name), OriginalStatusCode: 200}
	}
	return &provider.InvokeResponse{Body: raw, ContentType: "application/json", Usage: usageOf(m.Usage)}, nil
}

// InvokeModelStream posts the body with stream: true and yields each
// event's data as a chunk (pings are dropped: Bedrock does not relay
// them); an error event ends the stream with its exception. The first
// token and idle timeouts apply as on ConverseStream; message_start is
// held back until content follows, so a backend that never answers fails
// before the client saw a chunk and the router can fall back.
func (p *Provider) InvokeModelStream(ctx context.Context, inv *provider.Invocation) iter.Seq2[*provider.Chunk, error] {
	return func(yield func(*provider.Chunk, error) bool) {
		r, err := p.apiBody(inv, true)
		if err != nil {
			yield(nil, err)
			return
		}
		ctx, live := p.up.Watch(ctx, p.firstToken, p.idle)
		defer live.Stop()
		fail := func(err error) { yield(nil, live.Fail(err)) }
		resp, err := p.post(ctx, r)
		if err != nil {
			fail(err)
			return
		}
		defer resp.Body.Close()
		// Liveness works on Converse events; each chunk is stood for by a
		// marker (messageStart for chunks without content) and the
		// markers it lets through release the queued chunks in order.
		var queue []*provider.Chunk
		release := func(*wire.StreamEvent, error) bool {
			ch := queue[0]
			queue = queue[1:]
			return yield(ch, nil)
		}
		var usage invoke.Usage
		limit := min(p.maxBuffered, sse.DefaultMaxEventBytes)
		for ev, err := range sse.Read(resp.Body, sse.Options{MaxEventBytes: limit, MaxLineBytes: min(limit, sse.DefaultMaxLineBytes)}) {
			if err != nil {
				fail(p.readError(ctx, err))
				return
			}
			var e struct {
				Type    string    `json:"type"`
				Usage   *apiUsage `json:"usage"`
				Message *struct {
					Usage *apiUsage `json:"usage"`
				} `json:"message"`
			}
			if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
				fail(&wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("Backend %q sent a stream event that is not JSON.", p.name), OriginalStatusCode: 200})
				return
			}
			ch := &provider.Chunk{Bytes: []byte(ev.Data)}
			marker := contentMarker
			switch e.Type {
			case "ping":
				continue
			case "error":
				fail(p.streamError(ctx, []byte(ev.Data)))
				return
			case "message_start":
				marker = startMarker
				if e.Message != nil {
					usage = usageOf(e.Message.Usage)
				}
			case "message_delta":
				mergeUsage(&usage, e.Usage)
			case "message_stop":
				u := usage
				ch.Usage = &u
			}
			queue = append(queue, ch)
			if !live.Emit([]*wire.StreamEvent{marker}, release) {
				return
			}
			if ch.Usage != nil {
				return
			}
		}
		if context.Cause(ctx) != nil {
			fail(p.up.TransportError(ctx, context.Cause(ctx)))
			return
		}
		fail(&wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("Backend %q ended the stream before message_stop.", p.name), OriginalStatusCode: 200})
	}
}

var (
	startMarker   = &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{}}
	contentMarker = &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{}}
)

// mergeUsage lays message_delta's usage over message_start's: output
// always, the input counts when the delta carries them.
func mergeUsage(u *invoke.Usage, d *apiUsage) {
	if d == nil {
		return
	}
	if d.OutputTokens != nil {
		u.OutputTokens = *d.OutputTokens
	}
	if d.InputTokens != nil {
		u.InputTokens = *d.InputTokens
	}
	if d.CacheReadInputTokens != nil {
		u.CacheReadInputTokens = *d.CacheReadInputTokens
	}
	if d.CacheCreationInputTokens != nil {
		u.CacheWriteInputTokens = *d.CacheCreationInputTokens
	}
}
