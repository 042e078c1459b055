package chat_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/servertest"
)

const testAPIKey = "bedrock-api-key-dGVzdA=="

// startAPIKeyServer runs a converse server over HTTPS that accepts only
// the API key: a SigV4-signed request would be refused.
func startAPIKeyServer(t *testing.T) (endpoint string, caPEM []byte) {
	t.Helper()
	return servertest.StartTLS(t, servertest.Options{Auth: &auth.Options{
		Principals: []auth.Principal{{Name: "team", Models: []string{"*"}}},
		APIKeys:    []auth.APIKey{{Key: testAPIKey, Principal: "team"}},
	}})
}

func apiKeyClient(t *testing.T, s chat.Settings) *chat.Client {
	t.Helper()
	c, err := chat.New(t.Context(), chat.WithSettings(s), chat.WithRetry(chat.Retry{MaxAttempts: 1}), chat.WithOptions(chat.Options{Model: haiku}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestAPIKey(t *testing.T) {
	endpoint, ca := startAPIKeyServer(t)
	c := apiKeyClient(t, chat.Settings{Endpoint: endpoint, APIKey: testAPIKey, CABundle: ca})

	resp, err := c.Prompt("Tell me a joke").Call(t.Context())
	if err != nil {
		t.Fatalf("call with the API key: %v", err)
	}
	if resp.Text == "" {
		t.Error("empty answer")
	}
	text, err := streamErr(c, t.Context())
	if err != nil {
		t.Fatalf("stream with the API key: %v", err)
	}
	if text == "" {
		t.Error("empty streamed answer")
	}
}

func TestAPIKeyWrong(t *testing.T) {
	endpoint, ca := startAPIKeyServer(t)
	c := apiKeyClient(t, chat.Settings{Endpoint: endpoint, APIKey: "bedrock-api-key-wrong", CABundle: ca})
	_, err := c.Prompt("hi").Call(t.Context())
	var denied *types.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Fatalf("call err %v (%T), want *types.AccessDeniedException", err, err)
	}
	_, err = streamErr(c, t.Context())
	if !errors.As(err, &denied) {
		t.Errorf("stream err %v (%T), want *types.AccessDeniedException", err, err)
	}

	// The server takes nothing but the key: SigV4 is refused, so
	// TestAPIKey's success means the key was sent.
	c = apiKeyClient(t, chat.Settings{Endpoint: endpoint, AccessKey: "test", SecretKey: "test", CABundle: ca})
	_, err = c.Prompt("hi").Call(t.Context())
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("SigV4 against a key-only server: err %v, want UnrecognizedClientException", err)
	}
}

func TestAPIKeyNeedsHTTPS(t *testing.T) {
	_, err := chat.New(t.Context(), chat.WithSettings(chat.Settings{Endpoint: "http://localhost:8080", APIKey: testAPIKey}))
	if err == nil || !strings.Contains(err.Error(), "HTTPS") {
		t.Errorf("err %v, want a refusal of an API key over http://", err)
	}
}

func TestCABundleNotPEM(t *testing.T) {
	_, err := chat.New(t.Context(), chat.WithSettings(chat.Settings{AccessKey: "a", SecretKey: "b", CABundle: []byte("not a certificate")}))
	if err == nil || !strings.Contains(err.Error(), "CA bundle") {
		t.Errorf("err %v, want a refusal of a CA bundle without certificates", err)
	}
}

func TestCABundle(t *testing.T) {
	endpoint, _ := startAPIKeyServer(t)
	// Without the development CA the server's certificate is untrusted.
	c := apiKeyClient(t, chat.Settings{Endpoint: endpoint, APIKey: testAPIKey})
	_, err := c.Prompt("hi").Call(t.Context())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("err %v, want an untrusted certificate", err)
	}
}

// TestBearerTokenEnv: the SDK's AWS_BEARER_TOKEN_BEDROCK works without any
// chat setting, and keys given in Settings win over it.
func TestBearerTokenEnv(t *testing.T) {
	endpoint, ca := startAPIKeyServer(t)
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", testAPIKey)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	c := apiKeyClient(t, chat.Settings{Endpoint: endpoint, CABundle: ca})
	if _, err := c.Prompt("hi").Call(t.Context()); err != nil {
		t.Errorf("ambient AWS_BEARER_TOKEN_BEDROCK: %v", err)
	}

	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-wrong")
	c = apiKeyClient(t, chat.Settings{Endpoint: endpoint, APIKey: testAPIKey, CABundle: ca})
	if _, err := c.Prompt("hi").Call(t.Context()); err != nil {
		t.Errorf("Settings.APIKey over a wrong ambient token: %v", err)
	}

	// Against the development key server, explicit SigV4 keys are used
	// although an ambient bearer token exists.
	devEndpoint, devCA := servertest.StartTLS(t, servertest.Options{})
	c = apiKeyClient(t, chat.Settings{Endpoint: devEndpoint, AccessKey: "test", SecretKey: "test", CABundle: devCA})
	if _, err := c.Prompt("hi").Call(t.Context()); err != nil {
		t.Errorf("Settings keys over an ambient bearer token: %v", err)
	}
}

func TestAPIKeyFromLookup(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	pem := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	if err := os.WriteFile(caFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"converse", map[string]string{"CONVERSE_API_KEY": "k1"}, "k1"},
		{"sdk", map[string]string{"AWS_BEARER_TOKEN_BEDROCK": "k2"}, "k2"},
		{"converse first", map[string]string{"CONVERSE_API_KEY": "k1", "AWS_BEARER_TOKEN_BEDROCK": "k2"}, "k1"},
		{"empty converse", map[string]string{"CONVERSE_API_KEY": "", "AWS_BEARER_TOKEN_BEDROCK": "k2"}, "k2"},
		{"none", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["CONVERSE_CA_BUNDLE"] = caFile
			s, err := chat.SettingsFromLookup(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			if s.APIKey != tt.want {
				t.Errorf("APIKey %q, want %q", s.APIKey, tt.want)
			}
			if string(s.CABundle) != string(pem) {
				t.Errorf("CABundle %q, want the file's content", s.CABundle)
			}
		})
	}
	missing := map[string]string{"CONVERSE_CA_BUNDLE": filepath.Join(dir, "missing.pem")}
	if _, err := chat.SettingsFromLookup(func(k string) (string, bool) { v, ok := missing[k]; return v, ok }); err == nil || !strings.Contains(err.Error(), "CONVERSE_CA_BUNDLE") {
		t.Errorf("missing CA file: err %v", err)
	}
}

func TestSettingsRedactAPIKey(t *testing.T) {
	s := chat.Settings{APIKey: testAPIKey, SecretKey: "wJalrXUtnFEMI", Endpoint: "https://localhost:8443"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("settings", "s", s)
	for _, out := range []string{s.String(), fmt.Sprint(s), fmt.Sprintf("%v", s), logged.String()} {
		if strings.Contains(out, "dGVzdA") || strings.Contains(out, "wJalr") {
			t.Errorf("secret leaked: %s", out)
		}
		if !strings.Contains(out, "APIKey:REDACTED") || !strings.Contains(out, "https://localhost:8443") {
			t.Errorf("want the redacted key and the endpoint: %s", out)
		}
	}
}
