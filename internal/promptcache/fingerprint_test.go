package promptcache

import (
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

const model = "anthropic.claude-3-7-sonnet-20250219-v1:0"

// decode builds a request from JSON the way the server does.
func decode(t testing.TB, body string) *wire.ConverseRequest {
	t.Helper()
	var r wire.ConverseRequest
	if err := wire.Decode([]byte(body), &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return &r
}

// base has one cache point per level: after the tools, after the system
// prompt, inside the first message and at the end of the last one.
const base = `{
 "toolConfig": {"tools": [
   {"toolSpec": {"name": "get_weather", "description": "Weather for a city", "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}},
   {"cachePoint": {"type": "default"}}
 ], "toolChoice": {"auto": {}}},
 "system": [{"text": "You are terse."}, {"cachePoint": {"type": "default"}}],
 "messages": [
   {"role": "user", "content": [{"text": "Hello"}, {"cachePoint": {"type": "default"}}]},
   {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris", "unit": "C"}}}]},
   {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"temp": 21, "sky": "clear"}}]}}, {"cachePoint": {"type": "default", "ttl": "5m"}}]}
 ]
}`

func TestFingerprintsCascade(t *testing.T) {
	// Checkpoint levels of base, in order.
	levels := []string{"tools", "system", "messages", "messages"}
	tests := []struct {
		name string
		old  string // replaced once in base
		new  string
		// same[i] says fingerprint i must not change.
		same []bool
	}{
		{"tool description", `"Weather for a city"`, `"Weather in a city"`, []bool{false, false, false, false}},
		{"tool schema", `"required": ["city"]`, `"required": []`, []bool{false, false, false, false}},
		{"system text", `"You are terse."`, `"You are verbose."`, []bool{true, false, false, false}},
		{"first message", `"Hello"`, `"Hi"`, []bool{true, true, false, false}},
		{"tool use input", `"unit": "C"`, `"unit": "F"`, []bool{true, true, true, false}},
		{"tool result json", `"temp": 21`, `"temp": 22`, []bool{true, true, true, false}},
		{"tool choice", `"toolChoice": {"auto": {}}`, `"toolChoice": {"any": {}}`, []bool{true, true, false, false}},
		{"role", `{"role": "assistant"`, `{"role": "user"`, []bool{true, true, true, false}},
		// Not content: the same prefix whatever the cache points say.
		{"ttl of a cache point", `"ttl": "5m"`, `"ttl": "1h"`, []bool{true, true, true, true}},
		{"key order in a schema", `{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}`, `{"required": ["city"], "properties": {"city": {"type": "string"}}, "type": "object"}`, []bool{true, true, true, true}},
		{"key order in a tool input", `{"city": "Paris", "unit": "C"}`, `{"unit": "C", "city": "Paris"}`, []bool{true, true, true, true}},
		{"key order of shapes", `{"toolUseId": "t1", "name": "get_weather",`, `{"name": "get_weather", "toolUseId": "t1",`, []bool{true, true, true, true}},
		{"whitespace", `"sky": "clear"`, `"sky"  :   "clear"`, []bool{true, true, true, true}},
		{"number spelling kept", `"temp": 21`, `"temp": 21.0`, []bool{true, true, true, false}},
	}
	want := Fingerprints(model, decode(t, base))
	if len(want) != len(levels) {
		t.Fatalf("base has %d fingerprints, want %d", len(want), len(levels))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("base does not contain %s", tt.old)
			}
			got := Fingerprints(model, decode(t, strings.Replace(base, tt.old, tt.new, 1)))
			if len(got) != len(want) {
				t.Fatalf("got %d fingerprints, want %d", len(got), len(want))
			}
			for i := range want {
				if (got[i] == want[i]) != tt.same[i] {
					t.Errorf("fingerprint %d (%s): unchanged = %v, want %v", i, levels[i], got[i] == want[i], tt.same[i])
				}
			}
		})
	}
}

func TestFingerprintsPerModel(t *testing.T) {
	r := decode(t, base)
	a := Fingerprints(model, r)
	b := Fingerprints("amazon.nova-pro-v1:0", r)
	for i := range a {
		if a[i] == b[i] {
			t.Errorf("fingerprint %d is the same for two models", i)
		}
	}
}

func TestFingerprintsDistinctAndStable(t *testing.T) {
	r := decode(t, base)
	got := Fingerprints(model, r)
	seen := map[string]bool{}
	for i, k := range got {
		if len(k) != 64 {
			t.Errorf("fingerprint %d = %q, want 64 hex digits", i, k)
		}
		if seen[k] {
			t.Errorf("fingerprint %d repeats an earlier one", i)
		}
		seen[k] = true
	}
	again := Fingerprints(model, decode(t, base))
	for i := range got {
		if got[i] != again[i] {
			t.Errorf("fingerprint %d differs between two decodes of the same body", i)
		}
	}
}

// Moving content across a boundary must change the prefix: the framing
// keeps "ab"+"c" apart from "a"+"bc", and a system text from a user text.
func TestFingerprintsFraming(t *testing.T) {
	tests := []struct{ a, b string }{
		{
			`{"messages": [{"role": "user", "content": [{"text": "ab"}, {"text": "c"}, {"cachePoint": {"type": "default"}}]}]}`,
			`{"messages": [{"role": "user", "content": [{"text": "a"}, {"text": "bc"}, {"cachePoint": {"type": "default"}}]}]}`,
		},
		{
			`{"system": [{"text": "x"}], "messages": [{"role": "user", "content": [{"text": "y"}, {"cachePoint": {"type": "default"}}]}]}`,
			`{"messages": [{"role": "user", "content": [{"text": "x"}, {"text": "y"}, {"cachePoint": {"type": "default"}}]}]}`,
		},
		{
			`{"messages": [{"role": "user", "content": [{"text": "x"}]}, {"role": "user", "content": [{"text": "y"}, {"cachePoint": {"type": "default"}}]}]}`,
			`{"messages": [{"role": "user", "content": [{"text": "x"}, {"text": "y"}, {"cachePoint": {"type": "default"}}]}]}`,
		},
	}
	for i, tt := range tests {
		a, b := Fingerprints(model, decode(t, tt.a)), Fingerprints(model, decode(t, tt.b))
		if len(a) != 1 || len(b) != 1 {
			t.Fatalf("case %d: %d and %d fingerprints, want 1 each", i, len(a), len(b))
		}
		if a[0] == b[0] {
			t.Errorf("case %d: different prefixes share a fingerprint", i)
		}
	}
}

func TestRouteKey(t *testing.T) {
	turn := func(history string, cacheSystem bool) string {
		sys := `"system": [{"text": "Support bot."}`
		if cacheSystem {
			sys += `, {"cachePoint": {"type": "default"}}`
		}
		return `{` + sys + `], "messages": [` + history + `]}`
	}
	cp := `, {"cachePoint": {"type": "default"}}`
	t1 := `{"role": "user", "content": [{"text": "My order is late."}` + cp + `]}`
	t2 := `{"role": "user", "content": [{"text": "My order is late."}]}, {"role": "assistant", "content": [{"text": "Which order?"}]}, {"role": "user", "content": [{"text": "#42"}` + cp + `]}`
	other := `{"role": "user", "content": [{"text": "Refund please."}` + cp + `]}`

	// Conversation history strategy: the cache point moves, the key stays.
	if a, b := RouteKey(model, decode(t, turn(t1, false))), RouteKey(model, decode(t, turn(t2, false))); a != b {
		t.Errorf("two turns of one conversation route differently")
	}
	if a, b := RouteKey(model, decode(t, turn(t1, false))), RouteKey(model, decode(t, turn(other, false))); a == b {
		t.Errorf("two conversations without a shared cached prefix route alike")
	}
	// A cached system prompt: every conversation sharing it routes alike,
	// by the system cache point's fingerprint.
	r := decode(t, turn(other, true))
	if a, b := RouteKey(model, decode(t, turn(t1, true))), RouteKey(model, r); a != b {
		t.Errorf("conversations sharing a cached system prompt route differently")
	}
	if got, want := RouteKey(model, r), Fingerprints(model, r)[0]; got != want {
		t.Errorf("RouteKey = %s, want the system fingerprint %s", got, want)
	}
	if got := RouteKey(model, decode(t, `{}`)); got != "" {
		t.Errorf("RouteKey of an empty request = %q, want empty", got)
	}
}
