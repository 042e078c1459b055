package promptcache

import (
	"testing"

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
	})
}
