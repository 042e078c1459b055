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
	"slices"
	"sync"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Recorder is a provider that forwards every call to another provider and
// writes each exchange to a file in its directory: one file per normalised
// request, holding every exchange that request had since the Recorder
// started, in the order they ended. The first exchange of a request
// replaces any file left by an earlier recording session, so re-recording
// does not pile up old answers. It also counts tokens (CountTokens): with
// the wrapped provider when it can count, otherwise offline as converse
// does for such backends, and records the answer either way, so a replay
// gives the client exactly what it saw. It is safe for concurrent use.
type Recorder struct {
	next    provider.Provider
	dir     string
	offline func() (*tokens.Counter, error)

	mu    sync.Mutex       // serialises writes, guards files
	files map[string]*file // by key: what this Recorder wrote
}

var (
	_ provider.Provider     = (*Recorder)(nil)
	_ provider.TokenCounter = (*Recorder)(nil)
)

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
	// The offline counter is built only if a CountTokens call needs it.
	return &Recorder{next: next, dir: dir, offline: sync.OnceValues(tokens.New), files: map[string]*file{}}, nil
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
	ex := &exchange{}
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
	if err := r.record(n, ex); err != nil {
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
		ex := &exchange{}
		for ev, err := range r.next.ConverseStream(ctx, c) {
			if err != nil {
				var wex *wire.Exception
				if errors.As(err, &wex) {
					ex.Error = fromException(wex)
					if werr := r.record(n, ex); werr != nil {
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
		if err := r.record(n, ex); err != nil {
			yield(nil, err)
		}
	}
}

// CountTokens asks the wrapped provider when it can count, and otherwise
// counts offline exactly as the router does for a backend that cannot;
// either way it records the count or the exception.
func (r *Recorder) CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (int, error) {
	n, err := normaliseCount(modelID, in)
	if err != nil {
		return 0, fmt.Errorf("replay: %w", err)
	}
	var count int
	var callErr error
	if tc, ok := r.next.(provider.TokenCounter); ok {
		count, callErr = tc.CountTokens(ctx, modelID, in)
	} else {
		count, callErr = r.countOffline(in)
	}
	ex := &exchange{}
	if callErr != nil {
		var wex *wire.Exception
		if !errors.As(callErr, &wex) {
			return 0, callErr
		}
		ex.Error = fromException(wex)
	} else {
		b, err := marshal(&wire.CountTokensResponse{InputTokens: count})
		if err != nil {
			return 0, fmt.Errorf("replay: encode count: %w", err)
		}
		ex.Response = b
	}
	if err := r.record(n, ex); err != nil {
		return 0, err
	}
	return count, callErr
}

// countOffline mirrors router.CountTokens for backends that cannot count.
func (r *Recorder) countOffline(in *wire.CountTokensInput) (int, error) {
	tok, err := r.offline()
	if err != nil {
		return 0, fmt.Errorf("replay: offline token counter: %w", err)
	}
	switch {
	case in.Converse != nil:
		return tok.Converse(tokens.FromTokensRequest(in.Converse)).Total, nil
	case in.InvokeModel != nil:
		return tok.InvokeModelBody(in.InvokeModel.Body), nil
	}
	return 0, wire.Errorf(wire.ValidationException, "input must contain exactly one of converse or invokeModel.")
}

// record appends an exchange to its request's file and rewrites the file.
func (r *Recorder) record(n *normalised, ex *exchange) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.files[n.key]
	if !ok {
		f = &file{Version: formatVersion, Key: n.key, Operation: n.op, ModelID: n.modelID, Request: n.request}
	}
	next := *f
	next.Exchanges = append(slices.Clip(f.Exchanges), ex)
	if err := r.write(n, &next); err != nil {
		return err
	}
	r.files[n.key] = &next
	return nil
}

// write stores an exchange atomically: a reader never sees half a file.
func (r *Recorder) write(n *normalised, f *file) error {
	b, err := encodeFile(f)
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

// encodeFile writes the readable form: two-space indentation, sorted
// request keys, no HTML escaping, a final newline.
func encodeFile(f *file) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
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
