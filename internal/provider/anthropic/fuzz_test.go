package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/sse"
	"github.com/conversekit/converse/internal/wire"
)

func seed(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
}

// FuzzStream: any upstream byte stream translates without panicking into
// events in Bedrock's order: messageStart once and first, every delta and
// stop inside an open block, each block stopped once, metadata last.
func FuzzStream(f *testing.F) {
	seed(f, "stream/*.anthropic.sse")
	p, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		st := p.newStreamState(&wire.ConverseRequest{AdditionalModelResponseFieldPaths: []string{"/delta/stop_sequence"}}, time.Now())
		started, ended := false, false
		open := map[int]bool{}
		closed := map[int]bool{}
		for ev, err := range sse.Read(bytes.NewReader(in), sse.Options{MaxLineBytes: 4096, MaxEventBytes: 8192}) {
			if err != nil {
				return
			}
			events, done, err := st.handle(context.Background(), ev)
			if err != nil {
				return
			}
			for _, e := range events {
				if ended {
					t.Fatalf("event %s after metadata", e.EventType())
				}
				if _, err := json.Marshal(e.Payload()); err != nil {
					t.Fatalf("event does not encode: %v", err)
				}
				switch {
				case e.MessageStart != nil:
					if started {
						t.Fatal("second messageStart")
					}
					started = true
				case !started:
					t.Fatalf("%s before messageStart", e.EventType())
				case e.ContentBlockStart != nil:
					open[e.ContentBlockStart.ContentBlockIndex] = true
				case e.ContentBlockDelta != nil:
					i := e.ContentBlockDelta.ContentBlockIndex
					if closed[i] {
						t.Fatalf("delta for closed block %d", i)
					}
					open[i] = true
				case e.ContentBlockStop != nil:
					i := e.ContentBlockStop.ContentBlockIndex
					if closed[i] || !open[i] {
						t.Fatalf("stop for block %d that is not open", i)
					}
					closed[i] = true
				case e.Metadata != nil:
					ended = true
				}
			}
			if done {
				if !ended {
					t.Fatal("done without metadata")
				}
				return
			}
		}
	})
}

// FuzzResponse: any body either fails with an exception or translates to
// a response that encodes.
func FuzzResponse(f *testing.F) {
	seed(f, "response/*.anthropic.json")
	p, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	req := &wire.ConverseRequest{AdditionalModelResponseFieldPaths: []string{"/stop_sequence", "/content/0/text", "/usage"}}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := p.translateResponse(in, req)
		if err != nil {
			if _, ok := err.(*wire.Exception); !ok {
				t.Fatalf("error %v is not a *wire.Exception", err)
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatal(err)
		}
	})
}
