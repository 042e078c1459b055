package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/conversekit/converse/internal/redistest"
	"github.com/conversekit/converse/internal/sdktest"
)

var endpointLine = regexp.MustCompile(`listening on (https?://\S+)`)

// startServe runs `converse serve args...` in-process, as the README's
// first command does, and returns the endpoint it prints.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-builtin-ttft", "0", "-builtin-tps", "0"}, args...), pw, io.Discard)
		pw.CloseWithError(errors.New("serve returned"))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, pr) // keep the banner writer unblocked
			return m[1]
		}
	}
	t.Fatalf("serve printed no endpoint: %v", sc.Err())
	return ""
}

func hello(t *testing.T, c *bedrockruntime.Client, model string) error {
	t.Helper()
	_, err := c.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	return err
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// The README's defaults: the development key works, signatures are checked.
func TestServeDefaults(t *testing.T) {
	endpoint := startServe(t)
	if err := hello(t, sdktest.Client(t, endpoint, sdktest.Options{}), "anthropic.claude-3-haiku-20240307-v1:0"); err != nil {
		t.Fatal(err)
	}
	err := hello(t, sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "test", SecretAccessKey: "wrong"}), "anthropic.claude-3-haiku-20240307-v1:0")
	if got := errorCode(err); got != "InvalidSignatureException" {
		t.Errorf("wrong secret: %v, want InvalidSignatureException", err)
	}
	err = hello(t, sdktest.Client(t, endpoint, sdktest.Options{}), "anthropic.claude-3-haiku-typo")
	if !errors.As(err, new(*types.ValidationException)) || !strings.Contains(err.Error(), "The provided model identifier is invalid.") {
		t.Errorf("typo model: %v", err)
	}
}

// A config file with principals, keys from the environment, HTTPS with a
// generated development certificate, and Bedrock API keys from the Go SDK.
func TestServeConfigTLSAndAPIKeys(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TEAM_A_SECRET", "team-a-secret-value")
	t.Setenv("TEAM_A_API_KEY", "bedrock-api-key-team-a")
	cfg := filepath.Join(dir, "converse.yaml")
	if err := os.WriteFile(cfg, []byte(`
auth:
  principals:
    - name: team-a
      models: ["anthropic.*", "us.anthropic.*"]
      access_keys:
        - id: AKIATEAMAEXAMPLE
          secret: ${TEAM_A_SECRET}
      api_keys: ["${TEAM_A_API_KEY}"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(dir, "dev-ca.pem")
	endpoint := startServe(t, "-config", cfg, "-tls-dev-cert", certFile)
	if !strings.HasPrefix(endpoint, "https://") {
		t.Fatalf("endpoint %s is not HTTPS", endpoint)
	}
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("development certificate is not PEM")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	const claude = "anthropic.claude-3-haiku-20240307-v1:0"

	cases := []struct {
		name string
		opts sdktest.Options
		model,
		wantCode string
	}{
		{"access key", sdktest.Options{AccessKeyID: "AKIATEAMAEXAMPLE", SecretAccessKey: "team-a-secret-value"}, claude, ""},
		{"api key", sdktest.Options{BearerToken: "bedrock-api-key-team-a"}, claude, ""},
		{"api key, disallowed model", sdktest.Options{BearerToken: "bedrock-api-key-team-a"}, "amazon.nova-lite-v1:0", "AccessDeniedException"},
		{"wrong api key", sdktest.Options{BearerToken: "bedrock-api-key-team-b"}, claude, "AccessDeniedException"},
		{"unknown access key", sdktest.Options{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}, claude, "UnrecognizedClientException"},
		{"development key is off with a config", sdktest.Options{}, claude, "UnrecognizedClientException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.HTTPClient = hc
			err := hello(t, sdktest.Client(t, endpoint, tc.opts), tc.model)
			if got := errorCode(err); got != tc.wantCode {
				t.Errorf("error %v, want code %q", err, tc.wantCode)
			}
			if err != nil && strings.Contains(err.Error(), "team-a-secret-value") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestServeInsecureNoAuth(t *testing.T) {
	endpoint := startServe(t, "-insecure-no-auth")
	err := hello(t, sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "anything", SecretAccessKey: "at-all"}), "anthropic.claude-3-haiku-20240307-v1:0")
	if err != nil {
		t.Fatal(err)
	}
}

func TestServeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "extra"},
		{"serve", "-log-format", "xml"},
		{"serve", "-config", "does-not-exist.yaml"},
		{"serve", "-tls-cert", "a.pem"},
		{"nonsense"},
		{},
	} {
		if err := run(t.Context(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}

// The README's routing example, with a fake Ollama: Claude 3 Haiku goes to
// it under its own model name, every other model stays on the built-in one,
// and the metrics listener counts both.
func TestServeRoutesToOpenAIBackend(t *testing.T) {
	var mu sync.Mutex
	var models []string
	ollama := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Model string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		models = append(models, body.Model)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"x","object":"chat.completion","model":"llama3.2","choices":[{"index":0,"message":{"role":"assistant","content":"from ollama"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
	}))
	t.Cleanup(ollama.Close)
	cfg := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(cfg, []byte(`
backends:
  - name: ollama
    kind: openai
    base_url: `+ollama.URL+`/v1
routes:
  - match: anthropic.claude-3-haiku-20240307-v1:0
    backend: ollama
    model: llama3.2
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	endpoint := startServe(t, "-config", cfg, "-metrics-addr", metricsAddr)
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	ask := func(model string) string {
		out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
			ModelId:  aws.String(model),
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
		})
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		return out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
	}
	if got := ask("us.anthropic.claude-3-haiku-20240307-v1:0"); got != "from ollama" {
		t.Errorf("haiku answered %q, want the Ollama backend", got)
	}
	if got := ask("amazon.nova-lite-v1:0"); got == "from ollama" || !strings.HasPrefix(got, "H") { // the built-in model's greeting
		t.Errorf("nova answered %q, want the built-in model", got)
	}
	mu.Lock()
	if len(models) != 1 || models[0] != "llama3.2" {
		t.Errorf("Ollama saw models %v, want [llama3.2]", models)
	}
	mu.Unlock()

	hc := &http.Client{Transport: &http.Transport{}}
	resp, err := hc.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		// Labelled by the served catalogue model and the configured
		// backend's provider, not by the ID as sent.
		`gen_ai_server_request_duration_seconds_count{converse_backend="ollama",converse_operation="Converse",error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="anthropic.claude-3-haiku-20240307-v1:0"} 1`,
		`gen_ai_server_request_duration_seconds_count{converse_backend="builtin",converse_operation="Converse",error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="converse",gen_ai_request_model="amazon.nova-lite-v1:0"} 1`,
		`converse_tokens_total{converse_backend="ollama",gen_ai_provider_name="openai",gen_ai_request_model="anthropic.claude-3-haiku-20240307-v1:0",gen_ai_token_type="output"} 2`,
		`converse_overhead_seconds_count{converse_backend="ollama",converse_operation="Converse",gen_ai_provider_name="openai"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Two `converse serve` replicas configured with one Redis share the prompt
// cache: what one writes, the other reads.
func TestServeReplicasShareCacheThroughRedis(t *testing.T) {
	addr := redistest.Start(t)
	cfg := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(cfg, []byte("redis:\n  url: redis://"+addr+"/0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	system := strings.Repeat("Shared policy text for the prompt cache. ", 200)
	call := func(endpoint string) (read, write int32) {
		out, err := sdktest.Client(t, endpoint, sdktest.Options{}).Converse(t.Context(), &bedrockruntime.ConverseInput{
			ModelId: aws.String("anthropic.claude-3-7-sonnet-20250219-v1:0"),
			System: []types.SystemContentBlock{
				&types.SystemContentBlockMemberText{Value: system},
				&types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}},
			},
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return *out.Usage.CacheReadInputTokens, *out.Usage.CacheWriteInputTokens
	}
	r1, w1 := call(startServe(t, "-config", cfg))
	r2, w2 := call(startServe(t, "-config", cfg))
	if r1 != 0 || w1 == 0 || r2 != w1 || w2 != 0 {
		t.Errorf("replica 1 read %d wrote %d; replica 2 read %d wrote %d", r1, w1, r2, w2)
	}
}

// -script answers from scripted rules; -record writes what the backends
// answered; -replay answers from those files alone.
func TestServeScriptRecordReplay(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script.yaml")
	if err := os.WriteFile(script, []byte(`
rules:
  - name: greeting
    match: {text: "(?i)hello"}
    reply: {text: "Scripted hello."}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ask := func(endpoint, text string) (string, error) {
		out, err := sdktest.Client(t, endpoint, sdktest.Options{}).Converse(t.Context(), &bedrockruntime.ConverseInput{
			ModelId:  aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}},
		})
		if err != nil {
			return "", err
		}
		return out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value, nil
	}
	recordings := filepath.Join(dir, "recordings")
	rec := startServe(t, "-script", script, "-record", recordings)
	if got, err := ask(rec, "Hello there"); err != nil || got != "Scripted hello." {
		t.Fatalf("scripted answer %q, %v", got, err)
	}
	unscripted, err := ask(rec, "What is a tide?")
	if err != nil {
		t.Fatal(err)
	}
	play := startServe(t, "-replay", recordings)
	for text, want := range map[string]string{"Hello there": "Scripted hello.", "What is a tide?": unscripted} {
		if got, err := ask(play, text); err != nil || got != want {
			t.Errorf("replayed %q: %q, %v; want %q", text, got, err, want)
		}
	}
	_, err = ask(play, "Never recorded")
	if err == nil || !strings.Contains(err.Error(), "--record") {
		t.Errorf("replay miss: %v, want an error saying how to record", err)
	}
	if err := run(t.Context(), []string{"serve", "-record", dir, "-replay", dir}, io.Discard, io.Discard); err == nil {
		t.Error("-record with -replay accepted")
	}
}

// Credential scopes must name a region the server accepts: us-east-1 by
// default (what the banner says), others with -regions or auth.regions.
func TestServeRegions(t *testing.T) {
	const model = "anthropic.claude-3-haiku-20240307-v1:0"
	def := startServe(t)
	err := hello(t, sdktest.Client(t, def, sdktest.Options{Region: "eu-west-1"}), model)
	if errorCode(err) != "InvalidSignatureException" || !strings.Contains(err.Error(), "Credential should be scoped to a valid region, not 'eu-west-1'.") || !strings.Contains(err.Error(), "AWS_REGION=us-east-1") {
		t.Errorf("eu-west-1 against the default: %v", err)
	}
	eu := startServe(t, "-regions", "eu-west-1,eu-central-1")
	if err := hello(t, sdktest.Client(t, eu, sdktest.Options{Region: "eu-central-1"}), model); err != nil {
		t.Errorf("eu-central-1 with -regions: %v", err)
	}
	if err := hello(t, sdktest.Client(t, eu, sdktest.Options{}), model); errorCode(err) != "InvalidSignatureException" {
		t.Errorf("us-east-1 with -regions eu-west-1,eu-central-1: %v", err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "converse.yaml")
	if err := os.WriteFile(cfg, []byte("auth:\n  regions: [\"*\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := hello(t, sdktest.Client(t, startServe(t, "-config", cfg), sdktest.Options{Region: "ap-south-1"}), model); err != nil {
		t.Errorf(`ap-south-1 with auth.regions ["*"]: %v`, err)
	}
}

// models: in the config adds a Bedrock model ID without a new build and
// replaces a built-in entry by ID; other IDs still fail as on Bedrock.
func TestServeConfigModels(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(cfg, []byte(`
models:
  - id: anthropic.claude-fable-5
    family: claude
    capabilities: [streaming, tools, streaming_tools]
    context_window: 1000000
    max_output_tokens: 100
  - id: anthropic.claude-3-haiku-20240307-v1:0   # replaced: no tools any more
    capabilities: [streaming]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := sdktest.Client(t, startServe(t, "-config", cfg), sdktest.Options{})
	for _, id := range []string{"anthropic.claude-fable-5", "global.anthropic.claude-fable-5", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-fable-5"} {
		if err := hello(t, c, id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	converse := func(model string, maxTokens int32, tools bool) error {
		in := &bedrockruntime.ConverseInput{
			ModelId:         aws.String(model),
			Messages:        []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
			InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(maxTokens)},
		}
		if tools {
			in.ToolConfig = &types.ToolConfiguration{Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name: aws.String("lookup"), InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
			}}}}
		}
		_, err := c.Converse(t.Context(), in)
		return err
	}
	for _, tc := range []struct {
		name, model string
		maxTokens   int32
		tools       bool
		want        string // "" = success; else a part of the ValidationException
	}{
		{"added model with tools", "us.anthropic.claude-fable-5", 100, true, ""},
		{"added model's output limit", "anthropic.claude-fable-5", 101, false, "exceeds the model limit of 100"},
		{"replaced entry refuses tools", "anthropic.claude-3-haiku-20240307-v1:0", 100, true, "This model doesn't support tool use."},
		{"unlisted ID", "anthropic.claude-fable-6", 100, false, "The provided model identifier is invalid."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := converse(tc.model, tc.maxTokens, tc.tools)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (!errors.As(err, new(*types.ValidationException)) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want a ValidationException with %q", err, tc.want)
			}
		})
	}
}

// A mistake in models: stops the server at start with its line.
func TestServeRejectsBadModels(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(cfg, []byte("models:\n  - id: a.b\n    capabilities: [vision]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(t.Context(), []string{"serve", "-addr", "127.0.0.1:0", "-config", cfg}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `line 2: models[0] (a.b): capability "vision" is not one of`) {
		t.Errorf("serve: %v", err)
	}
}
