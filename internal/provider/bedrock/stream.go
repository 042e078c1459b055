package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net"

	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

const eventStreamType = "application/vnd.amazon.eventstream"

// ConverseStream forwards the call's request bytes to
// /model/{upstream}/converse-stream and yields the upstream's events as
// each message arrives; an exception frame ends the stream with that
// exception. Options.FirstTokenTimeout and IdleTimeout bound the waits for
// upstream content, not the time our consumer spends between reads (see
// upstream.Liveness); messageStart goes out with the first content.
// Breaking out of the loop cancels the upstream request and closes its
// body.
func (p *Provider) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		body, err := requestBody(c)
		if err != nil {
			yield(nil, fmt.Errorf("backend %q: %w", p.name, err))
			return
		}
		ctx, live := p.up.Watch(ctx, p.firstToken, p.idle)
		defer live.Stop()
		fail := func(err error) { yield(nil, live.Fail(err)) }
		resp, err := p.post(ctx, upstreamModel(c), "converse-stream", body, eventStreamType)
		if err != nil {
			// The upstream's own error response passes through as it is.
			yield(nil, err)
			return
		}
		defer resp.Body.Close()
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != eventStreamType {
			fail(&wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: resp.StatusCode,
				Message: fmt.Sprintf("Backend %q answered ConverseStream with %q instead of an event stream.", p.name, mt)})
			return
		}
		stopped := false
		for ev, err := range eventstream.Events(resp.Body, eventstream.ReadOptions{}) {
			if err != nil {
				fail(p.streamError(ctx, err))
				return
			}
			if ev.MessageStop != nil {
				stopped = true
			}
			if !live.Emit([]*wire.StreamEvent{ev}, yield) {
				return
			}
		}
		switch {
		case context.Cause(ctx) != nil:
			fail(p.up.TransportError(ctx, context.Cause(ctx)))
		case !stopped:
			fail(&wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: resp.StatusCode,
				Message: fmt.Sprintf("The stream from backend %q ended before the answer was complete.", p.name)})
		}
	}
}

// streamError classifies a failure while reading the stream body. The
// upstream's own exception frames pass through unchanged.
func (p *Provider) streamError(ctx context.Context, err error) error {
	var ex *wire.Exception
	if errors.As(err, &ex) {
		return ex
	}
	if context.Cause(ctx) != nil {
		return p.up.TransportError(ctx, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		return wire.Errorf(wire.ServiceUnavailableException, "The connection to backend %q broke off mid-stream.", p.name)
	}
	return &wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: 200,
		Message: fmt.Sprintf("Backend %q sent a malformed event stream.", p.name)}
}
