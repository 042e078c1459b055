package replay

import (
	"context"
	"iter"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

type forwarding struct{ provider.Provider }

func (forwarding) ForwardsGuardrails() bool { return true }

type plain struct{}

func (plain) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	return nil, nil
}

func (plain) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return nil
}

func TestRecorderForwardsGuardrailsLikeItsBackend(t *testing.T) {
	for _, tc := range []struct {
		next provider.Provider
		want bool
	}{{forwarding{plain{}}, true}, {plain{}, false}} {
		r, err := NewRecorder(tc.next, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if got := r.ForwardsGuardrails(); got != tc.want {
			t.Errorf("%T: %v, want %v", tc.next, got, tc.want)
		}
	}
}
