package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/netnomad/netnomad/command"
	"github.com/shoenig/test/must"
)

func TestRun(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "version", args: []string{"version"}, wantOut: "Nomad v0.10.0 (netnomad)\n"},
		{name: "-version flag", args: []string{"-version"}, wantOut: "Nomad v0.10.0 (netnomad)\n"},
		{name: "group prints help", args: []string{"job", "-no-color"}, wantCode: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(tc.args, strings.NewReader(""), &stdout, &stderr)
			must.Eq(t, tc.wantCode, code)
			if tc.wantOut != "" {
				must.Eq(t, tc.wantOut, stdout.String())
			}
		})
	}
}

func TestCommands_EveryVerbIsRegistered(t *testing.T) {
	cmds := Commands(command.Meta{})
	for _, name := range []string{
		"agent", "version", "status",
		"job run", "job plan", "job status", "job inspect", "job validate", "job stop",
		"alloc status", "alloc logs", "alloc restart", "alloc stop",
		"node status",
	} {
		factory, ok := cmds[name]
		must.True(t, ok, must.Sprintf("command %q missing", name))
		c, err := factory()
		must.NoError(t, err)
		must.NotEq(t, "", c.Synopsis(), must.Sprintf("command %q has no synopsis", name))
		must.NotEq(t, "", c.Help())
	}
}
