package promptcache

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

var cachePoint = wire.ContentBlock{CachePoint: &wire.CachePointBlock{Type: wire.CachePointTypeDefault}}

func texts(ss ...string) []wire.ContentBlock {
	out := make([]wire.ContentBlock, len(ss))
	for i, s := range ss {
		out[i] = wire.ContentBlock{Text: wire.Ptr(s)}
	}
	return out
}

// history is Spring AI's CONVERSATION_HISTORY strategy after turn user
// messages: a large system prompt without a cache point, then the
// conversation, with the one cache point at the end of the last user
// message, one turn further each call.
func history(system string, turn int) *wire.ConverseRequest {
	r := &wire.ConverseRequest{System: []wire.SystemContentBlock{{Text: wire.Ptr(system)}}}
	for i := 1; i <= turn; i++ {
		if i > 1 {
			r.Messages = append(r.Messages, wire.Message{Role: wire.ConversationRoleAssistant, Content: texts(fmt.Sprintf("Answer %d: the clause applies.", i-1))})
		}
		r.Messages = append(r.Messages, wire.Message{Role: wire.ConversationRoleUser, Content: texts(fmt.Sprintf("Question %d: does clause %d apply?", i, i))})
	}
	last := &r.Messages[len(r.Messages)-1]
	last.Content = append(last.Content, cachePoint)
	return r
}

// accountLB accounts r the way the router does for a model with look-back
// and a cap, and checks the invariant input + read + write = total.
func (c call) accountLB(t *testing.T, r *wire.ConverseRequest, lookback, maxTokens int) (Usage, tokens.Count) {
	t.Helper()
	n := c.counter.ConverseBlocks(tokens.FromRequest(r))
	u, err := Account(t.Context(), c.reg, Request{ModelID: model, Converse: r, Count: n, MinTokens: c.min,
		LookbackBlocks: lookback, MaxCachedTokens: maxTokens})
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if got := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens; got != n.Total {
		t.Errorf("input %d + read %d + write %d = %d, want the prompt's %d tokens", u.InputTokens, u.CacheReadInputTokens, u.CacheWriteInputTokens, got, n.Total)
	}
	return u, n
}

// A conversation whose single cache point moves forward by a turn each call
// reads the previous turn's prefix with look-back, and nothing without.
func TestAccountLookbackMovingCachePoint(t *testing.T) {
	counter := newCounter(t)
	sys := big("policy", 1500)
	// cpTokens is the prefix before the cache point at the given turn.
	cpTokens := func(turn int) int {
		return counter.Converse(tokens.FromRequest(history(sys, turn))).Checkpoints[0].Tokens
	}
	if cpTokens(1) < 1024 {
		t.Fatalf("turn 1 prefix is %d tokens, the test needs ≥ 1024", cpTokens(1))
	}
	type step struct {
		turn     int
		readTurn int // the turn whose prefix is read; 0 for none
	}
	tests := []struct {
		name     string
		lookback int
		steps    []step
	}{
		{"look-back 20 (Claude)", 20, []step{
			{1, 0}, // turn 1 writes
			{2, 1}, // turn 2 reads turn 1's prefix and writes the rest
			{3, 2},
			{3, 3}, // a repeat reads its own cache point
			{5, 3}, // a skipped turn is still within 20 blocks
		}},
		{"look-back off: each moved cache point misses", 0, []step{
			{1, 0}, {2, 0}, {3, 0}, {3, 3},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := call{counter: counter, reg: NewMemory(MemoryOptions{}), min: 1024}
			for _, s := range tc.steps {
				u, n := c.accountLB(t, history(sys, s.turn), tc.lookback, 0)
				read := 0
				if s.readTurn > 0 {
					read = cpTokens(s.readTurn)
				}
				cp := n.Checkpoints[0].Tokens
				want := Usage{InputTokens: n.Total - cp, CacheReadInputTokens: read, CacheWriteInputTokens: cp - read, Cached: true}
				if cp > read {
					want.CacheDetails = []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: cp - read}}
				}
				if diff := cmp.Diff(want, u); diff != "" {
					t.Errorf("turn %d (-want +got):\n%s", s.turn, diff)
				}
			}
		})
	}
}

// gapRequest is the first request's prefix (system, one user block) followed
// by gap more blocks, an assistant message of one block and a user message
// of the rest, with cache points after the blocks listed in at (1..gap).
// The first request is gapRequest(sys, 0, []int{0}).
func gapRequest(system string, gap int, at []int) *wire.ConverseRequest {
	r := &wire.ConverseRequest{
		System:   []wire.SystemContentBlock{{Text: wire.Ptr(system)}},
		Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: texts("Summarise the policy.")}},
	}
	cps := map[int]bool{}
	for _, a := range at {
		cps[a] = true
	}
	if cps[0] {
		r.Messages[0].Content = append(r.Messages[0].Content, cachePoint)
	}
	for i := 1; i <= gap; i++ {
		if i <= 2 {
			role := wire.ConversationRoleAssistant
			if i == 2 {
				role = wire.ConversationRoleUser
			}
			r.Messages = append(r.Messages, wire.Message{Role: role})
		}
		m := &r.Messages[len(r.Messages)-1]
		m.Content = append(m.Content, texts(fmt.Sprintf("note %d", i))...)
		if cps[i] {
			m.Content = append(m.Content, cachePoint)
		}
	}
	return r
}

// The look-back window: a cache point finds a prefix cached up to
// LookbackBlocks blocks before it, not one further back.
func TestAccountLookbackWindow(t *testing.T) {
	counter := newCounter(t)
	sys := big("policy", 1500)
	tests := []struct {
		name     string
		lookback int
		gap      int   // blocks after the first request's cache point
		at       []int // where the second request's cache points sit
		read     bool
	}{
		{"1 block later", 20, 1, []int{1}, true},
		{"19 blocks later", 20, 19, []int{19}, true},
		{"20 blocks later: the edge of the window", 20, 20, []int{20}, true},
		{"21 blocks later: beyond 20 blocks, no read", 20, 21, []int{21}, false},
		{"30 blocks later: no read", 20, 30, []int{30}, false},
		{"30 blocks later, a second cache point 10 blocks later brings it in reach", 20, 30, []int{10, 30}, true},
		{"look-back off", 0, 1, []int{1}, false},
		{"look-back 3, 3 blocks later", 3, 3, []int{3}, true},
		{"look-back 3, 4 blocks later", 3, 4, []int{4}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := call{counter: counter, reg: NewMemory(MemoryOptions{}), min: 1024}
			_, n1 := c.accountLB(t, gapRequest(sys, 0, []int{0}), tc.lookback, 0)
			first := n1.Checkpoints[0].Tokens

			u, n := c.accountLB(t, gapRequest(sys, tc.gap, tc.at), tc.lookback, 0)
			if len(n.Checkpoints) != len(tc.at) {
				t.Fatalf("%d checkpoints, want %d", len(n.Checkpoints), len(tc.at))
			}
			last := n.Checkpoints[len(n.Checkpoints)-1].Tokens
			read := 0
			if tc.read {
				read = first
			}
			if u.CacheReadInputTokens != read || u.CacheWriteInputTokens != last-read {
				t.Errorf("read %d write %d, want read %d write %d", u.CacheReadInputTokens, u.CacheWriteInputTokens, read, last-read)
			}
		})
	}
}

// A boundary looked back to crosses sections: a system cache point written
// by one call (SYSTEM_ONLY) is read by a later call whose only cache point
// is in the messages, and a tools cache point likewise.
func TestAccountLookbackAcrossSections(t *testing.T) {
	c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1024}
	sys := big("policy", 1500)
	tool := wire.Tool{ToolSpec: &wire.ToolSpecification{Name: "lookup", Description: wire.Ptr(big("tool", 1500)),
		InputSchema: &wire.ToolInputSchema{JSON: wire.Document(`{"type":"object"}`)}}}
	cpTool := wire.Tool{CachePoint: &wire.CachePointBlock{Type: wire.CachePointTypeDefault}}
	cpSys := wire.SystemContentBlock{CachePoint: &wire.CachePointBlock{Type: wire.CachePointTypeDefault}}
	msgs := func(withCP bool) []wire.Message {
		m := []wire.Message{{Role: wire.ConversationRoleUser, Content: texts("one", "two")}}
		if withCP {
			m[0].Content = append(m[0].Content, cachePoint)
		}
		return m
	}
	tests := []struct {
		name         string
		first, later *wire.ConverseRequest
	}{
		{"system",
			&wire.ConverseRequest{System: []wire.SystemContentBlock{{Text: wire.Ptr(sys)}, cpSys}, Messages: msgs(false)},
			&wire.ConverseRequest{System: []wire.SystemContentBlock{{Text: wire.Ptr(sys)}}, Messages: msgs(true)}},
		{"tools",
			&wire.ConverseRequest{ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{tool, cpTool}}, Messages: msgs(false)},
			&wire.ConverseRequest{ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{tool}}, Messages: msgs(true)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, n1 := c.accountLB(t, tc.first, 20, 0)
			u, n2 := c.accountLB(t, tc.later, 20, 0)
			read, cp := n1.Checkpoints[0].Tokens, n2.Checkpoints[0].Tokens
			if u.CacheReadInputTokens != read || u.CacheWriteInputTokens != cp-read {
				t.Errorf("read %d write %d, want read %d write %d", u.CacheReadInputTokens, u.CacheWriteInputTokens, read, cp-read)
			}
		})
	}
}

// Look-back reads boundaries but writes only cache points: a later call
// whose cache point sits on a boundary that was only looked back to misses.
func TestAccountLookbackWritesOnlyCachePoints(t *testing.T) {
	c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1024}
	sys := big("policy", 1500)
	c.accountLB(t, gapRequest(sys, 3, []int{3}), 20, 0)
	// The cache point one block earlier was a boundary of the call above,
	// never a cache point: nothing before it is registered.
	u, n := c.accountLB(t, gapRequest(sys, 2, []int{2}), 20, 0)
	if u.CacheReadInputTokens != 0 || u.CacheWriteInputTokens != n.Checkpoints[0].Tokens {
		t.Errorf("read %d write %d, want read 0 write %d", u.CacheReadInputTokens, u.CacheWriteInputTokens, n.Checkpoints[0].Tokens)
	}
}

func TestAccountLookbackNeedsBlockCounts(t *testing.T) {
	c := newCounter(t)
	r := history("policy", 2)
	_, err := Account(t.Context(), NewMemory(MemoryOptions{}), Request{ModelID: model, Converse: r,
		Count: c.Converse(tokens.FromRequest(r)), LookbackBlocks: 20})
	if err == nil {
		t.Fatal("look-back with a count without Blocks: no error")
	}
	// Without cache points there is nothing to look back from.
	r.Messages[len(r.Messages)-1].Content = texts("no cache point")
	u, err := Account(t.Context(), NewMemory(MemoryOptions{}), Request{ModelID: model, Converse: r,
		Count: c.Converse(tokens.FromRequest(r)), LookbackBlocks: 20})
	if err != nil || u.CacheReadInputTokens != 0 || u.Cached {
		t.Errorf("no cache point: %+v, %v", u, err)
	}
}

// Precomputed fingerprints do not stand in for the boundary keys.
func TestAccountLookbackPrecomputedFingerprints(t *testing.T) {
	c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1024}
	sys := big("policy", 1500)
	c.accountLB(t, history(sys, 1), 20, 0)
	r := history(sys, 2)
	n := c.counter.ConverseBlocks(tokens.FromRequest(r))
	u, err := Account(t.Context(), c.reg, Request{ModelID: model, Converse: r, Count: n, MinTokens: 1024,
		LookbackBlocks: 20, Fingerprints: Fingerprints(model, r)})
	if err != nil {
		t.Fatal(err)
	}
	if u.CacheReadInputTokens == 0 {
		t.Errorf("turn 2 with precomputed fingerprints read nothing: %+v", u)
	}
}

// MaxCachedTokens: checkpoints whose prefix exceeds it are neither written
// nor read, without error (Nova: at most 20K tokens cacheable).
func TestAccountMaxCachedTokens(t *testing.T) {
	r := decode(t, fourPoints) // prefixes of 1100, 2000, 3000 and 5000 tokens, total 6000
	tests := []struct {
		name     string
		min, max int
		written  int // the largest prefix cached
	}{
		{"no cap", 0, 0, 5000},
		{"Nova's 20K cap, all under it", 0, 20_000, 5000},
		{"cap on a checkpoint: it is cached", 0, 3000, 3000},
		{"cap just below it: not cached", 0, 2999, 2000},
		{"cap below every checkpoint: nothing cached", 0, 1000, 0},
		{"minimum and cap together", 1500, 2500, 2000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := NewMemory(MemoryOptions{})
			in := Request{ModelID: model, Converse: r, Count: fourCount(), MinTokens: tc.min, MaxCachedTokens: tc.max}
			u, err := Account(t.Context(), reg, in)
			if err != nil {
				t.Fatal(err)
			}
			want := Usage{InputTokens: 6000 - tc.written, CacheWriteInputTokens: tc.written, Cached: true}
			if tc.written > 0 {
				want.CacheDetails = []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: tc.written}}
			}
			if diff := cmp.Diff(want, u); diff != "" {
				t.Errorf("first call (-want +got):\n%s", diff)
			}
			u, err = Account(t.Context(), reg, in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Usage{InputTokens: 6000 - tc.written, CacheReadInputTokens: tc.written, Cached: true}, u); diff != "" {
				t.Errorf("second call (-want +got):\n%s", diff)
			}

			// Register caps the same way.
			reg = NewMemory(MemoryOptions{})
			if err := Register(t.Context(), reg, in); err != nil {
				t.Fatal(err)
			}
			hits, _ := reg.Lookup(t.Context(), Fingerprints(model, r))
			var wantHits []bool
			for _, cp := range fourCount().Checkpoints {
				wantHits = append(wantHits, cp.Tokens >= tc.min && (tc.max == 0 || cp.Tokens <= tc.max))
			}
			if diff := cmp.Diff(wantHits, hits); diff != "" {
				t.Errorf("registered (-want +got):\n%s", diff)
			}
		})
	}
}

// A Nova-sized prompt counted for real: the system prefix is cached, the
// message prefix beyond 20K tokens is not written, and no error is raised.
func TestAccountNovaCap(t *testing.T) {
	c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1000}
	r := &wire.ConverseRequest{
		System:   []wire.SystemContentBlock{{Text: wire.Ptr(big("nova", 2000))}, {CachePoint: &wire.CachePointBlock{Type: wire.CachePointTypeDefault}}},
		Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: append(texts(big("report", 24_000)), cachePoint, texts("Summarise.")[0])}},
	}
	for i, wantRead := range []bool{false, true} {
		u, n := c.accountLB(t, r, 0, 20_000)
		sysCP, msgCP := n.Checkpoints[0].Tokens, n.Checkpoints[1].Tokens
		if sysCP > 20_000 || msgCP <= 20_000 {
			t.Fatalf("prefixes of %d and %d tokens: the test needs the first under 20K and the second over", sysCP, msgCP)
		}
		want := Usage{InputTokens: n.Total - sysCP, CacheWriteInputTokens: sysCP, Cached: true,
			CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: sysCP}}}
		if wantRead {
			want = Usage{InputTokens: n.Total - sysCP, CacheReadInputTokens: sysCP, Cached: true}
		}
		if diff := cmp.Diff(want, u); diff != "" {
			t.Errorf("call %d (-want +got):\n%s", i+1, diff)
		}
	}
}
