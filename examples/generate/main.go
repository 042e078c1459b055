// Command generate is the seed's sample controller on chat:
//
//	GET /ai/generate?message=…        → {"generation": "…"}
//	GET /ai/generateStream?message=…  → Server-Sent Events, one {"generation": "…"} per chunk
//
// The message defaults to "Tell me a joke". Configuration comes from the
// environment, like the seed's application.properties (the variables of
// package chat: the standard AWS ones, with CONVERSE_* overriding them).
// A model is required: without CONVERSE_CHAT_OPTIONS_MODEL the sample
// says so and exits with status 2.
//
//	CONVERSE_REGION=eu-central-1
//	CONVERSE_TIMEOUT=10m
//	CONVERSE_ACCESS_KEY=$AWS_ACCESS_KEY_ID
//	CONVERSE_SECRET_KEY=$AWS_SECRET_ACCESS_KEY
//	CONVERSE_SESSION_TOKEN=$AWS_SESSION_TOKEN   # temporary credentials only
//	CONVERSE_ENDPOINT=http://localhost:8080      # converse serve; unset for AWS
//	CONVERSE_CHAT_OPTIONS_MODEL=anthropic.claude-3-haiku-20240307-v1:0
//	CONVERSE_CHAT_OPTIONS_TEMPERATURE=0.8
//	CONVERSE_CHAT_OPTIONS_TOP_K=15
//	GENERATE_ADDR=:8081
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/conversekit/converse/chat"
)

const defaultMessage = "Tell me a joke"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.LookupEnv, os.Stderr))
}

// run starts the sample and returns its exit code: 2 when the
// configuration cannot work (no model, a malformed value), said in one
// line, rather than answering every request with an error later.
func run(ctx context.Context, lookup func(string) (string, bool), stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	settings, err := chat.SettingsFromLookup(lookup)
	if err == nil {
		var opts chat.Options
		if opts, err = chat.OptionsFromLookup(lookup); err == nil && opts.Model == "" {
			err = fmt.Errorf("no model: set %s to a Bedrock model ID, e.g. %s=anthropic.claude-3-haiku-20240307-v1:0", chat.EnvModel, chat.EnvModel)
		}
		if err == nil {
			err = serve(ctx, settings, opts, lookup, log)
			if err != nil {
				log.Error("generate", "error", err.Error())
				return 1
			}
			return 0
		}
	}
	fmt.Fprintln(stderr, "generate:", err)
	return 2
}

func serve(ctx context.Context, settings chat.Settings, opts chat.Options, lookup func(string) (string, bool), log *slog.Logger) error {
	client, err := chat.New(ctx, chat.WithSettings(settings), chat.WithOptions(opts))
	if err != nil {
		return err
	}
	defer client.Close()
	addr, _ := lookup("GENERATE_ADDR")
	if addr == "" {
		addr = ":8081"
	}
	srv := &http.Server{Addr: addr, Handler: Handler(client, log), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	log.Info("listening", "addr", addr, "model", opts.Model, "settings", settings)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler serves the two endpoints with client.
func Handler(client *chat.Client, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ai/generate", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Prompt(message(r)).Call(r.Context())
		if err != nil {
			if gone(r) {
				log.InfoContext(r.Context(), "generate: the client went away before the answer")
				return
			}
			log.ErrorContext(r.Context(), "generate", "error", err.Error())
			http.Error(w, "generation failed", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"generation": resp.Text})
	})
	mux.HandleFunc("GET /ai/generateStream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		rc := http.NewResponseController(w)
		for chunk, err := range client.Prompt(message(r)).Stream(r.Context()) {
			if err != nil {
				if gone(r) {
					log.InfoContext(r.Context(), "generate stream: the client went away before the end")
					return
				}
				log.ErrorContext(r.Context(), "generate stream", "error", err.Error())
				fmt.Fprint(w, "event: error\ndata: {\"error\":\"generation failed\"}\n\n")
				rc.Flush()
				return
			}
			if chunk.Text == "" {
				continue
			}
			data, _ := json.Marshal(map[string]string{"generation": chunk.Text})
			if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
				return
			}
			rc.Flush()
		}
	})
	return mux
}

// gone reports whether the client hung up: its request's context ends
// then, which ends the model call too. That is the client's choice, not a
// failure of the sample.
func gone(r *http.Request) bool { return r.Context().Err() != nil }

func message(r *http.Request) string {
	if m := r.URL.Query().Get("message"); m != "" {
		return m
	}
	return defaultMessage
}
