package invocationlog

import (
	"time"

	"github.com/conversekit/converse/internal/wire"
)

// InvokeResponse notes an InvokeModel answer: the model-native body, its
// content type and usage.
func (i *Invocation) InvokeResponse(body []byte, contentType string, u *wire.TokenUsage) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rec.Output.OutputContentType = contentType
	i.usage(u)
	if i.log.opts.Bodies {
		i.response = body
	}
}

// Chunk notes an InvokeModelWithResponseStream chunk as it is sent (its
// model-native JSON); u is the call's usage on the last chunk, else nil.
func (i *Invocation) Chunk(b []byte, u *wire.TokenUsage) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rec.Output.OutputContentType = "application/vnd.amazon.eventstream"
	if !i.firstToken {
		i.firstToken = true
		ms := millis(time.Since(i.start))
		i.rec.Timing.TimeToFirstTokenMs = &ms
	}
	i.usage(u)
	if !i.log.opts.Bodies {
		return
	}
	i.eventBytes += len(b) + 1
	if i.cut || i.events.Len()+len(b)+2 > i.log.opts.MaxBodyBytes {
		i.cut = true
		return
	}
	if i.events.Len() == 0 {
		i.events.WriteByte('[')
	} else {
		i.events.WriteByte(',')
	}
	i.events.Write(b)
}
