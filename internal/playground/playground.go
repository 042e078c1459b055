// Package playground serves the web playground: a page, embedded in the
// binary, that talks to the server's own Bedrock Runtime routes from the
// browser (signing with SigV4 in JavaScript, or sending a Bedrock API key
// the user pastes), plus two small JSON endpoints: the page's settings
// (models with their capabilities, routes, which credentials to use) and,
// for operators, the recent calls.
//
// The server mounts the handler for GET requests under Path, before
// authentication: the page and its settings hold no secret except the
// development key, which is public. The request log authenticates each
// read as the Bedrock routes do and answers only operators.
package playground

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/glob"
	"github.com/conversekit/converse/internal/wire"
)

// Path is where the playground is served; the page is Path + "/".
const Path = "/playground"

// Ways the page authenticates its calls (Auth.Mode).
const (
	// ModeDev: the server runs with the development key, which the page
	// receives and signs with.
	ModeDev = "dev"
	// ModeOpen: the server checks no credentials (-insecure-no-auth).
	ModeOpen = "open"
	// ModeKeys: configured principals; the user pastes a Bedrock API key
	// or an access key pair, which stays in the page.
	ModeKeys = "keys"
)

//go:embed static
var static embed.FS

// Auth tells the page how to authenticate.
type Auth struct {
	// Mode is ModeDev, ModeOpen or ModeKeys (the default).
	Mode string
	// AccessKeyID and SecretAccessKey are the development key, sent to
	// the page in ModeDev only.
	AccessKeyID     string
	SecretAccessKey string
	// Region is the SigV4 signing region (default us-east-1).
	Region string
}

// Route is a routing rule as the model picker shows it.
type Route struct {
	Match   string `json:"match"`
	Backend string `json:"backend"`
	Model   string `json:"model,omitempty"`
}

// Authenticator says who signed a request (auth.Verifier, auth.Open), as
// the server asks it.
type Authenticator interface {
	Identify(r *http.Request) (*auth.Pending, error)
}

// Options configure the playground. The zero value serves the page with no
// models, asking for keys, without a request log.
type Options struct {
	// Models are offered in the picker with their capabilities.
	Models []catalog.Model
	// Routes, Aliases and Default (the backend of catalogue models no
	// route claims) say which backend answers each model, as the router
	// decides it.
	Routes  []Route
	Aliases map[string]string
	Default string
	Auth    Auth
	// Recent holds the calls the request log shows; nil turns the log off.
	Recent *Recent
	// Verifier authenticates reads of the request log; nil turns it off.
	Verifier Authenticator
	// Operators are the principals allowed to read the request log.
	Operators []string
	// Logger receives refused reads of the request log; nil discards.
	Logger *slog.Logger
}

// Handler serves the playground under Path.
type Handler struct {
	opts   Options
	mux    *http.ServeMux
	config []byte // the settings document, built once
}

// New returns the playground's handler.
func New(opts Options) (*Handler, error) {
	if opts.Auth.Mode == "" {
		opts.Auth.Mode = ModeKeys
	}
	if opts.Auth.Region == "" {
		opts.Auth.Region = "us-east-1"
	}
	switch opts.Auth.Mode {
	case ModeDev:
		if opts.Auth.AccessKeyID == "" || opts.Auth.SecretAccessKey == "" {
			return nil, errors.New("playground: development mode needs the development key")
		}
	case ModeOpen, ModeKeys:
		// Only the public development key is ever sent to the page.
		opts.Auth.AccessKeyID, opts.Auth.SecretAccessKey = "", ""
	default:
		return nil, errors.New("playground: unknown auth mode " + opts.Auth.Mode)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, mux: http.NewServeMux()}
	var err error
	if h.config, err = json.Marshal(h.settings()); err != nil {
		return nil, err
	}
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	h.mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Path+"/", http.StatusMovedPermanently)
	})
	h.mux.HandleFunc("GET "+Path+"/api/config", h.serveConfig)
	h.mux.HandleFunc("GET "+Path+"/api/log", h.serveLog)
	h.mux.Handle("GET "+Path+"/", h.serveFiles(files))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// The page runs only its own scripts and talks only to this origin,
	// so rendered model output cannot load or send anything.
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) serveFiles(files fs.FS) http.Handler {
	mod := time.Time{} // embedded files have none; no Last-Modified
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Path+"/")
		if name == "" {
			name = "index.html"
		}
		b, err := fs.ReadFile(files, path.Clean(name))
		if err != nil || strings.Contains(name, "..") {
			http.NotFound(w, r)
			return
		}
		// The assets change with the binary, so the browser revalidates.
		w.Header().Set("Cache-Control", "no-cache")
		if ct, ok := contentTypes[path.Ext(name)]; ok {
			w.Header().Set("Content-Type", ct)
		}
		http.ServeContent(w, r, name, mod, bytes.NewReader(b))
	})
}

// contentTypes are set explicitly: browsers run modules only when served
// as JavaScript, and the system's MIME table may not know .mjs.
var contentTypes = map[string]string{
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".html": "text/html; charset=utf-8",
}

// settings is what /api/config tells the page.
type settings struct {
	Auth       pageAuth `json:"auth"`
	Models     []model  `json:"models"`
	Routes     []Route  `json:"routes"`
	Aliases    []alias  `json:"aliases"`
	RequestLog bool     `json:"requestLog"`
}

type pageAuth struct {
	Mode            string `json:"mode"`
	Region          string `json:"region"`
	AccessKeyID     string `json:"accessKeyId,omitempty"`
	SecretAccessKey string `json:"secretAccessKey,omitempty"`
}

type alias struct {
	Name    string `json:"name"`
	Target  string `json:"target"`
	Backend string `json:"backend"`
}

// model is a catalogue entry as the picker shows it.
type model struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
	Backend  string `json:"backend"`
	// Capabilities name what the model accepts: streaming, tools,
	// streamingTools, images, documents, video, audio, reasoning,
	// cacheSystem, cacheTools, cacheMessages.
	Capabilities    []string `json:"capabilities"`
	MaxOutputTokens int      `json:"maxOutputTokens,omitempty"`
	MinCacheTokens  int      `json:"minCacheTokens,omitempty"`
}

func (h *Handler) settings() settings {
	o := h.opts
	s := settings{
		Auth:       pageAuth{Mode: o.Auth.Mode, Region: o.Auth.Region, AccessKeyID: o.Auth.AccessKeyID, SecretAccessKey: o.Auth.SecretAccessKey},
		Models:     []model{},
		Routes:     append([]Route{}, o.Routes...),
		Aliases:    []alias{},
		RequestLog: o.Recent != nil && o.Verifier != nil && len(o.Operators) > 0,
	}
	for _, m := range o.Models {
		s.Models = append(s.Models, model{
			ID: m.ID, Name: m.Name, Provider: m.Provider, Backend: h.backend(m.ID),
			Capabilities: capabilities(m), MaxOutputTokens: m.MaxOutputTokens, MinCacheTokens: m.MinCacheTokens,
		})
	}
	for _, name := range sortedKeys(o.Aliases) {
		s.Aliases = append(s.Aliases, alias{Name: name, Target: o.Aliases[name], Backend: h.backend(name)})
	}
	return s
}

// backend names the backend that answers modelID: the first route that
// matches a form of it (after aliases), else the default one. It mirrors
// the router's choice for display only.
func (h *Handler) backend(modelID string) string {
	id := modelID
	if a, ok := h.opts.Aliases[id]; ok {
		id = a
	}
	forms := catalog.Forms(id)
	for _, rt := range h.opts.Routes {
		if slices.ContainsFunc(forms, func(f string) bool { return glob.Match(rt.Match, f) }) {
			return rt.Backend
		}
	}
	return h.opts.Default
}

func capabilities(m catalog.Model) []string {
	var out []string
	for _, c := range []struct {
		ok   bool
		name string
	}{
		{m.Streaming, "streaming"}, {m.Tools, "tools"}, {m.StreamingTools, "streamingTools"},
		{m.Images, "images"}, {m.Documents, "documents"}, {m.Video, "video"}, {m.Audio, "audio"},
		{m.Reasoning, "reasoning"}, {m.CacheSystem, "cacheSystem"}, {m.CacheTools, "cacheTools"},
		{m.CacheMessages, "cacheMessages"},
	} {
		if c.ok {
			out = append(out, c.name)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (h *Handler) serveConfig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(h.config)
}

// serveLog answers the recent calls to an operator. The page signs the
// GET as it signs Bedrock calls, so the same keys decide who reads it.
func (h *Handler) serveLog(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	o := h.opts
	if o.Recent == nil || o.Verifier == nil || len(o.Operators) == 0 {
		writeError(w, http.StatusNotFound, wire.ResourceNotFoundException,
			"The request log is off. Run with the development key, or list principals under playground.operators.")
		return
	}
	id, err := identify(o.Verifier, r)
	if err != nil {
		ex := wire.AsException(err)
		writeError(w, ex.HTTPStatus(), ex.Type, ex.Message)
		return
	}
	if name := id.Principal.Name; !slices.Contains(o.Operators, name) {
		o.Logger.Info("playground request log refused", "principal", name)
		writeError(w, http.StatusForbidden, wire.AccessDeniedException,
			"Principal "+name+" may not read the request log: only playground.operators may.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Calls []Call `json:"calls"`
	}{o.Recent.Calls()})
}

// identify authenticates a GET, whose body is empty.
func identify(a Authenticator, r *http.Request) (*auth.Identity, error) {
	p, err := a.Identify(r)
	if err != nil {
		return nil, err
	}
	return p.Verify(nil)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
