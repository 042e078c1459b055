package providertest

import (
	"fmt"

	"github.com/conversekit/converse/internal/wire"
)

// CheckOrder reports the first place where events break Bedrock's
// ConverseStream order, nil when they keep it: messageStart; for each block,
// with indices 0, 1, 2 … never interleaved, an optional contentBlockStart,
// one or more contentBlockDelta and its contentBlockStop; messageStop;
// metadata last. These are the rules internal/router holds streams to
// (order.go), with one difference: the router closes a block a backend left
// open, where CheckOrder calls it a violation, because a provider should not
// rely on that repair.
func CheckOrder(events []*wire.StreamEvent) error {
	started, stopped, done := false, false, false
	open, next, deltas := -1, 0, 0
	for i, ev := range events {
		at := func(format string, args ...any) error {
			return fmt.Errorf("event %d (%s): %s", i, ev.EventType(), fmt.Sprintf(format, args...))
		}
		if ev == nil {
			return fmt.Errorf("event %d is nil", i)
		}
		if n := members(ev); n != 1 {
			return at("%d members set, want exactly one", n)
		}
		if done {
			return at("after metadata")
		}
		switch {
		case ev.MessageStart != nil:
			if started {
				return at("second messageStart")
			}
			started = true
		case !started:
			return at("before messageStart")
		case ev.ContentBlockStart != nil:
			idx := ev.ContentBlockStart.ContentBlockIndex
			switch {
			case stopped:
				return at("after messageStop")
			case open >= 0:
				return at("block %d starts while block %d is open", idx, open)
			case idx != next:
				return at("block %d where block %d was expected", idx, next)
			}
			open, next, deltas = idx, idx+1, 0
		case ev.ContentBlockDelta != nil:
			idx := ev.ContentBlockDelta.ContentBlockIndex
			switch {
			case stopped:
				return at("after messageStop")
			case open >= 0 && idx != open:
				return at("delta for block %d while block %d is open", idx, open)
			case open < 0 && idx != next:
				return at("block %d where block %d was expected", idx, next)
			case ev.ContentBlockDelta.Delta == nil:
				return at("delta without a delta member")
			}
			if open < 0 {
				open, next, deltas = idx, idx+1, 0
			}
			deltas++
		case ev.ContentBlockStop != nil:
			idx := ev.ContentBlockStop.ContentBlockIndex
			switch {
			case idx != open:
				return at("contentBlockStop for block %d, open block is %d", idx, open)
			case deltas == 0:
				return at("block %d stops without a delta", idx)
			}
			open = -1
		case ev.MessageStop != nil:
			switch {
			case stopped:
				return at("second messageStop")
			case open >= 0:
				return at("block %d was never stopped", open)
			}
			stopped = true
		case ev.Metadata != nil:
			if !stopped {
				return at("metadata before messageStop")
			}
			done = true
		}
	}
	if !done {
		return fmt.Errorf("stream of %d events ended before its metadata event", len(events))
	}
	return nil
}

func members(ev *wire.StreamEvent) int {
	n := 0
	for _, set := range []bool{ev.MessageStart != nil, ev.ContentBlockStart != nil, ev.ContentBlockDelta != nil,
		ev.ContentBlockStop != nil, ev.MessageStop != nil, ev.Metadata != nil} {
		if set {
			n++
		}
	}
	return n
}
