package rawexec

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/netnomad/netnomad/drivers"
	"github.com/netnomad/netnomad/drivers/shared/executor"
)

// fakeAgentEnv makes the test binary act as an agent that starts one task from
// the TaskConfig JSON file named by the variable, writes the handle to
// <file>.handle and then blocks until it is killed.
const fakeAgentEnv = "RAWEXEC_TEST_FAKE_AGENT"

func TestMain(m *testing.M) {
	if executor.IsExecutorInvocation() {
		os.Exit(executor.Main(os.Args[2:]))
	}
	if p := os.Getenv(fakeAgentEnv); p != "" {
		os.Exit(fakeAgent(p))
	}
	os.Exit(m.Run())
}

func fakeAgent(cfgPath string) int {
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var cfg drivers.TaskConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	d := New(hclog.NewNullLogger(), Config{})
	h, err := d.StartTask(&cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	hb, _ := json.Marshal(h)
	if err := os.WriteFile(cfgPath+".handle", hb, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	select {}
}
