package server

import (
	"context"
	"net/http"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/wire"
)

// Guardrails answers ApplyGuardrail (guardrail.Set).
type Guardrails interface {
	Apply(ctx context.Context, req *wire.ApplyGuardrailRequest) (*wire.ApplyGuardrailResponse, error)
}

// guardrailValidator is the part of wire.Validator ApplyGuardrail needs.
type guardrailValidator interface {
	ApplyGuardrail(req *wire.ApplyGuardrailRequest) error
}

// guardrailRoute is ApplyGuardrail's route, as the API model writes it.
const guardrailRoute = "POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply"

// registerGuardrails adds ApplyGuardrail. It goes through operation() like
// the model operations: bounded body, authentication, error shape, log.
func (s *Server) registerGuardrails() {
	s.mux.Handle(guardrailRoute, s.traced("ApplyGuardrail", "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply", s.operation("ApplyGuardrail", s.applyGuardrail)))
}

// isGuardrailRequest says whether r is an ApplyGuardrail call, which names
// no model to authorize.
func isGuardrailRequest(r *http.Request) bool { return r.Pattern == guardrailRoute }

// authorizeGuardrail decides who may apply a guardrail: any principal
// allowed at least one model. ApplyGuardrail invokes no model and spends
// no tokens, and a caller who may call a model may already have its
// prompts assessed by guardrailConfig on Converse (docs/config.md).
func authorizeGuardrail(p *auth.Principal, identifier string) error {
	if p != nil && len(p.Models) > 0 {
		return nil
	}
	name := "<none>"
	if p != nil {
		name = p.Name
	}
	return wire.Errorf(wire.AccessDeniedException, "Principal %q is not authorized to apply guardrail %q: it is allowed no model.", name, identifier)
}

func (s *Server) applyGuardrail(w http.ResponseWriter, r *http.Request, req *request) error {
	var in wire.ApplyGuardrailRequest
	if err := wire.Decode(req.body, &in); err != nil {
		return err
	}
	in.GuardrailIdentifier = r.PathValue("guardrailIdentifier")
	in.GuardrailVersion = r.PathValue("guardrailVersion")
	v, ok := s.opts.Validator.(guardrailValidator)
	if !ok {
		return wire.Errorf(wire.InternalServerException, "ApplyGuardrail cannot be validated by this server.")
	}
	if err := v.ApplyGuardrail(&in); err != nil {
		return err
	}
	if s.opts.Guardrails == nil {
		return wire.Errorf(wire.ResourceNotFoundException, "The guardrail identifier or version provided in the request does not exist. (%s version %s: this server has no guardrails; define them under guardrails in its config file.)", in.GuardrailIdentifier, in.GuardrailVersion)
	}
	out, err := s.opts.Guardrails.Apply(r.Context(), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
