package main

import (
	"net/http"
	"net/http/pprof"
)

// mountPprof serves Go's profiler under /debug/pprof/ on mux, which is the
// metrics listener's: profiles show prompts' sizes and timings and cost CPU
// while taken, so they are opt-in and never on the API port. The handlers
// are mounted explicitly; importing net/http/pprof for its side effect
// would put them on http.DefaultServeMux, which nothing here serves.
func mountPprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
