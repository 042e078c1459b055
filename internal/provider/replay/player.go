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

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Player is a provider that answers from recordings, offline. Each request
// is normalised (see the package documentation) and answered by the
// recording with the same normalised form; a request nobody recorded is a
// ValidationException naming the closest recording and how to record the
// missing one. It is safe for concurrent use.
type Player struct {
	dir   string
	byKey map[string]*recording
	all   []*recording // by file name, for stable "closest" answers
}

var _ provider.Provider = (*Player)(nil)

// recording is a loaded exchange.
type recording struct {
	file string
	ex   *exchange
	n    *normalised
	text string // last user text, for the closest match
}

// NewPlayer loads every *.json recording in dir. A file that is not a
// recording is an error that names it, so a broken directory fails at start
// rather than as a confusing miss. Files are matched by the request they
// hold, not by their name, so a request edited by hand in a file still
// matches what it now says.
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
	var ex exchange
	if err := dec.Decode(&ex); err != nil {
		return nil, fmt.Errorf("replay: %s is not a recording: %w", name, err)
	}
	switch {
	case ex.Version != formatVersion:
		return nil, fmt.Errorf("replay: %s has format version %d; this converse reads version %d: record it again", name, ex.Version, formatVersion)
	case ex.Operation != opConverse && ex.Operation != opStream:
		return nil, fmt.Errorf("replay: %s: operation %q is neither %s nor %s", name, ex.Operation, opConverse, opStream)
	case ex.Operation == opConverse && (ex.Response == nil) == (ex.Error == nil):
		return nil, fmt.Errorf("replay: %s: a Converse recording holds either a response or an error", name)
	case ex.Operation == opStream && len(ex.Events) == 0 && ex.Error == nil:
		return nil, fmt.Errorf("replay: %s: a ConverseStream recording holds events, an error, or both", name)
	case ex.Operation == opStream && ex.Response != nil:
		return nil, fmt.Errorf("replay: %s: a ConverseStream recording holds events, not a response", name)
	}
	// Check the answer decodes now, not during a test run.
	if ex.Response != nil {
		if err := json.Unmarshal(ex.Response, new(wire.ConverseResponse)); err != nil {
			return nil, fmt.Errorf("replay: %s: response: %w", name, err)
		}
	}
	for i, e := range ex.Events {
		var ev wire.StreamEvent
		if err := json.Unmarshal(e, &ev); err != nil || ev.EventType() == "" {
			return nil, fmt.Errorf("replay: %s: event %d is not a ConverseStream event", name, i)
		}
	}
	n, err := normaliseTree(ex.Operation, ex.ModelID, ex.Request)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", name, err)
	}
	return &recording{file: name, ex: &ex, n: n, text: lastUserText(n.request)}, nil
}

// Len reports how many recordings the player holds.
func (p *Player) Len() int { return len(p.all) }

func (p *Player) find(op string, c *provider.Call) (*recording, error) {
	n, err := normalise(op, c)
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
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		out = append(out, "nothing visible (the recording's key is stale)")
	}
	return out
}

// Converse answers with the recorded response or exception.
func (p *Player) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	rec, err := p.find(opConverse, c)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rec.ex.Error != nil {
		return nil, rec.ex.Error.exception()
	}
	var out wire.ConverseResponse
	if err := json.Unmarshal(rec.ex.Response, &out); err != nil {
		return nil, fmt.Errorf("replay: %s: %w", rec.file, err) // checked at load
	}
	return &out, nil
}

// ConverseStream yields the recorded events, then the recorded exception
// if the stream ended with one.
func (p *Player) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		rec, err := p.find(opStream, c)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, raw := range rec.ex.Events {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			ev := new(wire.StreamEvent)
			if err := json.Unmarshal(raw, ev); err != nil {
				yield(nil, fmt.Errorf("replay: %s: %w", rec.file, err)) // checked at load
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
		if rec.ex.Error != nil {
			yield(nil, rec.ex.Error.exception())
		}
	}
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
