package wire

// StreamEvent is one ConverseStream event: a ConverseStreamOutput with exactly
// one event member set. Exceptions travel as errors, not as StreamEvents.
type StreamEvent = ConverseStreamOutput

// EventType is the :event-type header value of the event, the name of its
// set member; "" when no event member is set.
func (e *ConverseStreamOutput) EventType() string {
	switch {
	case e.MessageStart != nil:
		return "messageStart"
	case e.ContentBlockStart != nil:
		return "contentBlockStart"
	case e.ContentBlockDelta != nil:
		return "contentBlockDelta"
	case e.ContentBlockStop != nil:
		return "contentBlockStop"
	case e.MessageStop != nil:
		return "messageStop"
	case e.Metadata != nil:
		return "metadata"
	}
	return ""
}

// Payload is the value the event's frame carries: the set member itself,
// since the event name travels only in the :event-type header.
func (e *ConverseStreamOutput) Payload() any {
	switch {
	case e.MessageStart != nil:
		return e.MessageStart
	case e.ContentBlockStart != nil:
		return e.ContentBlockStart
	case e.ContentBlockDelta != nil:
		return e.ContentBlockDelta
	case e.ContentBlockStop != nil:
		return e.ContentBlockStop
	case e.MessageStop != nil:
		return e.MessageStop
	case e.Metadata != nil:
		return e.Metadata
	}
	return nil
}

// Ptr returns a pointer to v, for the optional members of wire types.
func Ptr[T any](v T) *T { return &v }

// Val returns what p points to, or the zero value for nil.
func Val[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
