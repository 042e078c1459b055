package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net"
	"time"

	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/wire"
)

const eventStreamType = "application/vnd.amazon.eventstream"

// ConverseStream forwards the call's request bytes to
// /model/{upstream}/converse-stream and yields the upstream's events as
// each message arrives; an exception frame ends the stream with that
// exception. Breaking out of the loop cancels the upstream request and
// closes its body.
func (p *Provider) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		body, err := requestBody(c)
		if err != nil {
			yield(nil, fmt.Errorf("backend %q: %w", p.name, err))
			return
		}
		// The timeout bounds each wait for the upstream (the headers, then
		// every read of the body), not the whole stream, and not the time
		// our consumer spends between reads.
		ctx, idle, stop := upstream.Idle(ctx, p.timeout)
		defer stop()
		resp, err := p.post(ctx, upstreamModel(c), "converse-stream", body, eventStreamType)
		idle.Stop()
		if err != nil {
			yield(nil, err)
			return
		}
		defer resp.Body.Close()
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != eventStreamType {
			yield(nil, &wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: resp.StatusCode,
				Message: fmt.Sprintf("Backend %q answered ConverseStream with %q instead of an event stream.", p.name, mt)})
			return
		}
		r := &idleReader{r: resp.Body, timer: idle, d: p.timeout}
		stopped := false
		for ev, err := range eventstream.Events(r, eventstream.ReadOptions{}) {
			if err != nil {
				yield(nil, p.streamError(ctx, err))
				return
			}
			if ev.MessageStop != nil {
				stopped = true
			}
			if !yield(ev, nil) {
				return
			}
		}
		if !stopped {
			yield(nil, &wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: resp.StatusCode,
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
		return p.transportError(ctx, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		return wire.Errorf(wire.ServiceUnavailableException, "The connection to backend %q broke off mid-stream.", p.name)
	}
	return &wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: 200,
		Message: fmt.Sprintf("Backend %q sent a malformed event stream.", p.name)}
}

// idleReader arms timer for d around each Read, so only time spent waiting
// on the upstream counts against the timeout.
type idleReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (ir *idleReader) Read(b []byte) (int, error) {
	ir.timer.Reset(ir.d)
	n, err := ir.r.Read(b)
	ir.timer.Stop()
	return n, err
}
