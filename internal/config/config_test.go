package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/conversekit/converse/internal/catalog"
)

func TestParse(t *testing.T) {
	t.Setenv("TEAM_A_SECRET", "s3cret")
	got, err := Parse([]byte(`
listen: 0.0.0.0:9000
shutdown_grace: 0s
stream_write_timeout: 45s
auth:
  max_skew: 2m
  principals:
    - name: team-a
      models: ["anthropic.*"]
      access_keys:
        - id: AKIATEAMA
          secret: ${TEAM_A_SECRET}
      api_keys: [plain-key]
builtin:
  tokens_per_second: 0
`))
	if err != nil {
		t.Fatal(err)
	}
	zero := 0.0
	want := &Config{
		Listen: "0.0.0.0:9000", ShutdownGrace: new(time.Duration), StreamWriteTimeout: 45 * time.Second,
		Auth: Auth{MaxSkew: 2 * time.Minute, Principals: []Principal{{
			Name: "team-a", Models: []string{"anthropic.*"},
			AccessKeys: []AccessKey{{ID: "AKIATEAMA", Secret: "s3cret"}},
			APIKeys:    []Secret{"plain-key"},
		}}},
		Builtin: Builtin{TokensPerSecond: &zero},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if s := fmt.Sprint(got.Auth.Principals[0].AccessKeys[0]); strings.Contains(s, "s3cret") {
		t.Errorf("secret printed: %s", s)
	}
}

func TestParseEmpty(t *testing.T) {
	c, err := Parse(nil)
	if err != nil || c.Listen != "" {
		t.Fatalf("empty config: %+v, %v", c, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"listn: x", "field listn not found"},
		{"tls: {cert: a.pem}", "set both cert and key"},
		{"auth: {principals: [{name: a, models: ['*']}]}", "give it access_keys or api_keys"},
		{"auth: {principals: [{name: a, access_keys: [{id: x, secret: y}]}]}", "models is required"},
		{"auth: {principals: [{name: a, models: ['*'], api_keys: ['${NOT_SET_ANYWHERE_42}']}]}", "NOT_SET_ANYWHERE_42 is not set"},
		{"builtin: {tokens_per_second: -1}", "must not be negative"},
		{"auth: {regions: ['']}", "auth.regions[0] is empty"},
		{"server: {max_body_bytes: -1}", "must not be negative"},
		{"server: {max_inflight_body_bytes: 1000}", "below the body limit server.max_body_bytes (104857600"},
		{"server: {max_body_bytes: 2000, max_inflight_body_bytes: 1000}", "below the body limit server.max_body_bytes (2000"},
		{"server: {max_body_bytez: 1}", "field max_body_bytez not found"},

		{"shutdown_grace: -1s", "shutdown_grace must not be negative"},
		{"stream_write_timeout: -1s", "stream_write_timeout must not be negative"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestParseRouting(t *testing.T) {
	t.Setenv("OLLAMA_KEY", "k")
	c, err := Parse([]byte(`
backends:
  - name: ollama
    kind: openai
    base_url: http://localhost:11434/v1
    api_key: ${OLLAMA_KEY}
  - name: vllm
    kind: openai
    replicas: [http://a:8000/v1, http://b:8000/v1]
routes:
  - match: anthropic.claude-3-haiku-20240307-v1:0
    backend: ollama
    model: llama3.2
    fallbacks: [{backend: builtin}]
aliases: {fast: anthropic.claude-3-haiku-20240307-v1:0}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Backends) != 2 || c.Backends[0].APIKey != "k" || c.Routes[0].Fallbacks[0].Backend != "builtin" || c.Aliases["fast"] == "" {
		t.Errorf("parsed %+v", c)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"backends: [{name: x, kind: grpc}]", `kind "grpc" is not one of`},
		{"backends: [{name: x, kind: openai}]", "base_url or replicas is required"},
		{"backends: [{name: builtin, kind: openai, base_url: u}]", "already taken"},
		{"routes: [{match: a, backend: nowhere}]", `backend "nowhere" is not defined`},
		{"routes: [{backend: builtin}]", "match is required"},
		{"backends: [{name: x, kind: openai, base_url: u, first_token_timeout: -1s}]", "first_token_timeout, idle_timeout and max_connections must not be negative"},
		{"backends: [{name: x, kind: openai, base_url: u, idle_timeout: -1s}]", "must not be negative"},
		{"default: ghost", `backend "ghost" is not defined`},
		{"routes: [{match: a, backend: builtin, fallbacks: [{backend: ghost}]}]", `fallbacks[0]: backend "ghost"`},
		{"telemetry: {protocol: http/json}", `telemetry.protocol "http/json" is not one of grpc, http/protobuf`},
		{"telemetry: {endpoint: collector:4318}", "telemetry.endpoint \"collector:4318\" is not an http:// or https:// URL"},
		{"telemetry: {sample_ratio: 2}", "telemetry.sample_ratio 2 is not between 0 and 1"},
		{"telemetry: {exporter: zipkin}", "field exporter not found"},
		{"telemetry: {metrics: {export_interval: -1s}}", "telemetry.metrics.export_interval -1s is negative"},
		{"telemetry: {metrics: {interval: 10s}}", "field interval not found"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// The reference in docs/config.md is a file this package accepts.
func TestDocumentedConfigParses(t *testing.T) {
	b, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	doc, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml block in docs/config.md")
	}
	for _, env := range []string{"SEARCH_TEAM_SECRET", "SEARCH_TEAM_BEDROCK_API_KEY", "OLLAMA_KEY", "ANTHROPIC_API_KEY", "REDIS_URL"} {
		t.Setenv(env, "value-of-"+env)
	}
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Backends[0]; b.FirstTokenTimeout != 2*time.Minute || b.IdleTimeout != time.Minute {
		t.Errorf("ollama's stream timeouts: first token %v, idle %v", b.FirstTokenTimeout, b.IdleTimeout)
	}
	if tel := c.Telemetry; tel.Enabled == nil || !*tel.Enabled || tel.Protocol == "" || tel.Endpoint == "" || tel.SampleRatio == nil || tel.ServiceName == "" ||
		tel.Metrics.Enabled == nil || !*tel.Metrics.Enabled || tel.Metrics.ExportInterval != 30*time.Second {
		t.Errorf("telemetry block not fully documented: %+v", tel)
	}
	if len(c.Backends) != 4 || len(c.Routes) != 3 || c.Redis.URL == "" || c.Script == "" {
		t.Errorf("parsed %d backends, %d routes: %+v", len(c.Backends), len(c.Routes), c)
	}
}

func TestParseQuotas(t *testing.T) {
	c, err := Parse([]byte(`
quotas:
  on_redis_error: fail_open
  default_output_tokens: 1000
  lease: 15m
  rules:
    - name: team-a-claude
      principal: team-a
      model: "anthropic.*"
      requests_per_minute: 60
      tokens_per_minute: 100000
      concurrent: 4
    - shared: true
      requests_per_minute: 1000
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Quotas{
		OnRedisError: FailOpen, DefaultOutputTokens: 1000, Lease: 15 * time.Minute,
		Rules: []QuotaRule{
			{Name: "team-a-claude", Principal: "team-a", Model: "anthropic.*", RequestsPerMinute: 60, TokensPerMinute: 100000, Concurrent: 4},
			{Shared: true, RequestsPerMinute: 1000},
		},
	}
	if diff := cmp.Diff(want, c.Quotas); diff != "" {
		t.Errorf("quotas (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"quotas: {on_redis_error: maybe}", `"maybe" is not fail_open or fail_closed`},
		{"quotas: {rules: [{principal: a}]}", "quotas.rules[0] (a *): set requests_per_minute, tokens_per_minute or concurrent"},
		{"quotas: {rules: [{concurrent: -1}]}", "limits must not be negative"},
		{"quotas: {rules: [{concurrent: 1}, {concurrent: 2}]}", "quotas.rules[1] (* *): rules[0] has the same name"},
		{"quotas: {lease: -1s}", "must not be negative"},
		{"quotas: {rules: [{requests_per_min: 1}]}", "field requests_per_min not found"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// Every key Config accepts appears in the reference example of
// docs/config.md, so a new key cannot go undocumented.
func TestEveryKeyDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "```yaml\n")
	doc, _, _ := strings.Cut(rest, "```")
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	docKeys(root.Content[0], "", documented)
	for _, k := range structKeys(reflect.TypeFor[Config](), "") {
		if !documented[k] {
			t.Errorf("docs/config.md does not show the key %s", k)
		}
	}
}

// docKeys collects the key paths of a YAML document; list items add "[]".
func docKeys(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := prefix + n.Content[i].Value
			out[k] = true
			docKeys(n.Content[i+1], k+".", out)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			docKeys(item, strings.TrimSuffix(prefix, ".")+"[].", out)
		}
	}
}

// structKeys lists the yaml key paths of a config struct; maps and
// scalars are leaves.
func structKeys(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		k := prefix + name
		out = append(out, k)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Duration]():
			out = append(out, structKeys(ft, k+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, structKeys(ft.Elem(), k+"[].")...)
		}
	}
	return out
}

func TestParseModels(t *testing.T) {
	c, err := Parse([]byte(`
models:
  - id: anthropic.claude-fable-5
    family: claude
    capabilities: [streaming, tools]
    cache: {min_tokens: 512, ttl: [5m, 1h], checkpoints: [system, messages]}
    context_window: 1000000
    max_output_tokens: 128000
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.Entry{{
		ID: "anthropic.claude-fable-5", Family: "claude", Capabilities: []string{"streaming", "tools"},
		Cache:         &catalog.CacheEntry{MinTokens: 512, TTL: []string{"5m", "1h"}, Checkpoints: []string{"system", "messages"}},
		ContextWindow: 1_000_000, MaxOutputTokens: 128_000,
	}}
	if diff := cmp.Diff(want, c.Models); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"models:\n  - id: a.b\n    streming: true\n", "line 3: field streming not found"},
		{"models:\n  - id: a.b\n    cache: {min_tokens: 1, checkpoint: [system]}\n", "line 3: field checkpoint not found"},
		{"listen: x\nmodels:\n  - id: a.b\n  - id: a.b\n", "line 4: models[1] (a.b): the ID is already listed at models[0]"},
		{"models:\n  - id: a.b\n\n  - id: a.c\n    capabilities: [vision]\n", `line 4: models[1] (a.c): capability "vision" is not one of`},
		{"models:\n  - id: us.a.b\n", `line 2: models[0] (us.a.b): id "us.a.b" starts with an inference-profile prefix`},
		{"models:\n  - id: a.b\n    max_output_tokens: -5\n", "line 2: models[0] (a.b): context_window and max_output_tokens must not be negative"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
