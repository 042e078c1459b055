// Package config reads converse's YAML configuration file into plain
// structs. Decoding is strict (unknown keys are errors, with their line) and
// secrets may reference environment variables as ${NAME}. No internal
// package imports config: cmd/converse copies its values into each
// component's Options.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/conversekit/converse/internal/catalog"
)

// Config is the whole file.
type Config struct {
	// Listen is the address to serve on (the -addr flag wins).
	Listen string `yaml:"listen"`
	TLS    TLS    `yaml:"tls"`
	// ShutdownGrace is how long open requests may finish after SIGTERM
	// before streams are ended with ServiceUnavailableException (default
	// 30s; 0 ends them at once; the -shutdown-grace flag wins).
	ShutdownGrace *time.Duration `yaml:"shutdown_grace"`
	// StreamWriteTimeout bounds writing one event-stream frame to a client
	// (default 1m; the -stream-write-timeout flag wins).
	StreamWriteTimeout time.Duration `yaml:"stream_write_timeout"`
	Auth               Auth          `yaml:"auth"`
	// Server bounds what requests may cost before a backend sees them.
	Server Server `yaml:"server"`
	// Builtin paces the built-in model.
	Builtin Builtin `yaml:"builtin"`
	// Script is a file of scripted rules for the built-in model
	// (docs/emulator.md); the -script flag wins.
	Script string `yaml:"script"`
	// Backends are the model servers converse can call, by name. The
	// built-in model is always there as "builtin".
	Backends []Backend `yaml:"backends"`
	// Routes send model IDs to backends; the first match wins.
	Routes []Route `yaml:"routes"`
	// Aliases map model IDs clients send to the IDs routed.
	Aliases map[string]string `yaml:"aliases"`
	// Default names the backend for catalogue models no route claims
	// (default "builtin").
	Default string `yaml:"default"`
	// Redis, when set, holds state that replicas share (the prompt-cache
	// registry, quota counters); without it state lives in this process.
	Redis Redis `yaml:"redis"`
	// Quotas limit requests, tokens and concurrency per principal and
	// model; shared by replicas through Redis when it is configured.
	Quotas Quotas `yaml:"quotas"`
	// Telemetry exports OpenTelemetry traces and metrics over OTLP; the
	// standard OTEL_* environment variables fill in what it leaves empty.
	Telemetry Telemetry `yaml:"telemetry"`
	// LogLevel is the least severe level logged: debug, info (default),
	// warn or error; the -log-level flag wins.
	LogLevel string `yaml:"log_level"`
	// Pprof mounts Go's profiler (net/http/pprof) on the metrics listener
	// (-metrics-addr), never on the API port; the -pprof flag wins.
	Pprof bool `yaml:"pprof"`
	// InvocationLog, when it has an output, records every Converse and
	// ConverseStream call as a JSON line.
	InvocationLog InvocationLog `yaml:"invocation_log"`
	// Guardrails are applied by converse itself to calls with
	// guardrailConfig (except on bedrock backends) and by ApplyGuardrail.
	Guardrails []Guardrail `yaml:"guardrails"`
	// GuardrailMaxCharacters bounds the text one assessment reads
	// (default 200000).
	GuardrailMaxCharacters int `yaml:"guardrail_max_characters"`
	// Playground is the web playground at /playground.
	Playground Playground `yaml:"playground"`
	// Models add Bedrock model IDs to the built-in catalogue, or replace
	// a built-in entry with the same ID (docs/config.md), in the format
	// of internal/catalog/models.yaml.
	Models []catalog.Entry `yaml:"models"`
}

// Playground configures the web playground.
type Playground struct {
	// Enabled serves it (default true; the -playground flag wins).
	Enabled *bool `yaml:"enabled"`
	// Operators are the principals that may read its request log of
	// recent calls. With the development key the principal "dev" may;
	// with configured principals nobody may unless listed here.
	Operators []string `yaml:"operators"`
}

// InvocationLog configures the invocation log.
type InvocationLog struct {
	// Output is "stdout" or a file path; empty turns the log off.
	Output string `yaml:"output"`
	// MaxSizeMB rotates the file before it grows past this size
	// (default 100); MaxBackups rotated files are kept (default 5).
	MaxSizeMB  int `yaml:"max_size_mb"`
	MaxBackups int `yaml:"max_backups"`
	// Bodies adds request and response bodies to the records.
	Bodies bool `yaml:"bodies"`
	// KeepMedia keeps base64 media bytes in logged bodies (default:
	// each is replaced by a note of its length).
	KeepMedia bool `yaml:"keep_media"`
	// MaxBodyBytes cuts each logged body to this size (default 65536).
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// Buffer is how many records may wait for the writer before further
	// ones are dropped (default 1024).
	Buffer int `yaml:"buffer"`
}

// Quota store failure policies.
const (
	FailOpen   = "fail_open"
	FailClosed = "fail_closed"
)

// Quotas are the quota rules and how they are kept.
type Quotas struct {
	// OnRedisError decides calls when Redis cannot be reached: fail_open
	// admits them uncounted, fail_closed refuses them (the default).
	OnRedisError string `yaml:"on_redis_error"`
	// DefaultOutputTokens is reserved for the answer of a request without
	// maxTokens, capped by the model's maximum output (default 4096).
	DefaultOutputTokens int `yaml:"default_output_tokens"`
	// Lease is how long a concurrency slot held by a replica that died
	// stays taken in Redis (default 10m); longer than the longest call.
	Lease time.Duration `yaml:"lease"`
	// Rules: the first whose principal and model match decides.
	Rules []QuotaRule `yaml:"rules"`
}

// QuotaRule is one quota; zero limits are unlimited.
type QuotaRule struct {
	// Name appears in messages, metrics and Redis keys (default
	// "<principal> <model>").
	Name string `yaml:"name"`
	// Principal and Model are exact names or globs (default "*").
	Principal string `yaml:"principal"`
	Model     string `yaml:"model"`
	// Shared: every matching principal draws on one allowance (default:
	// each principal has its own).
	Shared            bool  `yaml:"shared"`
	RequestsPerMinute int64 `yaml:"requests_per_minute"`
	TokensPerMinute   int64 `yaml:"tokens_per_minute"`
	// Concurrent bounds requests in flight at once.
	Concurrent int64 `yaml:"concurrent"`
}

// Telemetry configures OpenTelemetry tracing and the OTLP export of
// metrics (docs/config.md). Every empty field leaves the choice to the
// OTEL_* environment variables.
type Telemetry struct {
	// Enabled turns tracing on or off; unset, OTEL_TRACES_EXPORTER=otlp
	// turns it on. OTEL_SDK_DISABLED=true wins over both.
	Enabled *bool `yaml:"enabled"`
	// Protocol is grpc or http/protobuf.
	Protocol string `yaml:"protocol"`
	// Endpoint is the collector's base URL (http:// means no TLS).
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the fraction of new traces sampled, 0 to 1.
	SampleRatio *float64 `yaml:"sample_ratio"`
	// ServiceName is the service.name resource attribute.
	ServiceName string `yaml:"service_name"`
	// Metrics exports the metrics over OTLP too (same protocol, endpoint
	// and service name).
	Metrics TelemetryMetrics `yaml:"metrics"`
}

// TelemetryMetrics configures the OTLP export of metrics.
type TelemetryMetrics struct {
	// Enabled turns it on or off; unset, OTEL_METRICS_EXPORTER=otlp turns
	// it on. OTEL_SDK_DISABLED=true wins over both.
	Enabled *bool `yaml:"enabled"`
	// ExportInterval is the time between exports (default
	// OTEL_METRIC_EXPORT_INTERVAL, else one minute).
	ExportInterval time.Duration `yaml:"export_interval"`
}

// Redis locates the shared Redis.
type Redis struct {
	// URL as go-redis parses it: redis://[:password@]host:port/db or
	// rediss:// for TLS. The password may be written as ${ENV_VAR}.
	URL Secret `yaml:"url"`
	// Prefix namespaces converse's keys (default "converse:").
	Prefix string `yaml:"prefix"`
}

// Backend kinds.
const (
	KindOpenAI    = "openai"
	KindAnthropic = "anthropic"
	KindBedrock   = "bedrock"
)

// Backend is one model server.
type Backend struct {
	Name string `yaml:"name"`
	// Kind is openai (vLLM, Ollama, llama.cpp, LM Studio, OpenAI),
	// anthropic, or bedrock.
	Kind string `yaml:"kind"`
	// BaseURL of the API (openai: up to /v1; anthropic: the host).
	BaseURL string `yaml:"base_url"`
	// Replicas are several base URLs of one model server; requests that
	// share a cached prefix go to the same replica.
	Replicas []string `yaml:"replicas"`
	APIKey   Secret   `yaml:"api_key"`
	// Timeout bounds one non-streaming upstream call (default 5m).
	Timeout time.Duration `yaml:"timeout"`
	// FirstTokenTimeout bounds a stream's wait for its first content
	// (default 1m); IdleTimeout the wait for each later piece of content
	// (default 1m). Keep-alive chunks without content count for neither.
	FirstTokenTimeout time.Duration `yaml:"first_token_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// MaxConnections bounds open connections per replica (default 64).
	MaxConnections int `yaml:"max_connections"`
	// Region and Profile select AWS credentials for kind bedrock; BaseURL
	// overrides the regional endpoint.
	Region  string `yaml:"region"`
	Profile string `yaml:"profile"`
}

// Route sends the model IDs matching Match to a backend.
type Route struct {
	// Match is an exact model ID or a glob (* matches anything); it also
	// matches the inference-profile and ARN forms of a model ID.
	Match   string `yaml:"match"`
	Backend string `yaml:"backend"`
	// Model is the backend's name for the model (default: the model ID).
	Model     string   `yaml:"model"`
	Fallbacks []Target `yaml:"fallbacks"`
}

// Target is a fallback: a backend and its model name.
type Target struct {
	Backend string `yaml:"backend"`
	Model   string `yaml:"model"`
}

// TLS names a certificate and key in PEM files.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Auth lists who may call the server.
type Auth struct {
	// MaxSkew is the SigV4 clock-skew window (default 5m).
	MaxSkew time.Duration `yaml:"max_skew"`
	// Regions a SigV4 credential scope may name (default [us-east-1]; "*"
	// accepts any), as a regional AWS endpoint accepts only its own.
	Regions []string `yaml:"regions"`
	// UnsignedPayloadOverHTTP accepts X-Amz-Content-Sha256: UNSIGNED-PAYLOAD
	// on requests that did not arrive over TLS (for a TLS-terminating proxy
	// in front); off by default.
	UnsignedPayloadOverHTTP bool        `yaml:"unsigned_payload_over_http"`
	Principals              []Principal `yaml:"principals"`
}

// Server bounds request bodies.
type Server struct {
	// MaxBodyBytes is the largest request body (default 100 MiB); a larger
	// one is refused with 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxInflightBodyBytes bounds the bytes of bodies held at once (default
	// 1 GiB, or a quarter of GOMEMLIMIT when that is set).
	MaxInflightBodyBytes int64 `yaml:"max_inflight_body_bytes"`
	// BodyBudgetWait is how long a request waits for room in that budget
	// before a ThrottlingException (default 10s).
	BodyBudgetWait time.Duration `yaml:"body_budget_wait"`
}

// Principal is a named caller with its keys and the model IDs it may use.
type Principal struct {
	Name string `yaml:"name"`
	// Models are exact IDs or globs where * matches anything ("*" = all).
	Models     []string    `yaml:"models"`
	AccessKeys []AccessKey `yaml:"access_keys"`
	// APIKeys are Bedrock API keys (Authorization: Bearer).
	APIKeys []Secret `yaml:"api_keys"`
}

// AccessKey is an AWS-style access key pair.
type AccessKey struct {
	ID     string `yaml:"id"`
	Secret Secret `yaml:"secret"`
}

// Builtin configures the built-in model's pace.
type Builtin struct {
	TimeToFirstToken *time.Duration `yaml:"time_to_first_token"`
	TokensPerSecond  *float64       `yaml:"tokens_per_second"`
	// PaceConverse makes non-streaming Converse wait as long as the
	// streamed answer would take, not only the time to first token.
	PaceConverse *bool `yaml:"pace_converse"`
}

// Secret is a string that never prints; in the file it may be written as
// ${ENV_VAR} to read it from the environment at load time.
type Secret string

func (Secret) String() string   { return "[REDACTED]" }
func (Secret) GoString() string { return `config.Secret("[REDACTED]")` }

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// UnmarshalYAML resolves ${NAME} references.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	var v string
	if err := n.Decode(&v); err != nil {
		return err
	}
	if m := envRef.FindStringSubmatch(v); m != nil {
		env, ok := os.LookupEnv(m[1])
		if !ok || env == "" {
			return fmt.Errorf("line %d: environment variable %s is not set", n.Line, m[1])
		}
		v = env
	}
	*s = Secret(v)
	return nil
}

// Load reads and checks a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and checks configuration bytes.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file (io.EOF) means all defaults.
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := errors.Join(c.check(), c.checkModels(b)); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) check() error {
	var errs []error
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		errs = append(errs, errors.New("tls: set both cert and key, or neither"))
	}
	if c.Auth.MaxSkew < 0 {
		errs = append(errs, errors.New("auth.max_skew must not be negative"))
	}
	for i, r := range c.Auth.Regions {
		if r == "" {
			errs = append(errs, fmt.Errorf("auth.regions[%d] is empty (write a region such as us-east-1, or \"*\" for any)", i))
		}
	}
	if sv := c.Server; sv.MaxBodyBytes < 0 || sv.MaxInflightBodyBytes < 0 || sv.BodyBudgetWait < 0 {
		errs = append(errs, errors.New("server: max_body_bytes, max_inflight_body_bytes and body_budget_wait must not be negative"))
	} else if body := cmp.Or(sv.MaxBodyBytes, 100<<20); sv.MaxInflightBodyBytes > 0 && sv.MaxInflightBodyBytes < body {
		errs = append(errs, fmt.Errorf("server.max_inflight_body_bytes (%d) is below the body limit server.max_body_bytes (%d, default 100 MiB): the largest body could never be read", sv.MaxInflightBodyBytes, body))
	}
	if c.ShutdownGrace != nil && *c.ShutdownGrace < 0 {
		errs = append(errs, errors.New("shutdown_grace must not be negative"))
	}
	if c.StreamWriteTimeout < 0 {
		errs = append(errs, errors.New("stream_write_timeout must not be negative (leave it out for the default)"))
	}
	for i, p := range c.Auth.Principals {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("auth.principals[%d]: name is required", i))
		}
		if len(p.Models) == 0 {
			errs = append(errs, fmt.Errorf("auth.principals[%d] (%s): models is required (use [\"*\"] for every model)", i, p.Name))
		}
		if len(p.AccessKeys) == 0 && len(p.APIKeys) == 0 {
			errs = append(errs, fmt.Errorf("auth.principals[%d] (%s): give it access_keys or api_keys", i, p.Name))
		}
		for j, k := range p.AccessKeys {
			if k.ID == "" || k.Secret == "" {
				errs = append(errs, fmt.Errorf("auth.principals[%d].access_keys[%d]: id and secret are required", i, j))
			}
		}
	}
	errs = append(errs, c.checkRouting()...)
	errs = append(errs, c.checkQuotas()...)
	errs = append(errs, c.checkGuardrails()...)
	errs = append(errs, c.Telemetry.check()...)
	if c.LogLevel != "" && !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		errs = append(errs, fmt.Errorf("log_level %q is not one of debug, info, warn, error", c.LogLevel))
	}
	if l := c.InvocationLog; l.MaxSizeMB < 0 || l.MaxBackups < 0 || l.MaxBodyBytes < 0 || l.Buffer < 0 {
		errs = append(errs, errors.New("invocation_log: max_size_mb, max_backups, max_body_bytes and buffer must not be negative"))
	}
	errs = append(errs, c.checkPlayground()...)
	if b := c.Builtin; b.TokensPerSecond != nil && *b.TokensPerSecond < 0 {
		errs = append(errs, errors.New("builtin.tokens_per_second must not be negative"))
	}
	return errors.Join(errs...)
}

// checkModels checks the models entries as the catalogue will, each
// mistake with the line of its entry in b.
func (c *Config) checkModels(b []byte) error {
	if _, err := catalog.Compile(c.Models); err != nil {
		return catalog.WithLines(err, catalog.ItemLines(b, "models"))
	}
	return nil
}

// checkPlayground requires operators to be principals of this file (or
// "dev", the development principal, when there are none), so a typo does
// not silently hide the request log.
func (c *Config) checkPlayground() []error {
	names := map[string]bool{}
	for _, p := range c.Auth.Principals {
		names[p.Name] = true
	}
	if len(names) == 0 {
		names["dev"] = true
	}
	var errs []error
	for i, op := range c.Playground.Operators {
		if !names[op] {
			errs = append(errs, fmt.Errorf("playground.operators[%d]: %q is not a principal of auth.principals", i, op))
		}
	}
	return errs
}

func (c *Config) checkRouting() []error {
	var errs []error
	names := map[string]bool{"builtin": true}
	for i, b := range c.Backends {
		where := fmt.Sprintf("backends[%d] (%s)", i, b.Name)
		switch {
		case b.Name == "":
			errs = append(errs, fmt.Errorf("backends[%d]: name is required", i))
		case names[b.Name]:
			errs = append(errs, fmt.Errorf("%s: the name is already taken", where))
		}
		names[b.Name] = true
		switch b.Kind {
		case KindOpenAI, KindAnthropic:
			if b.BaseURL == "" && len(b.Replicas) == 0 && b.Kind == KindOpenAI {
				errs = append(errs, fmt.Errorf("%s: base_url or replicas is required", where))
			}
		case KindBedrock:
			if len(b.Replicas) > 0 {
				errs = append(errs, fmt.Errorf("%s: replicas apply to openai backends only", where))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: kind %q is not one of openai, anthropic, bedrock", where, b.Kind))
		}
		if b.BaseURL != "" && len(b.Replicas) > 0 {
			errs = append(errs, fmt.Errorf("%s: give base_url or replicas, not both", where))
		}
		if b.Timeout < 0 || b.FirstTokenTimeout < 0 || b.IdleTimeout < 0 || b.MaxConnections < 0 {
			errs = append(errs, fmt.Errorf("%s: timeout, first_token_timeout, idle_timeout and max_connections must not be negative", where))
		}
	}
	known := func(name string) bool { return names[name] }
	if c.Default != "" && !known(c.Default) {
		errs = append(errs, fmt.Errorf("default: backend %q is not defined", c.Default))
	}
	for i, r := range c.Routes {
		if r.Match == "" {
			errs = append(errs, fmt.Errorf("routes[%d]: match is required", i))
		}
		if !known(r.Backend) {
			errs = append(errs, fmt.Errorf("routes[%d] (%s): backend %q is not defined", i, r.Match, r.Backend))
		}
		for j, f := range r.Fallbacks {
			if !known(f.Backend) {
				errs = append(errs, fmt.Errorf("routes[%d].fallbacks[%d]: backend %q is not defined", i, j, f.Backend))
			}
		}
	}
	return errs
}

func (c *Config) checkQuotas() []error {
	var errs []error
	q := c.Quotas
	switch q.OnRedisError {
	case "", FailOpen, FailClosed:
	default:
		errs = append(errs, fmt.Errorf("quotas.on_redis_error: %q is not fail_open or fail_closed", q.OnRedisError))
	}
	if q.DefaultOutputTokens < 0 || q.Lease < 0 {
		errs = append(errs, errors.New("quotas.default_output_tokens and quotas.lease must not be negative"))
	}
	names := map[string]int{}
	for i, r := range q.Rules {
		name := r.Name
		if name == "" {
			name = cmp.Or(r.Principal, "*") + " " + cmp.Or(r.Model, "*")
		}
		where := fmt.Sprintf("quotas.rules[%d] (%s)", i, name)
		if j, ok := names[name]; ok {
			errs = append(errs, fmt.Errorf("%s: rules[%d] has the same name; give one a different name (they would share counters)", where, j))
		}
		names[name] = i
		switch {
		case r.RequestsPerMinute < 0 || r.TokensPerMinute < 0 || r.Concurrent < 0:
			errs = append(errs, fmt.Errorf("%s: limits must not be negative", where))
		case r.RequestsPerMinute == 0 && r.TokensPerMinute == 0 && r.Concurrent == 0:
			errs = append(errs, fmt.Errorf("%s: set requests_per_minute, tokens_per_minute or concurrent", where))
		}
	}
	return errs
}

func (t Telemetry) check() []error {
	var errs []error
	switch t.Protocol {
	case "", "grpc", "http/protobuf":
	default:
		errs = append(errs, fmt.Errorf("telemetry.protocol %q is not one of grpc, http/protobuf", t.Protocol))
	}
	if t.Endpoint != "" {
		if u, err := url.Parse(t.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("telemetry.endpoint %q is not an http:// or https:// URL such as http://collector:4318", t.Endpoint))
		}
	}
	if r := t.SampleRatio; r != nil && (*r < 0 || *r > 1) {
		errs = append(errs, fmt.Errorf("telemetry.sample_ratio %v is not between 0 and 1", *r))
	}
	if t.Metrics.ExportInterval < 0 {
		errs = append(errs, fmt.Errorf("telemetry.metrics.export_interval %v is negative; write a duration such as 60s", t.Metrics.ExportInterval))
	}
	return errs
}
