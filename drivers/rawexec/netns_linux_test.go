package rawexec

import (
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/e2e/framework"
)

func TestRawExec_Netns(t *testing.T) {
	framework.RequireRoot(t)
	name := "rawexec-" + uuid.NewString()[:8]
	out, err := exec.Command("ip", "netns", "add", name).CombinedOutput()
	must.NoError(t, err, must.Sprintf("ip netns add: %s", out))
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("failed to delete netns %q: %v: %s", name, err, out)
		}
	})
	// A veth pair proves the task is in this namespace, not merely in some
	// namespace with only lo.
	out, err = exec.Command("ip", "-n", name, "link", "add", "nnv0", "type", "veth", "peer", "name", "nnv1").CombinedOutput()
	must.NoError(t, err, must.Sprintf("ip link add: %s", out))

	d := newTestDriver(t)
	cfg := newTaskConfig(t, "")
	cfg.NetnsPath = "/var/run/netns/" + name
	cfg.Config = map[string]any{"command": "/bin/cat", "args": []string{"/proc/net/dev"}}
	_, err = d.StartTask(cfg)
	must.NoError(t, err)
	must.Eq(t, 0, waitExit(t, d, cfg.ID, 10*time.Second).ExitCode)

	var ifaces []string
	for _, line := range strings.Split(readLog(t, cfg, "web.stdout.0"), "\n") {
		if n, _, ok := strings.Cut(line, ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(n))
		}
	}
	sort.Strings(ifaces)
	must.Eq(t, []string{"lo", "nnv0", "nnv1"}, ifaces)
}

func TestRawExec_NetnsMissing(t *testing.T) {
	d := newTestDriver(t)
	cfg := newTaskConfig(t, "true")
	cfg.NetnsPath = "/var/run/netns/does-not-exist-" + uuid.NewString()[:8]
	_, err := d.StartTask(cfg)
	must.ErrorContains(t, err, "failed to open netns")
}
