package router

import (
	"errors"
	"testing"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// picky refuses every request's fields, as a backend does that cannot
// honour a member.
type picky struct{ fake }

func (*picky) CheckFields(*wire.ConverseRequest) error {
	return wire.Errorf(wire.ValidationException, "serviceTier.type \"reserved\" cannot be honoured")
}

// A backend's refusal reaches the client as its ValidationException, on
// Converse and ConverseStream; a fallback that can honour the request
// answers instead.
func TestFieldRefusal(t *testing.T) {
	tok, _ := sharedTokens()
	const model = "meta.llama3-8b-instruct-v1:0"
	for _, tc := range []struct {
		name      string
		fallbacks []Target
		want      string // "" for an answer
	}{
		{"alone", nil, wire.ValidationException},
		{"fallback", []Target{{Backend: "ok"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(Options{
				Backends: map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "picky": &picky{fake{name: "picky"}}, "ok": &fake{name: "ok"}},
				Default:  "builtin", Tokens: tok, Catalog: catalog.New(),
				Routes: []Route{{Pattern: model, Target: Target{Backend: "picky"}, Fallbacks: tc.fallbacks}},
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Converse(t.Context(), call(model))
			var streamErr error
			for _, e := range r.ConverseStream(t.Context(), call(model)) {
				if e != nil {
					streamErr = e
				}
			}
			for _, got := range []error{err, streamErr} {
				var ex *wire.Exception
				switch {
				case tc.want == "" && got != nil:
					t.Errorf("refused: %v", got)
				case tc.want != "" && (!errors.As(got, &ex) || ex.Type != tc.want):
					t.Errorf("got %v, want %s", got, tc.want)
				}
			}
		})
	}
}
