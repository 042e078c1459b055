package main

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/provider/anthropic"
	"github.com/conversekit/converse/internal/router"
)

// banner is what `converse serve` prints once it listens: how to call it,
// then what it was really configured with, so that a first run shows
// where each model ID goes and what else is on.
type banner struct {
	version, endpoint string
	authNote, tlsNote string // from authenticator and tlsSetup
	cfg               *config.Config
	routes            []router.Route
	aliases           map[string]string
	def               string // the backend of catalogue models no route claims

	ttft         time.Duration
	tps          float64
	paceConverse bool
	script       string // the rules file, when there is one
	scriptRules  int

	record     string // directory, when recording
	replay     string // directory, when replaying
	recordings int

	quotasInRedis bool
	traces        string // the OTLP destination; "" when off
	metrics       string // the metrics listener's address; "" when off
	pprof         bool   // the profiler is on the metrics listener
	otlpMetrics   string // the OTLP destination of metrics; "" when off
	playground    bool
}

func (b banner) write(w io.Writer) {
	fmt.Fprintf(w, "converse %s listening on %s\n\n%s\n  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=%s\n%s",
		b.version, b.endpoint, b.authNote, b.endpoint, b.tlsNote)
	fmt.Fprintln(w)
	line := func(key, format string, args ...any) {
		fmt.Fprintf(w, "  %-15s %s\n", key+":", fmt.Sprintf(format, args...))
	}
	if b.replay != "" {
		// Routes and backends are set aside: the player answers everything.
		line("replay", "every call is answered from the %d exchanges recorded in %s; nothing else is called", b.recordings, absPath(b.replay))
	} else {
		for _, s := range b.backends() {
			line("backend", "%s", s)
		}
		for _, r := range b.routes {
			line("route", "%s", describeRoute(r))
		}
		for _, name := range sortedKeys(b.aliases) {
			line("alias", "%s → %s", name, b.aliases[name])
		}
		if len(b.routes) == 0 {
			line("models", "%s answers every catalogue model ID", b.def)
		} else {
			line("models", "%s answers every catalogue model ID no route matches", b.def)
		}
		if b.record != "" {
			line("record", "every exchange with a backend is written to %s", absPath(b.record))
		}
	}
	if b.script != "" {
		line("script", "%d rules from %s (the built-in model)", b.scriptRules, absPath(b.script))
	}
	if n := len(b.cfg.Quotas.Rules); n > 0 {
		where := "counted in this process"
		if b.quotasInRedis {
			where = "counted in Redis, shared by replicas"
		}
		line("quotas", "%s, %s", plural(n, "rule"), where)
	}
	if len(b.cfg.Guardrails) > 0 {
		var ids []string
		for _, g := range b.cfg.Guardrails {
			ids = append(ids, g.ID+" (version "+cmp.Or(g.Version, "DRAFT")+")")
		}
		line("guardrails", "%s", strings.Join(ids, ", "))
	}
	if o := b.cfg.InvocationLog.Output; o != "" {
		if o != "stdout" {
			o = absPath(o)
		}
		bodies := "without bodies"
		if b.cfg.InvocationLog.Bodies {
			bodies = "with bodies"
		}
		line("invocation log", "%s, %s", o, bodies)
	}
	if b.traces != "" {
		line("traces", "OTLP %s", b.traces)
	}
	if b.metrics != "" {
		line("metrics", "http://%s/metrics", b.metrics)
		if b.pprof {
			line("profiler", "http://%s/debug/pprof/", b.metrics)
		}
	}
	if b.otlpMetrics != "" {
		line("metrics", "OTLP %s", b.otlpMetrics)
	}
	if b.playground {
		line("playground", "%s/playground/", b.endpoint)
	}
}

// backends describes each backend: the built-in model with its pace, the
// configured ones with their kind and where they are (no secrets: a URL's
// user information and query are left out).
func (b banner) backends() []string {
	pace := "no pacing"
	if b.ttft > 0 || b.tps > 0 {
		pace = fmt.Sprintf("first token after %s, %g tokens/s streamed", b.ttft, b.tps)
		if b.tps <= 0 {
			pace = fmt.Sprintf("first token after %s, no streaming pace", b.ttft)
		}
		if b.paceConverse {
			pace += "; Converse waits for the whole answer"
		} else {
			pace += "; Converse waits for the first token only"
		}
	}
	out := []string{"builtin (the built-in model: " + pace + ")"}
	for _, c := range b.cfg.Backends {
		var where string
		switch c.Kind {
		case config.KindBedrock:
			where = "AWS Bedrock"
			if c.Region != "" {
				where += " in " + c.Region
			}
			if c.BaseURL != "" {
				where += " at " + safeURL(c.BaseURL)
			}
			if c.Profile != "" {
				where += ", profile " + c.Profile
			}
		case config.KindAnthropic:
			where = "Anthropic Messages API at " + safeURL(cmp.Or(c.BaseURL, anthropic.DefaultBaseURL))
		default:
			where = "OpenAI-compatible API at "
			if len(c.Replicas) > 0 {
				var us []string
				for _, u := range c.Replicas {
					us = append(us, safeURL(u))
				}
				where += strings.Join(us, ", ")
			} else {
				where += safeURL(c.BaseURL)
			}
		}
		out = append(out, c.Name+" ("+where+")")
	}
	return out
}

func describeRoute(r router.Route) string {
	s := r.Pattern + " → " + describeTarget(r.Target)
	for i, f := range r.Fallbacks {
		if i == 0 {
			s += ", falling back to "
		} else {
			s += ", then "
		}
		s += describeTarget(f)
	}
	return s
}

func describeTarget(t router.Target) string {
	if t.Model == "" {
		return t.Backend
	}
	return t.Backend + " as " + t.Model
}

// safeURL is u without user information, query or fragment, where
// credentials may hide.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "(not a URL)"
	}
	p.User, p.RawQuery, p.ForceQuery, p.Fragment, p.RawFragment = nil, "", false, "", ""
	return p.String()
}

// absPath is p made absolute, so that the banner says exactly which file
// or directory is used whatever the working directory of the reader.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
