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
	"strings"
	"sync/atomic"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Player is a provider that answers from recordings, offline. Each request
// is normalised (see the package documentation) and answered by the
// recording with the same normalised form: the n-th identical request since
// the Player was built gets the n-th recorded exchange, and once they are
// used up every further one gets the last. A request nobody recorded is a
// ValidationException naming the closest recording and how to record the
// missing one; that holds for CountTokens too, since a Recorder records
// every count it was asked for. It is safe for concurrent use.
type Player struct {
	dir   string
	byKey map[string]*recording
	all   []*recording // by file name, for stable "closest" answers
}

var (
	_ provider.Provider     = (*Player)(nil)
	_ provider.TokenCounter = (*Player)(nil)
)

// recording is a loaded file.
type recording struct {
	file      string
	exchanges []*exchange // at least one
	n         *normalised
	text      string       // last user text, for the closest match
	calls     atomic.Int64 // requests answered so far
}

// next takes the exchange for this call: the n-th for the n-th call, the
// last once the sequence is used up.
func (r *recording) next() (int, *exchange) {
	i := int(min(r.calls.Add(1)-1, int64(len(r.exchanges)-1)))
	return i, r.exchanges[i]
}

// NewPlayer loads every *.json recording in dir, in format version 2 or 1
// (one exchange). A file that is not a recording is an error that names it,
// so a broken directory fails at start rather than as a confusing miss.
// Files are matched by the request they hold, not by their name, so a
// request edited by hand in a file still matches what it now says.
func NewPlayer(dir string) (*Player, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("replay: list recordings: %w", err)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("replay: recording directory: %w", err)
	}
	slices.Sort(paths)
	p := &Player{dir: dir, byKey: map[string]*recording{}}
	var errs []error
	for _, path := range paths {
		rec, err := load(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, ok := p.byKey[rec.n.key]; ok {
			errs = append(errs, fmt.Errorf("replay: %s and %s record the same request; delete one", prev.file, rec.file))
			continue
		}
		p.byKey[rec.n.key] = rec
		p.all = append(p.all, rec)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func load(path string) (*recording, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	name := filepath.Base(path)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("replay: %s is not a recording: %w", name, err)
	}
	inline := f.Response != nil || f.Events != nil || f.Error != nil
	var exchanges []*exchange
	switch f.Version {
	case 1:
		if f.Exchanges != nil {
			return nil, fmt.Errorf("replay: %s: a version 1 recording holds one exchange inline, not a list of exchanges", name)
		}
		exchanges = []*exchange{&f.exchange}
	case formatVersion:
		if inline {
			return nil, fmt.Errorf("replay: %s: a version %d recording holds its answers under \"exchanges\", not beside the request", name, formatVersion)
		}
		if len(f.Exchanges) == 0 {
			return nil, fmt.Errorf("replay: %s: no exchanges", name)
		}
		exchanges = f.Exchanges
	default:
		return nil, fmt.Errorf("replay: %s has format version %d; this converse reads versions 1 and %d: record it again", name, f.Version, formatVersion)
	}
	if f.Operation != opConverse && f.Operation != opStream && f.Operation != opCount {
		return nil, fmt.Errorf("replay: %s: operation %q is not %s, %s or %s", name, f.Operation, opConverse, opStream, opCount)
	}
	for i, ex := range exchanges {
		if err := check(f.Operation, ex); err != nil {
			if f.Version == 1 {
				return nil, fmt.Errorf("replay: %s: %w", name, err)
			}
			return nil, fmt.Errorf("replay: %s: exchange %d: %w", name, i+1, err)
		}
	}
	n, err := normaliseTree(f.Operation, f.ModelID, f.Request)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", name, err)
	}
	return &recording{file: name, exchanges: exchanges, n: n, text: lastUserText(n.request)}, nil
}

// check refuses an exchange that cannot answer op, and checks the answer
// decodes now rather than during a test run.
func check(op string, ex *exchange) error {
	if ex == nil {
		return errors.New("an exchange is null")
	}
	switch {
	case op != opStream && (ex.Response == nil) == (ex.Error == nil):
		return fmt.Errorf("a %s recording holds either a response or an error", op)
	case op != opStream && ex.Events != nil:
		return fmt.Errorf("a %s recording holds a response, not events", op)
	case op == opStream && len(ex.Events) == 0 && ex.Error == nil:
		return fmt.Errorf("a %s recording holds events, an error, or both", op)
	case op == opStream && ex.Response != nil:
		return fmt.Errorf("a %s recording holds events, not a response", op)
	}
	if ex.Response != nil {
		var err error
		if op == opCount {
			var count struct {
				InputTokens *int `json:"inputTokens"`
			}
			if err = json.Unmarshal(ex.Response, &count); err == nil && count.InputTokens == nil {
				err = errors.New("no inputTokens")
			}
		} else {
			err = json.Unmarshal(ex.Response, new(wire.ConverseResponse))
		}
		if err != nil {
			return fmt.Errorf("response: %w", err)
		}
	}
	for i, e := range ex.Events {
		var ev wire.StreamEvent
		if err := json.Unmarshal(e, &ev); err != nil || ev.EventType() == "" {
			return fmt.Errorf("event %d is not a ConverseStream event", i)
		}
	}
	return nil
}

// Len reports how many recorded requests the player holds (files; a file
// may hold several exchanges).
func (p *Player) Len() int { return len(p.all) }

func (p *Player) find(n *normalised, err error) (*recording, error) {
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if rec, ok := p.byKey[n.key]; ok {
		return rec, nil
	}
	return nil, p.miss(n)
}

// miss explains a request with no recording: which recording comes
// closest (fewest edits between the last user texts, then same operation,
// then same model) and how it differs.
func (p *Player) miss(n *normalised) error {
	var b strings.Builder
	fmt.Fprintf(&b, "converse replay: no recording in %s matches this %s request for model %s (key %s, last user text %q).",
		filepath.Base(p.dir), n.op, n.modelID, n.key[:16], clipText(lastUserText(n.request), 80))
	if best := p.closest(n); best != nil {
		fmt.Fprintf(&b, " The closest recording is %s (%s, model %s, last user text %q); it differs in %s.",
			best.file, best.n.op, best.n.modelID, clipText(best.text, 80), strings.Join(differences(n, best.n), ", "))
	} else {
		b.WriteString(" The directory holds no recordings.")
	}
	b.WriteString(" Record this exchange by running converse serve --record DIR against a live backend, then replay with --replay DIR.")
	return wire.Errorf(wire.ValidationException, "%s", b.String())
}

func (p *Player) closest(n *normalised) *recording {
	text := lastUserText(n.request)
	var best *recording
	bestScore := [3]int{}
	for _, rec := range p.all {
		score := [3]int{editDistance(text, rec.text), boolInt(rec.n.op != n.op), boolInt(rec.n.modelID != n.modelID)}
		if best == nil || slices.Compare(score[:], bestScore[:]) < 0 {
			best, bestScore = rec, score
		}
	}
	return best
}

// differences names what sets two normalised requests apart: the
// operation, the model, and the top-level request members.
func differences(a, b *normalised) []string {
	var out []string
	if a.op != b.op {
		out = append(out, "operation")
	}
	if a.modelID != b.modelID {
		out = append(out, "modelId")
	}
	am, _ := a.request.(map[string]any)
	bm, _ := b.request.(map[string]any)
	prefix := ""
	// CountTokens inputs wrap the conversation; name what differs inside.
	if ac, ok := am["converse"].(map[string]any); ok {
		if bc, ok := bm["converse"].(map[string]any); ok {
			am, bm, prefix = ac, bc, "converse."
		}
	}
	keys := map[string]bool{}
	for k := range am {
		keys[k] = true
	}
	for k := range bm {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		x, _ := canonical(am[k])
		y, _ := canonical(bm[k])
		if !bytes.Equal(x, y) {
			out = append(out, prefix+k)
		}
	}
	if len(out) == 0 {
		out = append(out, "nothing visible (the recording's key is stale)")
	}
	return out
}

// Converse answers with the next recorded response or exception.
func (p *Player) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	rec, err := p.find(normalise(opConverse, c))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	i, ex := rec.next()
	if ex.Error != nil {
		return nil, ex.Error.exception()
	}
	var out wire.ConverseResponse
	if err := json.Unmarshal(ex.Response, &out); err != nil {
		return nil, fmt.Errorf("replay: %s: exchange %d: %w", rec.file, i+1, err) // checked at load
	}
	return &out, nil
}

// ConverseStream yields the next recorded exchange's events, then its
// exception if the stream ended with one.
func (p *Player) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		rec, err := p.find(normalise(opStream, c))
		if err != nil {
			yield(nil, err)
			return
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		i, ex := rec.next()
		for _, raw := range ex.Events {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			ev := new(wire.StreamEvent)
			if err := json.Unmarshal(raw, ev); err != nil {
				yield(nil, fmt.Errorf("replay: %s: exchange %d: %w", rec.file, i+1, err)) // checked at load
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
		if ex.Error != nil {
			yield(nil, ex.Error.exception())
		}
	}
}

// CountTokens answers with the next recorded count or exception. A count
// nobody recorded is a miss like any other (a ValidationException naming
// the closest recording), not an offline estimate: the Recorder records
// every count, so a miss means the test asks something new, and a
// silently different number would hide that.
func (p *Player) CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (int, error) {
	rec, err := p.find(normaliseCount(modelID, in))
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	i, ex := rec.next()
	if ex.Error != nil {
		return 0, ex.Error.exception()
	}
	var out wire.CountTokensResponse
	if err := json.Unmarshal(ex.Response, &out); err != nil {
		return 0, fmt.Errorf("replay: %s: exchange %d: %w", rec.file, i+1, err) // checked at load
	}
	return out.InputTokens, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// editDistance is the Levenshtein distance between two texts in runes,
// over at most their first 400 runes each (bounded work per recording).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	x, y = x[:min(len(x), 400)], y[:min(len(y), 400)]
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(y)]
}
