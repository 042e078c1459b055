package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// teamAuth is a configured principal with an access key and an API key,
// allowed Anthropic models only. skew moves the server's clock.
func teamAuth(skew time.Duration) *auth.Options {
	return &auth.Options{
		Principals: []auth.Principal{{Name: "team", Models: []string{"anthropic.*", "us.anthropic.*"}}},
		AccessKeys: []auth.AccessKey{{ID: "AKIATEAMEXAMPLE00001", Secret: "team-secret", Principal: "team"}},
		APIKeys:    []auth.APIKey{{Key: "team-bedrock-api-key", Principal: "team"}},
		Now:        func() time.Time { return time.Now().Add(skew) },
	}
}

const claudeHaiku = "anthropic.claude-3-haiku-20240307-v1:0"

// The Go SDK with configured keys: every failure reaches it as the
// exception type the AWS front end uses.
func TestAuthThroughGoSDK(t *testing.T) {
	endpoint := servertest.Start(t, servertest.Options{Auth: teamAuth(0)})
	skewed := servertest.Start(t, servertest.Options{Auth: teamAuth(20 * time.Minute)})
	good := sdktest.Options{AccessKeyID: "AKIATEAMEXAMPLE00001", SecretAccessKey: "team-secret"}
	for _, tc := range []struct {
		name, endpoint, model, want string
		opts                        sdktest.Options
	}{
		{"valid key", endpoint, claudeHaiku, "", good},
		{"profile-prefixed model", endpoint, "us." + claudeHaiku, "", good},
		{"wrong secret", endpoint, claudeHaiku, "InvalidSignatureException", sdktest.Options{AccessKeyID: "AKIATEAMEXAMPLE00001", SecretAccessKey: "nope"}},
		{"unknown key", endpoint, claudeHaiku, "UnrecognizedClientException", sdktest.Options{AccessKeyID: "AKIAUNKNOWN000000001", SecretAccessKey: "x"}},
		{"skewed clock", skewed, claudeHaiku, "InvalidSignatureException", good},
		{"disallowed model", endpoint, "amazon.nova-lite-v1:0", "AccessDeniedException", good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sdktest.Client(t, tc.endpoint, tc.opts).Converse(t.Context(), &bedrockruntime.ConverseInput{
				ModelId: aws.String(tc.model), Messages: []types.Message{userText("Hello")},
			})
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %v, want %s", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "team-secret") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
	// A skewed clock's message says what is wrong.
	_, err := sdktest.Client(t, skewed, good).Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(claudeHaiku), Messages: []types.Message{userText("Hello")}})
	if err == nil || !strings.Contains(err.Error(), "Signature not yet current") && !strings.Contains(err.Error(), "Signature expired") {
		t.Errorf("skewed clock: message does not say what is wrong: %v", err)
	}
}

// The JavaScript SDK over HTTPS (HTTP/2 by ALPN) with configured keys,
// Bedrock API keys through AWS_BEARER_TOKEN_BEDROCK, and each failure.
func TestAuthThroughJavaScriptSDK(t *testing.T) {
	endpoint, caPEM := servertest.StartTLS(t, servertest.Options{Auth: teamAuth(0)})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []map[string]any{
		{"name": "valid key", "accessKeyId": "AKIATEAMEXAMPLE00001", "secretAccessKey": "team-secret", "model": claudeHaiku, "expect": "ok"},
		{"name": "api key", "bearer": "team-bedrock-api-key", "model": claudeHaiku, "expect": "ok"},
		{"name": "wrong api key", "bearer": "someone-elses-key", "model": claudeHaiku, "expect": "AccessDeniedException"},
		{"name": "wrong secret", "accessKeyId": "AKIATEAMEXAMPLE00001", "secretAccessKey": "nope", "model": claudeHaiku, "expect": "InvalidSignatureException"},
		{"name": "unknown key", "accessKeyId": "AKIAUNKNOWN000000001", "secretAccessKey": "x", "model": claudeHaiku, "expect": "UnrecognizedClientException"},
		{"name": "skewed clock", "accessKeyId": "AKIATEAMEXAMPLE00001", "secretAccessKey": "team-secret", "clockOffsetMs": -20 * 60 * 1000, "model": claudeHaiku, "expect": "InvalidSignatureException"},
		{"name": "disallowed model", "accessKeyId": "AKIATEAMEXAMPLE00001", "secretAccessKey": "team-secret", "model": "amazon.nova-lite-v1:0", "expect": "AccessDeniedException"},
	}
	arg, _ := json.Marshal(cases)
	out := clientScript(t, "auth.mjs", endpoint, []string{"NODE_EXTRA_CA_CERTS=" + caFile}, string(arg))
	if strings.Contains(out, "team-secret") {
		t.Errorf("a message leaks the secret:\n%s", out)
	}
}
