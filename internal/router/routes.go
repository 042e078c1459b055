package router

import (
	"fmt"
	"strings"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/provider"
)

// Target is one backend and the model name to ask it for.
type Target struct {
	// Backend names an entry of Options.Backends.
	Backend string
	// Model is the upstream model name; "" sends the client's model ID.
	Model string
}

// Route sends the model IDs matching Pattern to Target, falling back to
// Fallbacks in order when the target is throttled, unavailable or times out.
type Route struct {
	// Pattern is an exact model ID or a glob where * matches any run of
	// characters ("anthropic.*", "*" for everything). It is matched against
	// the ID as sent and against its base ID, so a route for
	// "anthropic.claude-3-haiku-20240307-v1:0" also serves
	// "us.anthropic.claude-3-haiku-20240307-v1:0" and inference-profile
	// and foundation-model ARNs of it.
	Pattern   string
	Target    Target
	Fallbacks []Target
}

// target is a resolved Target.
type target struct {
	name     string
	provider provider.Provider
	model    string
}

// plan is what the router decided for one model ID.
type plan struct {
	targets []target
	model   catalog.Model
	known   bool // the catalogue knows the model
}

func (r *Router) buildTarget(t Target) (target, error) {
	p, ok := r.opts.Backends[t.Backend]
	if !ok {
		return target{}, fmt.Errorf("unknown backend %q", t.Backend)
	}
	return target{name: t.Backend, provider: p, model: t.Model}, nil
}

// plan resolves aliases and routes for a model ID. With no matching route,
// catalogue models go to the default backend and anything else is refused
// as Bedrock refuses an invalid model identifier, so a typo fails here as
// it would on AWS; a route (such as "*") can accept any ID.
func (r *Router) plan(modelID string) (plan, error) {
	id := modelID
	if a, ok := r.opts.Aliases[id]; ok {
		id = a
	}
	m, known := r.opts.Catalog.Lookup(id)
	base := catalog.BaseID(id)
	for _, rt := range r.routes {
		if !globMatch(rt.pattern, id) && !globMatch(rt.pattern, base) {
			continue
		}
		return plan{targets: rt.targets(id), model: m, known: known}, nil
	}
	if !known && !isPromptARN(id) {
		return plan{}, catalog.UnknownModel(modelID)
	}
	return plan{targets: []target{{name: r.opts.Default, provider: r.opts.Backends[r.opts.Default], model: id}}, model: m, known: known}, nil
}

// compiledRoute is a Route with its backends looked up.
type compiledRoute struct {
	pattern string
	chain   []target // target, then fallbacks
}

func (c compiledRoute) targets(id string) []target {
	out := make([]target, len(c.chain))
	for i, t := range c.chain {
		if t.model == "" {
			t.model = id
		}
		out[i] = t
	}
	return out
}

// isPromptARN reports a Prompt-management prompt ARN: it names a prompt,
// not a model, so the catalogue cannot know it; the default backend answers
// it (with its promptVariables) unless a route says otherwise.
func isPromptARN(id string) bool {
	return strings.HasPrefix(id, "arn:") && strings.Contains(id, ":prompt/")
}

// globMatch matches the whole string; * matches any run of characters,
// including ':' and '/', which model IDs and ARNs contain.
func globMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}
