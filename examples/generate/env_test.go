package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/servertest"
)

// envVars are every variable the chat package's Environment section
// names; each case of TestChatEnvironment unsets all of them first.
var envVars = regexp.MustCompile(`\b(?:AWS|CONVERSE)_[A-Z_]+[A-Z]\b`)

// The chat package's doc names exactly the CONVERSE_* variables it reads.
func TestChatEnvironmentDocumented(t *testing.T) {
	doc := chatDoc(t)
	documented := map[string]bool{}
	for _, v := range envVars.FindAllString(doc, -1) {
		documented[v] = true
	}
	read := converseConstants(t)
	for _, v := range read {
		if !documented[v] {
			t.Errorf("chat reads %s, which `go doc ./chat` does not list", v)
		}
	}
	for v := range documented {
		if strings.HasPrefix(v, "CONVERSE_") && !slices.Contains(read, v) {
			t.Errorf("`go doc ./chat` lists %s, which chat does not read", v)
		}
	}
	for _, v := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_BEARER_TOKEN_BEDROCK", "AWS_CA_BUNDLE", "AWS_PROFILE"} {
		if !documented[v] {
			t.Errorf("`go doc ./chat` does not list %s", v)
		}
	}
}

// chatDoc is the package comment of chat.
func chatDoc(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../chat/doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	return f.Doc.Text()
}

// converseConstants are the CONVERSE_* string constants of package chat:
// the variables it reads.
func converseConstants(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../chat/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil && envVars.MatchString(v) && strings.HasPrefix(v, "CONVERSE_") && envVars.FindString(v) == v {
					out = append(out, v)
				}
			}
			return true
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// What the Environment section says holds: the AWS variables alone
// configure a client, and each CONVERSE_* variable wins over its AWS
// counterpart. The server takes SigV4 scoped to eu-central-1 only and an
// API key, over HTTPS with a development certificate.
func TestChatEnvironment(t *testing.T) {
	ao := auth.DevOptions()
	ao.Regions = []string{"eu-central-1"}
	ao.APIKeys = []auth.APIKey{{Key: "bedrock-api-key-dev", Principal: "dev"}}
	endpoint, caPEM := servertest.StartTLS(t, servertest.Options{Auth: &ao})
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	creds := filepath.Join(dir, "credentials")
	for name, content := range map[string]string{
		ca:    string(caPEM),
		creds: "[dev]\naws_access_key_id = test\naws_secret_access_key = test\n",
	} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const dead = "https://127.0.0.1:1" // nothing listens there
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"AWS variables", map[string]string{
			"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoint, "AWS_REGION": "eu-central-1", "AWS_CA_BUNDLE": ca,
			"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		}},
		{"AWS fallbacks", map[string]string{
			"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "eu-central-1", "AWS_CA_BUNDLE": ca,
			"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		}},
		{"AWS profile", map[string]string{
			"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoint, "AWS_REGION": "eu-central-1", "AWS_CA_BUNDLE": ca,
			"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_PROFILE": "dev",
		}},
		{"AWS API key", map[string]string{
			"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoint, "AWS_CA_BUNDLE": ca, "AWS_BEARER_TOKEN_BEDROCK": "bedrock-api-key-dev",
			"AWS_ACCESS_KEY_ID": "wrong", "AWS_SECRET_ACCESS_KEY": "wrong", // the API key wins
		}},
		{"CONVERSE_* over AWS", map[string]string{
			"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": dead, "AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "wrong", "AWS_SECRET_ACCESS_KEY": "wrong",
			"CONVERSE_ENDPOINT": endpoint, "CONVERSE_REGION": "eu-central-1", "CONVERSE_CA_BUNDLE": ca,
			"CONVERSE_ACCESS_KEY": "test", "CONVERSE_SECRET_KEY": "test",
		}},
		{"CONVERSE_* profile over AWS", map[string]string{
			"CONVERSE_ENDPOINT": endpoint, "CONVERSE_REGION": "eu-central-1", "CONVERSE_CA_BUNDLE": ca,
			"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"), "AWS_PROFILE": "nobody",
			"CONVERSE_PROFILE_CREDENTIALS_PATH": creds, "CONVERSE_PROFILE_CONFIGURATION_PATH": filepath.Join(dir, "none"), "CONVERSE_PROFILE_NAME": "dev",
		}},
		{"CONVERSE_API_KEY over AWS", map[string]string{
			"CONVERSE_ENDPOINT": endpoint, "CONVERSE_CA_BUNDLE": ca,
			"AWS_BEARER_TOKEN_BEDROCK": "wrong-key", "CONVERSE_API_KEY": "bedrock-api-key-dev",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range os.Environ() {
				if k, _, _ := strings.Cut(v, "="); strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "CONVERSE_") {
					t.Setenv(k, "") // restored after the test
					os.Unsetenv(k)
				}
			}
			// A home without ~/.aws, so only these variables count.
			t.Setenv("HOME", dir)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			t.Setenv("CONVERSE_CHAT_OPTIONS_MODEL", "amazon.nova-lite-v1:0")
			s, err := chat.SettingsFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			o, err := chat.OptionsFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			c, err := chat.New(t.Context(), chat.WithSettings(s), chat.WithOptions(o))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Prompt("Hello").Call(t.Context()); err != nil {
				t.Errorf("with %v: %v", tc.env, err)
			}
		})
	}
}
