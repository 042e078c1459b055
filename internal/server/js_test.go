package server_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJavaScriptSDK runs jstest/seed.mjs — the seeds' JavaScript calls with
// the official @aws-sdk/client-bedrock-runtime, which speaks only HTTP/2
// (h2c) to an http:// endpoint — against a converse server. `make test`
// installs the npm packages and sets CONVERSE_REQUIRE_JS=1 so that a missing
// install fails instead of skipping.
func TestJavaScriptSDK(t *testing.T) {
	dir, err := filepath.Abs("../../jstest")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-bedrock-runtime")); err != nil || statErr != nil {
		if os.Getenv("CONVERSE_REQUIRE_JS") != "" {
			t.Fatalf("node (%v) or jstest/node_modules (%v) missing: run npm ci in jstest", err, statErr)
		}
		t.Skip("node or jstest/node_modules missing; make test installs them")
	}
	endpoint := start(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "seed.mjs")
	cmd.Dir = dir
	// Only our AWS settings: an inherited AWS_BEARER_TOKEN_BEDROCK or
	// profile would change how the SDK signs.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME="+endpoint,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("seed.mjs: %v\n%s", err, out.String())
	}
	t.Logf("seed.mjs:\n%s", out.String())
}
