package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Setenv("TEAM_A_SECRET", "s3cret")
	got, err := Parse([]byte(`
listen: 0.0.0.0:9000
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
		Listen: "0.0.0.0:9000",
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
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
