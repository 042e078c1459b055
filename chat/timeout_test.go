package chat_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

// stall is how long a stalled test server waits before answering anyway: a
// test whose timeout is not enforced gets an answer and fails, rather than
// hanging.
const stall = 3 * time.Second

// stallingStream yields the first two events of an answer, then waits for
// release (or stall) before the rest.
func stallingStream(release <-chan struct{}) func(context.Context, int, *wire.ConverseRequest) iter.Seq2[*wire.StreamEvent, error] {
	return func(ctx context.Context, _ int, _ *wire.ConverseRequest) iter.Seq2[*wire.StreamEvent, error] {
		return func(yield func(*wire.StreamEvent, error) bool) {
			evs := events(textAnswer("first half, second half"))
			for i, ev := range evs {
				if i == 2 {
					select {
					case <-release:
					case <-time.After(stall):
					case <-ctx.Done():
						return
					}
				}
				if !yield(ev, nil) {
					return
				}
			}
		}
	}
}

func streamErr(c *chat.Client, ctx context.Context) (string, error) {
	var b strings.Builder
	for ch, err := range c.Prompt("hi").Stream(ctx) {
		if err != nil {
			return b.String(), err
		}
		b.WriteString(ch.Text)
	}
	return b.String(), nil
}

func TestWholeCallTimeout(t *testing.T) {
	s := &script{answer: func(ctx context.Context, _ int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		select {
		case <-time.After(stall):
		case <-ctx.Done():
		}
		return textAnswer("too late"), nil
	}}
	s.stream = stallingStream(nil)
	set := testSettings(start(t, s))
	set.Timeout = 200 * time.Millisecond
	c := newClient(t, "", chat.WithSettings(set))
	began := time.Now()
	_, err := c.Prompt("hi").Call(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("call err %v, want context.DeadlineExceeded", err)
	}
	if _, err := streamErr(c, t.Context()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stream err %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(began); d >= stall {
		t.Errorf("took %s: the timeout did not cut the calls", d)
	}
}

func TestStreamReadTimeout(t *testing.T) {
	s := &script{stream: stallingStream(nil)}
	set := testSettings(start(t, s))
	set.StreamReadTimeout = 200 * time.Millisecond
	c := newClient(t, "", chat.WithSettings(set))
	text, err := streamErr(c, t.Context())
	if !errors.Is(err, chat.ErrStreamReadTimeout) {
		t.Fatalf("err %v, want ErrStreamReadTimeout", err)
	}
	if text != "first half," {
		t.Errorf("text before the stall %q", text)
	}
	// A consumer slower than the read timeout is not a stalled server.
	release := make(chan struct{})
	close(release)
	s.stream = stallingStream(release)
	var b strings.Builder
	for ch, err := range c.Prompt("hi").Stream(t.Context()) {
		if err != nil {
			t.Fatalf("slow consumer: %v", err)
		}
		if b.Len() == 0 {
			time.Sleep(300 * time.Millisecond)
		}
		b.WriteString(ch.Text)
	}
	if b.String() != "first half, second half" {
		t.Errorf("slow consumer read %q", b.String())
	}
}

func TestConnectionAcquisitionTimeout(t *testing.T) {
	release := make(chan struct{})
	s := &script{stream: stallingStream(release), answer: func(context.Context, int, *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return textAnswer("ok"), nil
	}}
	set := testSettings(start(t, s))
	set.MaxConnections = 1
	set.ConnectionAcquisitionTimeout = 200 * time.Millisecond
	set.Timeout = 2 * time.Second // without the acquisition timeout, fail in 2s rather than hang
	c := newClient(t, "", chat.WithSettings(set))

	// One stream holds the only connection…
	next, stop := iter.Pull2(c.Prompt("hold").Stream(t.Context()))
	defer stop()
	if _, err, ok := next(); !ok || err != nil {
		t.Fatalf("first stream: %v", err)
	}
	// …so a second call waits for the pool, and gives up.
	began := time.Now()
	_, err := c.Prompt("hi").Call(t.Context())
	if !errors.Is(err, chat.ErrConnectionAcquisitionTimeout) {
		t.Errorf("err %v, want ErrConnectionAcquisitionTimeout", err)
	}
	if d := time.Since(began); d >= stall {
		t.Errorf("waited %s", d)
	}
	close(release)
	for {
		_, err, ok := next()
		if !ok {
			break
		}
		if err != nil {
			t.Fatalf("held stream: %v", err)
		}
	}
	// With the connection back in the pool the next call goes through.
	if _, err := c.Prompt("hi").Call(t.Context()); err != nil {
		t.Errorf("after release: %v", err)
	}
}
