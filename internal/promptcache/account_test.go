package promptcache

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

func newCounter(t testing.TB) *tokens.Counter {
	t.Helper()
	c, err := tokens.New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// big is English-like text of roughly n tokens, different for each seed.
func big(seed string, n int) string {
	var b strings.Builder
	for i := range n / 6 {
		b.WriteString(seed)
		b.WriteString(" rule ")
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(" applies. ")
	}
	return b.String()
}

func js(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// call is one request of a scenario, accounted the way the router does it.
type call struct {
	counter *tokens.Counter
	reg     Registry
	min     int
	ttl1h   bool
}

func (c call) account(t *testing.T, body string) (Usage, tokens.Count) {
	t.Helper()
	r := decode(t, body)
	n := c.counter.Converse(tokens.FromRequest(r))
	u, err := Account(t.Context(), c.reg, Request{ModelID: model, Converse: r, Count: n, MinTokens: c.min, TTL1h: c.ttl1h})
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if got := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens; got != n.Total {
		t.Errorf("input %d + read %d + write %d = %d, want the prompt's %d tokens", u.InputTokens, u.CacheReadInputTokens, u.CacheWriteInputTokens, got, n.Total)
	}
	if u.InputTokens < 0 {
		t.Errorf("inputTokens = %d < 0", u.InputTokens)
	}
	return u, n
}

// systemOnly is Spring AI's SYSTEM_ONLY strategy: one cache point after a
// large system prompt.
func systemOnly(system, question string) string {
	return `{"system": [{"text": ` + js(system) + `}, {"cachePoint": {"type": "default"}}],
	 "messages": [{"role": "user", "content": [{"text": ` + js(question) + `}]}]}`
}

// The seed's example: the first call writes the system prompt to the cache,
// the second (same prompt, another question) reads it.
func TestAccountSystemOnly(t *testing.T) {
	c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1024}
	sys := big("legal", 2000)

	u1, n1 := c.account(t, systemOnly(sys, "What does clause 4 say?"))
	cp := n1.Checkpoints[0].Tokens
	if cp < 1024 {
		t.Fatalf("system prefix is %d tokens, the test needs ≥ 1024", cp)
	}
	want1 := Usage{InputTokens: n1.Total - cp, CacheWriteInputTokens: cp, Cached: true,
		CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: cp}}}
	if diff := cmp.Diff(want1, u1); diff != "" {
		t.Errorf("first call (-want +got):\n%s", diff)
	}

	u2, n2 := c.account(t, systemOnly(sys, "And clause 7?"))
	want2 := Usage{InputTokens: n2.Total - cp, CacheReadInputTokens: cp, Cached: true}
	if diff := cmp.Diff(want2, u2); diff != "" {
		t.Errorf("second call (-want +got):\n%s", diff)
	}
}

// The seed's cascade table with the SYSTEM_AND_TOOLS strategy plus a
// message cache point: tools → system → messages.
func TestAccountCascade(t *testing.T) {
	c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1024}
	req := func(toolDoc, system, question string) string {
		return `{"toolConfig": {"tools": [
		   {"toolSpec": {"name": "lookup", "description": ` + js(toolDoc) + `, "inputSchema": {"json": {"type": "object"}}}},
		   {"cachePoint": {"type": "default"}}]},
		 "system": [{"text": ` + js(system) + `}, {"cachePoint": {"type": "default"}}],
		 "messages": [{"role": "user", "content": [{"text": ` + js(question) + `}, {"cachePoint": {"type": "default"}}]},
		              {"role": "assistant", "content": [{"text": "ok"}]},
		              {"role": "user", "content": [{"text": "go on"}]}]}`
	}
	tools, tools2 := big("tool", 1500), big("TOOL", 1500)
	sys, sys2 := big("sys", 1500), big("SYS", 1500)
	q, q2 := big("question", 1500), big("QUESTION", 1500)

	// level is what the call reads: the checkpoint index of the longest hit,
	// or -1 for none; everything after it up to the last checkpoint is written.
	steps := []struct {
		name string
		body string
		read int
	}{
		{"first call writes all three", req(tools, sys, q), -1},
		{"same request reads all three", req(tools, sys, q), 2},
		{"system changes: tools hit, system and messages miss", req(tools, sys2, q), 0},
		{"tools change: everything misses", req(tools2, sys2, q), -1},
		{"messages change: tools and system hit", req(tools2, sys2, q2), 1},
		{"back to an earlier system: its entries are still there", req(tools, sys, q), 2},
	}
	for _, s := range steps {
		u, n := c.account(t, s.body)
		if len(n.Checkpoints) != 3 {
			t.Fatalf("%s: %d checkpoints, want 3", s.name, len(n.Checkpoints))
		}
		read := 0
		if s.read >= 0 {
			read = n.Checkpoints[s.read].Tokens
		}
		last := n.Checkpoints[2].Tokens
		want := Usage{InputTokens: n.Total - last, CacheReadInputTokens: read, CacheWriteInputTokens: last - read, Cached: true,
			CacheDetails: cacheDetails(0, last-read)}
		if diff := cmp.Diff(want, u); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}

// A cache point below the model's minimum is ignored without an error; one
// further on that meets the minimum is still cached.
func TestAccountBelowMinimum(t *testing.T) {
	c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1024}
	small := `{"system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
	 "messages": [{"role": "user", "content": [{"text": "hi"}, {"cachePoint": {"type": "default"}}]}]}`
	for i := range 2 {
		u, n := c.account(t, small)
		want := Usage{InputTokens: n.Total, Cached: true}
		if diff := cmp.Diff(want, u); diff != "" {
			t.Errorf("call %d, all below minimum (-want +got):\n%s", i+1, diff)
		}
		if tu := u.TokenUsage(5); tu.CacheReadInputTokens == nil || *tu.CacheReadInputTokens != 0 || tu.CacheWriteInputTokens == nil || *tu.CacheWriteInputTokens != 0 {
			t.Errorf("call %d: cache counts not reported as zeros: %+v", i+1, tu)
		}
	}

	mixed := `{"system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
	 "messages": [{"role": "user", "content": [{"text": ` + js(big("doc", 2000)) + `}, {"cachePoint": {"type": "default"}}]}]}`
	u, n := c.account(t, mixed)
	if n.Checkpoints[0].Tokens >= 1024 || n.Checkpoints[1].Tokens < 1024 {
		t.Fatalf("checkpoints %d and %d tokens: the test needs the first below 1024 and the second above", n.Checkpoints[0].Tokens, n.Checkpoints[1].Tokens)
	}
	cp := n.Checkpoints[1].Tokens
	if u.CacheWriteInputTokens != cp || u.CacheReadInputTokens != 0 {
		t.Errorf("write %d read %d, want write %d (from the start, the small prefix is not an entry) read 0", u.CacheWriteInputTokens, u.CacheReadInputTokens, cp)
	}
}

// fourPoints has four cache points; its token counts are given by hand so
// the arithmetic is exact.
const fourPoints = `{"system": [{"text": "a"}, {"cachePoint": {"type": "default", "ttl": "1h"}}, {"text": "b"}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
 "messages": [{"role": "user", "content": [{"text": "c"}, {"cachePoint": {"type": "default"}}, {"text": "d"}, {"cachePoint": {"type": "default"}}, {"text": "e"}]}]}`

func fourCount() tokens.Count {
	return tokens.Count{Total: 6000, Checkpoints: []tokens.Checkpoint{
		{Section: tokens.SectionSystem, Block: 1, Tokens: 1100, TTL: wire.CacheTTL1h},
		{Section: tokens.SectionSystem, Block: 3, Tokens: 2000, TTL: wire.CacheTTL1h},
		{Section: tokens.SectionMessages, Block: 1, Tokens: 3000},
		{Section: tokens.SectionMessages, Block: 3, Tokens: 5000},
	}}
}

func TestAccountFourCheckpoints(t *testing.T) {
	r := decode(t, fourPoints)
	keys := Fingerprints(model, r)
	tests := []struct {
		name    string
		min     int
		ttl1h   bool
		present []int // checkpoints registered before the call
		want    Usage
		stored  []Entry // what the call registers
	}{
		{
			name: "cold", min: 1024, ttl1h: true,
			want: Usage{InputTokens: 1000, CacheWriteInputTokens: 5000, Cached: true,
				CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL1h, InputTokens: 2000}, {TTL: wire.CacheTTL5m, InputTokens: 3000}}},
			stored: []Entry{{keys[0], TTL1h}, {keys[1], TTL1h}, {keys[2], TTL5m}, {keys[3], TTL5m}},
		},
		{
			name: "second checkpoint hit", min: 1024, ttl1h: true, present: []int{1},
			want: Usage{InputTokens: 1000, CacheReadInputTokens: 2000, CacheWriteInputTokens: 3000, Cached: true,
				CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: 3000}}},
			stored: []Entry{{keys[2], TTL5m}, {keys[3], TTL5m}},
		},
		{
			name: "first and third hit: the longest wins", min: 1024, ttl1h: true, present: []int{0, 2},
			want: Usage{InputTokens: 1000, CacheReadInputTokens: 3000, CacheWriteInputTokens: 2000, Cached: true,
				CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: 2000}}},
			stored: []Entry{{keys[3], TTL5m}},
		},
		{
			name: "all hit", min: 1024, ttl1h: true, present: []int{0, 1, 2, 3},
			want: Usage{InputTokens: 1000, CacheReadInputTokens: 5000, Cached: true},
		},
		{
			name: "minimum above the first two", min: 2500, ttl1h: true,
			want: Usage{InputTokens: 1000, CacheWriteInputTokens: 5000, Cached: true,
				CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: 5000}}},
			stored: []Entry{{keys[2], TTL5m}, {keys[3], TTL5m}},
		},
		{
			name: "registered but now below the minimum: not read", min: 2500, ttl1h: true, present: []int{1},
			want: Usage{InputTokens: 1000, CacheWriteInputTokens: 5000, Cached: true,
				CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: 5000}}},
			stored: []Entry{{keys[2], TTL5m}, {keys[3], TTL5m}},
		},
		{
			name: "1h not offered: written as 5m", min: 1024, ttl1h: false,
			want: Usage{InputTokens: 1000, CacheWriteInputTokens: 5000, Cached: true,
				CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL5m, InputTokens: 5000}}},
			stored: []Entry{{keys[0], TTL5m}, {keys[1], TTL5m}, {keys[2], TTL5m}, {keys[3], TTL5m}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := &recorder{Registry: NewMemory(MemoryOptions{})}
			var pre []Entry
			for _, i := range tt.present {
				pre = append(pre, Entry{keys[i], TTL5m})
			}
			if err := reg.Registry.Store(t.Context(), pre); err != nil {
				t.Fatal(err)
			}
			got, err := Account(t.Context(), reg, Request{ModelID: model, Converse: r, Count: fourCount(), MinTokens: tt.min, TTL1h: tt.ttl1h})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("usage (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.stored, reg.stored); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
		})
	}
}

// recorder remembers what Account stores.
type recorder struct {
	Registry
	stored []Entry
}

func (r *recorder) Store(ctx context.Context, e []Entry) error {
	r.stored = append(r.stored, e...)
	return r.Registry.Store(ctx, e)
}

type failing struct{ err error }

func (f failing) Lookup(context.Context, []string) ([]bool, error) { return nil, f.err }
func (f failing) Store(context.Context, []Entry) error             { return f.err }

func TestAccountErrors(t *testing.T) {
	r := decode(t, fourPoints)
	boom := errors.New("boom")
	if _, err := Account(t.Context(), failing{boom}, Request{ModelID: model, Converse: r, Count: fourCount(), MinTokens: 1024}); !errors.Is(err, boom) {
		t.Errorf("registry failure: err = %v, want %v", err, boom)
	}
	n := fourCount()
	n.Checkpoints = n.Checkpoints[:3]
	if _, err := Account(t.Context(), NewMemory(MemoryOptions{}), Request{ModelID: model, Converse: r, Count: n}); err == nil {
		t.Error("3 token checkpoints for 4 cache points: no error")
	}
	// A backend total below our checkpoint sizes: inputTokens stays ≥ 0.
	small := fourCount()
	small.Total = 4000
	u, err := Account(t.Context(), NewMemory(MemoryOptions{}), Request{ModelID: model, Converse: r, Count: small, MinTokens: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if u.InputTokens != 0 || u.CacheWriteInputTokens != 5000 {
		t.Errorf("total below the checkpoints: input %d write %d, want 0 and 5000", u.InputTokens, u.CacheWriteInputTokens)
	}
	// No cache point: the registry is not consulted at all.
	plain := decode(t, `{"messages": [{"role": "user", "content": [{"text": "hi"}]}]}`)
	u, err = Account(t.Context(), failing{boom}, Request{ModelID: model, Converse: plain, Count: tokens.Count{Total: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Usage{InputTokens: 9}, u); diff != "" {
		t.Errorf("no cache point (-want +got):\n%s", diff)
	}
}

func TestAccountPrecomputedFingerprints(t *testing.T) {
	r := decode(t, fourPoints)
	reg := NewMemory(MemoryOptions{})
	// Fingerprints given by the caller are the ones registered.
	fake := []string{"k0", "k1", "k2", "k3"}
	if _, err := Account(t.Context(), reg, Request{ModelID: model, Converse: r, Count: fourCount(), Fingerprints: fake}); err != nil {
		t.Fatal(err)
	}
	hits, _ := reg.Lookup(t.Context(), fake)
	if diff := cmp.Diff([]bool{true, true, true, true}, hits); diff != "" {
		t.Errorf("given fingerprints not registered (-want +got):\n%s", diff)
	}
}

func TestTokenUsage(t *testing.T) {
	tests := []struct {
		name string
		u    Usage
		out  int
		want wire.TokenUsage
	}{
		{"no cache point", Usage{InputTokens: 10}, 5, wire.TokenUsage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15}},
		{"cache points, nothing cached", Usage{InputTokens: 10, Cached: true}, 5,
			wire.TokenUsage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15, CacheReadInputTokens: wire.Ptr(0), CacheWriteInputTokens: wire.Ptr(0)}},
		{"read and write", Usage{InputTokens: 10, CacheReadInputTokens: 100, CacheWriteInputTokens: 1000, Cached: true,
			CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL1h, InputTokens: 400}, {TTL: wire.CacheTTL5m, InputTokens: 600}}}, 7,
			wire.TokenUsage{InputTokens: 10, OutputTokens: 7, TotalTokens: 1117, CacheReadInputTokens: wire.Ptr(100), CacheWriteInputTokens: wire.Ptr(1000),
				CacheDetails: []wire.CacheDetail{{TTL: wire.CacheTTL1h, InputTokens: 400}, {TTL: wire.CacheTTL5m, InputTokens: 600}}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.u.TokenUsage(tt.out)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// Register keeps the backend's own numbers out of it and records every
// cacheable prefix, so a later call accounted by us reads them.
func TestRegister(t *testing.T) {
	r := decode(t, fourPoints)
	reg := NewMemory(MemoryOptions{})
	in := Request{ModelID: model, Converse: r, Count: fourCount(), MinTokens: 2500}
	if err := Register(t.Context(), reg, in); err != nil {
		t.Fatal(err)
	}
	hits, err := reg.Lookup(t.Context(), Fingerprints(model, r))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{false, false, true, true}, hits); diff != "" {
		t.Errorf("registered (-want +got):\n%s", diff)
	}
	u, err := Account(t.Context(), reg, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.CacheReadInputTokens != 5000 || u.CacheWriteInputTokens != 0 {
		t.Errorf("after Register: read %d write %d, want 5000 and 0", u.CacheReadInputTokens, u.CacheWriteInputTokens)
	}
}
