package wire_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/media"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// corpusCase is one entry of testdata/validation/{invalid,valid}.json; the
// files document the format so the same corpus can be replayed through the
// official SDK against a running server.
type corpusCase struct {
	Name      string          `json:"name"`
	Operation string          `json:"operation"`
	ModelID   string          `json:"modelId"`
	Body      json.RawMessage `json:"body"`
	RawBody   *string         `json:"rawBody"`
	Exception string          `json:"exception"`
	Message   string          `json:"message"`
}

func loadCorpus(t testing.TB, file string) []corpusCase {
	t.Helper()
	b, err := os.ReadFile("testdata/validation/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []corpusCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// pipeline runs what the server runs before a provider sees the request:
// decode, structural + semantic validation, catalogue lookup and
// capabilities, attachment checks.
func pipeline(v *wire.Validator, cat *catalog.Catalog, c corpusCase) error {
	counter, err := tokens.New()
	if err != nil {
		return err
	}
	body := []byte(c.Body)
	if c.RawBody != nil {
		body = []byte(*c.RawBody)
	}
	if c.Operation == "CountTokens" {
		var req wire.CountTokensRequest
		if err := wire.Decode(body, &req); err != nil {
			return err
		}
		req.ModelID = c.ModelID
		if err := v.CountTokens(&req); err != nil {
			return err
		}
		if _, ok := cat.Lookup(req.ModelID); !ok {
			return catalog.UnknownModel(req.ModelID)
		}
		return nil
	}
	stream := c.Operation == "ConverseStream"
	var req wire.ConverseRequest
	if err := wire.Decode(body, &req); err != nil {
		return err
	}
	req.ModelID = c.ModelID
	if err := v.Converse(&req, stream); err != nil {
		return err
	}
	if strings.Contains(req.ModelID, ":prompt/") {
		return nil // prompt ARNs are resolved by a route, not the catalogue
	}
	m, ok := cat.Lookup(req.ModelID)
	if !ok {
		return catalog.UnknownModel(req.ModelID)
	}
	if err := cat.CheckCapabilities(m, &req); err != nil {
		return err
	}
	if err := catalog.CheckContextWindow(m, len(body), func() int { return counter.Converse(tokens.FromRequest(&req)).Total }); err != nil {
		return err
	}
	if stream {
		if err := cat.CheckStream(m, &req); err != nil {
			return err
		}
	}
	return media.Check(&req)
}

func TestInvalidCorpus(t *testing.T) {
	v, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	cases := loadCorpus(t, "invalid.json")
	if len(cases) < 150 {
		t.Errorf("invalid corpus has %d cases, want at least 150", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			err := pipeline(v, cat, c)
			var ex *wire.Exception
			if !errors.As(err, &ex) {
				t.Fatalf("got %v, want %s", err, c.Exception)
			}
			if ex.Type != c.Exception || !strings.Contains(ex.Message, c.Message) {
				t.Errorf("got %s: %s\nwant %s containing %q", ex.Type, ex.Message, c.Exception, c.Message)
			}
		})
	}
}

func TestValidCorpus(t *testing.T) {
	v, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New()
	for _, c := range loadCorpus(t, "valid.json") {
		t.Run(c.Name, func(t *testing.T) {
			if err := pipeline(v, cat, c); err != nil {
				t.Errorf("rejected: %v", err)
			}
		})
	}
}
