package router

import (
	"fmt"
	"iter"

	"github.com/conversekit/converse/internal/wire"
)

// ordered passes a backend's stream through, holding it to Bedrock's event
// order: messageStart; per block [contentBlockStart] contentBlockDelta+
// contentBlockStop with indices 0, 1, 2 … never interleaved; messageStop;
// metadata last. A block left open is closed before the next one or
// messageStop (clients need the stop to finish a tool call's input); any
// other violation, or a stream that ends before metadata, becomes an
// InternalServerException: SDKs take a stream that simply ends for a
// complete answer, so it must never just stop.
func ordered(backend string, seq iter.Seq2[*wire.StreamEvent, error]) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		o := orderState{next: 0, open: -1}
		broken := func(format string, args ...any) {
			yield(nil, &orderError{backend: backend, detail: fmt.Sprintf(format, args...)})
		}
		for ev, err := range seq {
			if err != nil {
				yield(nil, err)
				return
			}
			if o.done {
				broken("event %s after metadata", ev.EventType())
				return
			}
			var pre *wire.StreamEvent
			switch {
			case ev.MessageStart != nil:
				if o.started {
					broken("second messageStart")
					return
				}
				o.started = true
			case !o.started:
				broken("%s before messageStart", ev.EventType())
				return
			case ev.ContentBlockStart != nil, ev.ContentBlockDelta != nil:
				idx, isStart := blockIndex(ev)
				if o.stopped {
					broken("%s after messageStop", ev.EventType())
					return
				}
				if idx != o.open {
					if idx != o.next {
						broken("block %d where block %d was expected", idx, o.next)
						return
					}
					if o.open >= 0 {
						pre = &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: o.open}}
					}
					o.open, o.next = idx, idx+1
				} else if isStart {
					broken("contentBlockStart for block %d after its deltas", idx)
					return
				}
			case ev.ContentBlockStop != nil:
				if ev.ContentBlockStop.ContentBlockIndex != o.open {
					broken("contentBlockStop for block %d, open block is %d", ev.ContentBlockStop.ContentBlockIndex, o.open)
					return
				}
				o.open = -1
			case ev.MessageStop != nil:
				if o.stopped {
					broken("second messageStop")
					return
				}
				if o.open >= 0 {
					pre = &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: o.open}}
					o.open = -1
				}
				o.stopped = true
			case ev.Metadata != nil:
				if !o.stopped {
					broken("metadata before messageStop")
					return
				}
				o.done = true
			default:
				broken("an event with no member set")
				return
			}
			if pre != nil && !yield(pre, nil) {
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
		if !o.done {
			broken("stream ended before its metadata event")
		}
	}
}

type orderState struct {
	started, stopped, done bool
	open, next             int // open block index (-1: none), next expected index
}

func blockIndex(ev *wire.StreamEvent) (idx int, isStart bool) {
	if s := ev.ContentBlockStart; s != nil {
		return s.ContentBlockIndex, true
	}
	return ev.ContentBlockDelta.ContentBlockIndex, false
}

// orderError is a backend stream that broke Bedrock's event order: our bug
// or the backend's, never the caller's, so the caller sees an internal
// error and the log says what happened.
type orderError struct {
	backend, detail string
}

func (e *orderError) Error() string {
	return fmt.Sprintf("backend %s broke the event order: %s", e.backend, e.detail)
}
