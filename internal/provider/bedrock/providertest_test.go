package bedrock_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/bedrock"
	"github.com/conversekit/converse/internal/provider/providertest"
	"github.com/conversekit/converse/internal/servertest"
)

// suiteBackend runs the provider against a second converse acting as AWS
// (real SigV4 on the hop), whose model is providertest's scripted Model: a
// failure by status is the exception Bedrock sends for it
// (providertest.Exception), so the upstream answers with Bedrock's own
// error shape and status.
type suiteBackend struct{}

func (suiteBackend) Can(providertest.Capability) bool { return true }

func (suiteBackend) Start(t *testing.T, r providertest.Reply) *providertest.Session {
	t.Helper()
	m := providertest.NewModel(r)
	ao := auth.Options{
		Principals: []auth.Principal{{Name: "suite-hop", Models: []string{"*"}}},
		AccessKeys: []auth.AccessKey{{ID: "AKIDSUITEHOP", Secret: "suite-hop-secret", Principal: "suite-hop"}},
	}
	endpoint := servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"suite": m}, Default: "suite", Auth: &ao})
	p, err := bedrock.New(t.Context(), bedrock.Options{
		Region:      "us-east-1",
		Endpoint:    endpoint,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSUITEHOP", "suite-hop-secret", ""),
		HTTPClient:  httpClient(t),
		Name:        "suite-bedrock",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &providertest.Session{Provider: p, Received: m.Received, Released: m.Released()}
}

func TestProviderSuite(t *testing.T) { providertest.Run(t, suiteBackend{}) }
