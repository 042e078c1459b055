package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Recorder is a provider that forwards every call to another provider and
// writes each exchange to a file in its directory. A later identical
// request overwrites the earlier file: the newest exchange wins. It is safe
// for concurrent use.
type Recorder struct {
	next provider.Provider
	dir  string
}

var _ provider.Provider = (*Recorder)(nil)

// NewRecorder returns a Recorder writing into dir, which it creates; it
// fails at once when dir cannot be written, rather than on the first call.
func NewRecorder(next provider.Provider, dir string) (*Recorder, error) {
	if next == nil {
		return nil, errors.New("replay: recorder needs a provider to forward to")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("replay: create recording directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return nil, fmt.Errorf("replay: recording directory is not writable: %w", err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return &Recorder{next: next, dir: dir}, nil
}

// Converse forwards the call and records the response or the exception.
// Errors that are not Bedrock exceptions (a cancelled context) are not
// recorded: they say nothing about the backend.
func (r *Recorder) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	n, err := normalise(opConverse, c)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	out, callErr := r.next.Converse(ctx, c)
	ex := r.exchange(n)
	switch {
	case callErr != nil:
		var wex *wire.Exception
		if !errors.As(callErr, &wex) {
			return nil, callErr
		}
		ex.Error = fromException(wex)
	default:
		b, err := marshal(out)
		if err != nil {
			return nil, fmt.Errorf("replay: encode response: %w", err)
		}
		ex.Response = b
	}
	if err := r.write(n, ex); err != nil {
		return nil, err
	}
	return out, callErr
}

// ConverseStream forwards the stream event by event and records it once it
// ends, with the exception that ended it if any. A stream the consumer
// abandons (the client hung up) is not recorded: it is incomplete.
func (r *Recorder) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		n, err := normalise(opStream, c)
		if err != nil {
			yield(nil, fmt.Errorf("replay: %w", err))
			return
		}
		ex := r.exchange(n)
		for ev, err := range r.next.ConverseStream(ctx, c) {
			if err != nil {
				var wex *wire.Exception
				if errors.As(err, &wex) {
					ex.Error = fromException(wex)
					if werr := r.write(n, ex); werr != nil {
						err = errors.Join(err, werr)
					}
				}
				yield(nil, err)
				return
			}
			b, merr := marshal(ev)
			if merr != nil {
				yield(nil, fmt.Errorf("replay: encode event: %w", merr))
				return
			}
			ex.Events = append(ex.Events, b)
			if !yield(ev, nil) {
				return
			}
		}
		if err := r.write(n, ex); err != nil {
			yield(nil, err)
		}
	}
}

func (r *Recorder) exchange(n *normalised) *exchange {
	return &exchange{Version: formatVersion, Key: n.key, Operation: n.op, ModelID: n.modelID, Request: n.request}
}

// write stores an exchange atomically: a reader never sees half a file.
func (r *Recorder) write(n *normalised, ex *exchange) error {
	b, err := encodeExchange(ex)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(r.dir, ".recording-*")
	if err != nil {
		return fmt.Errorf("replay: write recording: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("replay: write recording: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("replay: write recording: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("replay: write recording: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(r.dir, n.fileName())); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("replay: write recording: %w", err)
	}
	return nil
}

// encodeExchange writes the readable form: two-space indentation, sorted
// request keys, no HTML escaping, a final newline.
func encodeExchange(ex *exchange) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ex); err != nil {
		return nil, fmt.Errorf("replay: encode recording: %w", err)
	}
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so "<" stays readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
