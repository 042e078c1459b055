package promptcache

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// FuzzFingerprints checks, on any request the decoder accepts, what Account
// relies on: one fingerprint per token checkpoint, the same keys on a second
// decode, and a route key whenever there is a prompt.
func FuzzFingerprints(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(fourPoints))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"cachePoint":{"type":"default"}},{"text":"x"}]}]}`))
	f.Add([]byte(`{"toolConfig":{"tools":[{"cachePoint":{"type":"default"}}]},"system":[{"cachePoint":{"type":"default"}}]}`))
	c, err := tokens.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r wire.ConverseRequest
		if wire.Decode(body, &r) != nil {
			return
		}
		keys := Fingerprints(model, &r)
		if n := len(c.Converse(tokens.FromRequest(&r)).Checkpoints); n != len(keys) {
			t.Fatalf("%d fingerprints for %d token checkpoints", len(keys), n)
		}
		var again wire.ConverseRequest
		if err := wire.Decode(body, &again); err != nil {
			t.Fatal(err)
		}
		for i, k := range Fingerprints(model, &again) {
			if k != keys[i] {
				t.Fatalf("fingerprint %d differs between two decodes", i)
			}
		}
		RouteKey(model, &r)

		// Look-back hashes the same cache point keys in its pass, agrees
		// with the token counter on the number of blocks, and accounts
		// every prompt token exactly once.
		pts, blocks := lookbackPoints(model, &r, 3)
		var cpKeys []string
		for _, p := range pts {
			if p.block < 0 {
				cpKeys = append(cpKeys, p.key)
			} else if p.block < 1 || p.block > blocks {
				t.Fatalf("boundary after block %d of %d", p.block, blocks)
			}
		}
		if diff := cmp.Diff(keys, cpKeys, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("look-back cache point keys differ from Fingerprints (-want +got):\n%s", diff)
		}
		n := c.ConverseBlocks(tokens.FromRequest(&r))
		if len(n.Blocks) != blocks {
			t.Fatalf("%d blocks hashed, %d counted", blocks, len(n.Blocks))
		}
		reg := NewMemory(MemoryOptions{})
		for range 2 {
			u, err := Account(t.Context(), reg, Request{ModelID: model, Converse: &r, Count: n, LookbackBlocks: 3, MaxCachedTokens: 50})
			if err != nil {
				t.Fatal(err)
			}
			if got := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens; got != n.Total || u.CacheReadInputTokens > 50 || u.CacheWriteInputTokens > 50 {
				t.Fatalf("%+v for %d tokens, cap 50", u, n.Total)
			}
		}
	})
}
