package server

import (
	"net/http"
	"testing"
)

// With tracing off, operations are served by their own handlers: no
// wrapper, no extra work per request.
func TestTracingOffAddsNoWrapper(t *testing.T) {
	s := &Server{}
	h := http.NewServeMux()
	if got := s.traced("Converse", "/model/{modelId}/converse", h); got != http.Handler(h) {
		t.Errorf("traced returned %T, want the handler itself", got)
	}
}
