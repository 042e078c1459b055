package providertest

import "testing"

// modelBackend runs the suite against the reference Model in process.
type modelBackend struct{}

func (modelBackend) Start(t *testing.T, r Reply) *Session {
	m := NewModel(r)
	return &Session{Provider: m, Received: m.Received, Released: m.Released()}
}

func (modelBackend) Can(Capability) bool { return true }

func TestModelPassesTheSuite(t *testing.T) { Run(t, modelBackend{}) }
