package agent

import (
	"net/http/pprof"
)

// debugPathPrefix is where enable_debug serves Go's profiler, as Nomad does.
const debugPathPrefix = "/debug/pprof/"

// registerDebugHandlers mounts net/http/pprof under /debug/pprof/ when the
// agent's enable_debug is set. It is off by default: profiles expose memory
// contents and a CPU profile costs the agent while it runs.
func (s *HTTPServer) registerDebugHandlers() {
	if !s.agent.config.EnableDebug {
		return
	}
	s.mux.HandleFunc(debugPathPrefix, pprof.Index)
	s.mux.HandleFunc(debugPathPrefix+"cmdline", pprof.Cmdline)
	s.mux.HandleFunc(debugPathPrefix+"profile", pprof.Profile)
	s.mux.HandleFunc(debugPathPrefix+"symbol", pprof.Symbol)
	s.mux.HandleFunc(debugPathPrefix+"trace", pprof.Trace)
}
