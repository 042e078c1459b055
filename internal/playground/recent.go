package playground

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"

	"github.com/conversekit/converse/internal/invocationlog"
)

// Call is one call as the request log shows it: who, which model and
// backend, the outcome, timings and usage; never the bodies.
type Call struct {
	Time            time.Time `json:"time"`
	RequestID       string    `json:"requestId"`
	Operation       string    `json:"operation"`
	ModelID         string    `json:"modelId"`
	Principal       string    `json:"principal,omitempty"`
	Backend         string    `json:"backend,omitempty"`
	UpstreamModelID string    `json:"upstreamModelId,omitempty"`
	HTTPStatus      int       `json:"httpStatus"`
	Outcome         string    `json:"outcome"`
	TotalMs         float64   `json:"totalMs"`
	FirstTokenMs    *float64  `json:"timeToFirstTokenMs,omitempty"`
	InputTokens     int       `json:"inputTokens"`
	OutputTokens    int       `json:"outputTokens"`
	CacheRead       int       `json:"cacheReadInputTokens"`
	CacheWrite      int       `json:"cacheWriteInputTokens"`
}

// Recent keeps the last calls in memory for the request log. It is an
// io.Writer of invocation-log records (one JSON line per Write, as
// invocationlog.Log writes them), so it is fed by the same log that writes
// the file, after secrets were scrubbed; bodies are dropped on arrival.
// Safe for concurrent use.
type Recent struct {
	mu    sync.Mutex
	calls []Call // ring of cap(calls) entries
	next  int    // index the next call goes to once the ring is full
}

// DefaultRecent is how many calls NewRecent keeps when given 0.
const DefaultRecent = 200

// NewRecent keeps the last n calls (0: DefaultRecent).
func NewRecent(n int) *Recent {
	if n <= 0 {
		n = DefaultRecent
	}
	return &Recent{calls: make([]Call, 0, n)}
}

// Write adds the records in p. Lines that are not records are skipped: the
// request log is a view, never a reason to fail the invocation log.
func (r *Recent) Write(p []byte) (int, error) {
	for line := range bytes.Lines(p) {
		var rec invocationlog.Record
		if json.Unmarshal(line, &rec) != nil || rec.SchemaType != invocationlog.SchemaType {
			continue
		}
		r.add(Call{
			Time: rec.Timestamp, RequestID: rec.RequestID, Operation: rec.Operation, ModelID: rec.ModelID,
			Principal: rec.Identity.Principal, Backend: rec.Backend, UpstreamModelID: rec.UpstreamModelID,
			HTTPStatus: rec.HTTPStatus, Outcome: rec.Outcome, TotalMs: rec.Timing.TotalMs, FirstTokenMs: rec.Timing.TimeToFirstTokenMs,
			InputTokens: rec.Input.InputTokenCount, OutputTokens: rec.Output.OutputTokenCount,
			CacheRead: rec.Input.CacheReadInputTokenCount, CacheWrite: rec.Input.CacheWriteInputTokenCount,
		})
	}
	return len(p), nil
}

func (r *Recent) add(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) < cap(r.calls) {
		r.calls = append(r.calls, c)
		return
	}
	r.calls[r.next] = c
	r.next = (r.next + 1) % len(r.calls)
}

// Calls returns the kept calls, newest first.
func (r *Recent) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Call, 0, len(r.calls))
	for i := range len(r.calls) {
		// Newest is just before next (or the last appended).
		j := (r.next - 1 - i + 2*len(r.calls)) % len(r.calls)
		out = append(out, r.calls[j])
	}
	return out
}
