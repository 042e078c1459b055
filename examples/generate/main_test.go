package main

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/servertest"
)

// startConverse runs a converse server on the built-in model that accepts
// the development key signed for eu-central-1 only, so a sample that
// ignored CONVERSE_REGION would be refused.
func startConverse(t *testing.T) string {
	t.Helper()
	ao := auth.DevOptions()
	ao.Regions = []string{"eu-central-1"}
	return servertest.Start(t, servertest.Options{Auth: &ao})
}

func sample(t *testing.T) *httptest.Server {
	t.Helper()
	env := map[string]string{
		"CONVERSE_ENDPOINT":                 startConverse(t),
		"CONVERSE_REGION":                   "eu-central-1",
		"CONVERSE_TIMEOUT":                  "10m",
		"CONVERSE_ACCESS_KEY":               "test",
		"CONVERSE_SECRET_KEY":               "test",
		"CONVERSE_CHAT_OPTIONS_MODEL":       "anthropic.claude-3-haiku-20240307-v1:0",
		"CONVERSE_CHAT_OPTIONS_TEMPERATURE": "0.8",
		"CONVERSE_CHAT_OPTIONS_TOP_K":       "15",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
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
	t.Cleanup(c.Close)
	hs := httptest.NewServer(Handler(c, slog.New(slog.DiscardHandler)))
	t.Cleanup(hs.Close)
	return hs
}

func get(t *testing.T, u string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	return resp
}

func TestGenerate(t *testing.T) {
	hs := sample(t)
	var joke, asked struct{ Generation string }
	json.NewDecoder(get(t, hs.URL+"/ai/generate").Body).Decode(&joke)
	json.NewDecoder(get(t, hs.URL+"/ai/generate?message="+url.QueryEscape("Explain overfitting")).Body).Decode(&asked)
	if joke.Generation == "" || asked.Generation == "" || joke.Generation == asked.Generation {
		t.Errorf("default %q, asked %q: want two different answers", joke.Generation, asked.Generation)
	}
	if !strings.Contains(strings.ToLower(asked.Generation), "overfitting") {
		t.Errorf("answer %q ignores the message", asked.Generation)
	}
}

func TestGenerateStream(t *testing.T) {
	hs := sample(t)
	var whole struct{ Generation string }
	json.NewDecoder(get(t, hs.URL+"/ai/generate").Body).Decode(&whole)
	resp := get(t, hs.URL+"/ai/generateStream")
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	var b strings.Builder
	events := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct{ Generation string }
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		events++
		b.WriteString(ev.Generation)
	}
	if events < 2 || b.String() != whole.Generation {
		t.Errorf("%d events joining to %q, want the streamed form of %q", events, b.String(), whole.Generation)
	}
}
