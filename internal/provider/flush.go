package provider

import "context"

// Flusher lets a stream's consumer (the server) hold the events it has been
// handed and send them to the client in one write, instead of one write per
// event, without ever delaying an event: a provider that claims the Flusher
// promises to call Flush before every wait for its next event (a read from
// its upstream that may block, a timer), so whatever was handed over goes
// out before the stream goes quiet. Events the provider has ready together,
// such as the chunks an upstream read returned at once, then leave in one
// write; the first event is never held back, since the provider waits for
// the second one only after flushing.
//
// A provider that does not claim the Flusher gets one write per event, as
// before. Flush must be called from the goroutine the stream's events are
// yielded on: it writes to the client.
type Flusher struct {
	flush   func()
	claimed bool
}

type flusherKey struct{}

// WithFlusher returns a context carrying a Flusher whose Flush calls flush,
// and the Flusher.
func WithFlusher(ctx context.Context, flush func()) (context.Context, *Flusher) {
	f := &Flusher{flush: flush}
	return context.WithValue(ctx, flusherKey{}, f), f
}

// FlusherFrom returns ctx's Flusher; nil (whose methods do nothing) when the
// consumer writes each event at once.
func FlusherFrom(ctx context.Context) *Flusher {
	f, _ := ctx.Value(flusherKey{}).(*Flusher)
	return f
}

// Claim is called by a provider at the start of a stream in which it will
// call Flush before every wait; it reports whether there is a Flusher.
func (f *Flusher) Claim() bool {
	if f == nil {
		return false
	}
	f.claimed = true
	return true
}

// Release undoes a claim: the router calls it before it moves on to a
// fallback, which may not flush.
func (f *Flusher) Release() {
	if f != nil {
		f.claimed = false
	}
}

// Claimed reports whether the provider streaming now calls Flush before its
// waits, so the consumer may hold events until then.
func (f *Flusher) Claimed() bool { return f != nil && f.claimed }

// Flush sends the events handed over so far to the client.
func (f *Flusher) Flush() {
	if f != nil {
		f.flush()
	}
}
