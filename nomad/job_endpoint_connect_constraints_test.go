package nomad

import (
	"testing"

	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/netnomad/netnomad/nomad/structs"
)

// connectNode is a node with docker and, when consulVersion is set, the
// attributes the client's Consul fingerprint sets.
func connectNode(consulVersion, grpcPort string) *structs.Node {
	node := mock.Node()
	node.Attributes["driver.docker"] = "1"
	node.Drivers["docker"] = &structs.DriverInfo{Detected: true, Healthy: true, Attributes: map[string]string{"driver.docker": "1"}}
	if consulVersion != "" {
		node.Attributes["consul.version"] = consulVersion
		node.Attributes["consul.grpc"] = grpcPort
		node.Attributes["consul.connect"] = "true"
		node.Attributes["consul.datacenter"] = "dc1"
	}
	return node
}

// TestJobPlan_ConnectNeedsConsul: the sidecars' constraints keep Connect
// groups off nodes whose Consul is missing, too old or without gRPC, and the
// plan names the constraint that filtered them (what `nomad job plan` prints
// as `* Constraint "..." filtered 1 nodes`).
func TestJobPlan_ConnectNeedsConsul(t *testing.T) {
	for _, tc := range []struct {
		name       string
		node       *structs.Node
		constraint string // "" when the groups are placed
	}{
		{name: "no consul", node: connectNode("", ""), constraint: "${attr.consul.version} semver >= 1.8.0"},
		{name: "consul too old", node: connectNode("1.7.4", "8502"), constraint: "${attr.consul.version} semver >= 1.8.0"},
		{name: "consul grpc off", node: connectNode("1.21.4", "-1"), constraint: "${attr.consul.grpc} > 0"},
		{name: "consul with grpc", node: connectNode("1.21.4", "8502")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewServer(&Config{Logger: testLogger(t), NumSchedulers: 1})
			must.NoError(t, err)
			t.Cleanup(s.Shutdown)
			_, err = s.NodeRegister(tc.node)
			must.NoError(t, err)

			resp, err := s.JobPlan(&JobPlanRequest{Job: countdashJob()})
			must.NoError(t, err)
			if tc.constraint == "" {
				must.MapEmpty(t, resp.FailedTGAllocs)
				must.Eq(t, uint64(1), resp.Annotations.DesiredTGUpdates["api"].Place)
				return
			}
			for _, group := range []string{"api", "dashboard"} {
				m := resp.FailedTGAllocs[group]
				must.NotNil(t, m, must.Sprintf("group %q placed", group))
				must.Eq(t, map[string]int{tc.constraint: 1}, m.ConstraintFiltered)
			}
		})
	}
}
