package allocrunner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/envoybootstrap"
	"github.com/netnomad/netnomad/nomad/structs"
)

// TestConnectSidecar_Lifecycle runs a Connect group the way the server's
// mutator shapes it: a raw_exec task of Kind connect-proxy:count-api (a shell
// loop standing in for Envoy, since no Envoy binary exists here) as a prestart
// sidecar next to the main task. The sidecar only starts once its bootstrap
// exists (the group's services registered, Consul saw the sidecar), starts
// before the main task, is restarted by policy when it dies, and stops after
// the main task, honouring its shutdown_delay.
func TestConnectSidecar_Lifecycle(t *testing.T) {
	env := newConsulEnv(t)
	order := func(ar *testRunner) string {
		b, _ := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "order"))
		return string(b)
	}
	appendOrder := func(what string) string { return fmt.Sprintf(`echo %s >> "$NOMAD_ALLOC_DIR/order"`, what) }

	sidecar := shTask("connect-proxy-count-api", strings.Join([]string{
		`test -s "$NOMAD_SECRETS_DIR/envoy_bootstrap.json" || exit 3`,
		`cp "$NOMAD_SECRETS_DIR/envoy_bootstrap.json" "$NOMAD_ALLOC_DIR/bootstrap.json"`,
		`echo "$NOMAD_ENVOY_ADMIN_ADDR_count_api" > "$NOMAD_ALLOC_DIR/admin"`,
		`echo $$ > "$NOMAD_ALLOC_DIR/sidecar.pid"`,
		appendOrder("sidecar-start"),
		`trap '` + appendOrder("sidecar-stop") + `; exit 0' TERM`,
		`while true; do sleep 0.05; done`,
	}, "\n"))
	sidecar.Kind = "connect-proxy:count-api"
	sidecar.Lifecycle = &structs.TaskLifecycleConfig{Hook: structs.TaskLifecycleHookPrestart, Sidecar: true}
	sidecar.ShutdownDelay = 300 * time.Millisecond

	main := shTask("api", strings.Join([]string{
		`test -f "$NOMAD_ALLOC_DIR/sidecar.pid" || exit 4`,
		appendOrder("main-start"),
		`trap '` + appendOrder("main-stop") + `; exit 0' TERM`,
		`while true; do sleep 0.05; done`,
	}, "\n"))

	alloc := testAlloc(structs.JobTypeService, main, sidecar)
	alloc.ID = uuid.NewString()
	tg := alloc.Job.TaskGroups[0]
	tg.RestartPolicy = &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: 10 * time.Millisecond, Mode: structs.RestartPolicyModeFail}
	tg.Networks = structs.NetworkResources{{Mode: "bridge"}}
	tg.Services = []*structs.Service{{
		Name: "count-api", PortLabel: "9001",
		Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{}},
	}}
	alloc.AllocatedResources = &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
		Ports: structs.AllocatedPorts{{Label: "connect-proxy-count-api", Value: 25000, To: -1}},
	}}

	ar := newConnectRunner(t, alloc, &fakeConfigurator{}, env)
	go ar.Run()
	waitFor(t, func() error {
		if got := order(ar); got != "sidecar-start\nmain-start\n" {
			return fmt.Errorf("order %q", got)
		}
		return nil
	})

	// The bootstrap is Envoy-valid and names the sidecar Consul registered.
	proxyID := fmt.Sprintf("_nomad-task-%s-group-web-count-api-9001-sidecar-proxy", alloc.ID)
	_, err := env.service(proxyID)
	must.NoError(t, err)
	bootstrap, err := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "bootstrap.json"))
	must.NoError(t, err)
	must.NoError(t, envoybootstrap.Validate(bootstrap))
	must.StrContains(t, string(bootstrap), proxyID)
	admin, err := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "admin"))
	must.NoError(t, err)
	must.Eq(t, "127.0.0.2:19000\n", string(admin))

	// The sidecar dies: the restart policy brings it back, the main task stays.
	pidBytes, err := os.ReadFile(filepath.Join(ar.AllocDir().SharedDir, "sidecar.pid"))
	must.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidBytes)))
	must.NoError(t, err)
	must.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	waitFor(t, func() error {
		ts := ar.Alloc().TaskStates["connect-proxy-count-api"]
		if ts.Restarts != 1 || ts.State != structs.TaskStateRunning || !strings.HasSuffix(order(ar), "sidecar-start\n") {
			return fmt.Errorf("sidecar %s restarts=%d", ts.State, ts.Restarts)
		}
		return nil
	})
	must.Eq(t, structs.TaskStateRunning, ar.Alloc().TaskStates["api"].State)

	// Stop: the main task goes first, the sidecar after its shutdown_delay.
	stop := alloc.Copy()
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	ar.Update(stop)
	ar.waitDone(t)
	must.Eq(t, "sidecar-start\nmain-start\nsidecar-start\nmain-stop\nsidecar-stop\n", order(ar))
	sidecarEvents := eventTypes(ar.Alloc().TaskStates["connect-proxy-count-api"])
	must.SliceContains(t, sidecarEvents, structs.TaskWaitingShuttingDown)
	must.False(t, ar.Alloc().TaskStates["connect-proxy-count-api"].Failed)

	// The group's services (and with them the sidecar) are gone.
	waitFor(t, func() error {
		if _, err := env.service(proxyID); err == nil {
			return errors.New("sidecar still registered")
		}
		return nil
	})
}
