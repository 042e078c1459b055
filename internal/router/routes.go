package router

import (
	"fmt"
	"slices"
	"strings"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/glob"
	"github.com/conversekit/converse/internal/metrics"
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
	// Pattern is an exact model ID or an internal/glob pattern: * matches
	// any run of characters, ? exactly one ("anthropic.*", "*" for
	// everything). It is matched against every form of the ID after
	// aliases (catalog.Forms: as sent, an ARN's resource, the base ID), so
	// a route for "anthropic.claude-3-haiku-20240307-v1:0" also serves
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
	// label names the model in metrics from a closed set: the catalogue
	// ID, else the pattern of the route that matched, else "unknown".
	label string
}

func (r *Router) buildTarget(t Target) (target, error) {
	p, ok := r.opts.Backends[t.Backend]
	if !ok {
		return target{}, fmt.Errorf("unknown backend %q", t.Backend)
	}
	return target{name: t.Backend, provider: p, model: t.Model}, nil
}

// alias returns the ID a client's model ID stands for.
func (r *Router) alias(modelID string) string {
	if a, ok := r.opts.Aliases[modelID]; ok {
		return a
	}
	return modelID
}

// ModelForms returns the forms of the model modelID is served as, which
// routes match and access checks must match (catalog.Forms of the ID after
// aliases): never the alias name itself, so an alias grants access to
// nothing its target does not.
func (r *Router) ModelForms(modelID string) []string {
	return catalog.Forms(r.alias(modelID))
}

// plan resolves aliases and routes for a model ID. With no matching route,
// catalogue models go to the default backend and anything else is refused
// as Bedrock refuses an invalid model identifier, so a typo fails here as
// it would on AWS; a route (such as "*") can accept any ID.
func (r *Router) plan(modelID string) (plan, error) {
	id := r.alias(modelID)
	m, known := r.opts.Catalog.Lookup(id)
	label := metrics.Unknown
	if known {
		label = m.ID
	}
	forms := catalog.Forms(id)
	for _, rt := range r.routes {
		if !slices.ContainsFunc(forms, func(f string) bool { return glob.Match(rt.pattern, f) }) {
			continue
		}
		if !known {
			label = rt.pattern
		}
		return plan{targets: rt.targets(id), model: m, known: known, label: label}, nil
	}
	if !known && !isPromptARN(id) {
		return plan{label: label}, catalog.UnknownModel(modelID)
	}
	return plan{targets: []target{{name: r.opts.Default, provider: r.opts.Backends[r.opts.Default], model: id}}, model: m, known: known, label: label}, nil
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
