// Package mock provides valid, canonicalized fixtures of the internal model for
// tests: mock.Job(), mock.BatchJob(), mock.Node(), mock.Alloc(), mock.Eval().
// Every call returns fresh objects that the caller may mutate freely. IDs of nodes,
// allocations and evaluations are random; job IDs are fixed ("example",
// "example-batch"): set a new ID when a test needs several jobs.
package mock

import (
	"time"

	"github.com/google/uuid"
	"github.com/netnomad/netnomad/nomad/structs"
)

// Job returns a canonicalized service job "example" with one group "web" (count 1)
// whose bridge network has a static port "http" (8080 -> 80) and a dynamic port
// "metrics" (-> 9102), a group service "example-web" on "http" with an HTTP check,
// and one raw_exec task "web".
func Job() *structs.Job {
	j := &structs.Job{
		Region:      structs.DefaultRegion,
		Namespace:   structs.DefaultNamespace,
		ID:          "example",
		Name:        "example",
		Type:        structs.JobTypeService,
		Priority:    50,
		Datacenters: []string{"dc1"},
		Constraints: []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		Meta:        map[string]string{"owner": "netnomad"},
		TaskGroups: []*structs.TaskGroup{{
			Name:  "web",
			Count: 1,
			RestartPolicy: &structs.RestartPolicy{
				Attempts: 3, Interval: 10 * time.Minute, Delay: time.Minute, Mode: structs.RestartPolicyModeDelay,
			},
			Networks: structs.NetworkResources{{
				Mode:          structs.NetworkModeBridge,
				MBits:         10,
				ReservedPorts: []structs.Port{{Label: "http", Value: 8080, To: 80, HostNetwork: "default"}},
				DynamicPorts:  []structs.Port{{Label: "metrics", To: 9102, HostNetwork: "default"}},
			}},
			Services: []*structs.Service{{
				Name:        "example-web",
				PortLabel:   "http",
				AddressMode: structs.AddressModeAuto,
				Tags:        []string{"web", "frontend"},
				Checks: []*structs.ServiceCheck{{
					Name:     "alive",
					Type:     "http",
					Path:     "/health",
					Interval: 10 * time.Second,
					Timeout:  2 * time.Second,
				}},
			}},
			Tasks: []*structs.Task{{
				Name:   "web",
				Driver: "raw_exec",
				Config: map[string]any{
					"command": "/bin/sleep",
					"args":    []any{"1000"},
				},
				Env:       map[string]string{"FOO": "bar"},
				Meta:      map[string]string{"team": "edge"},
				Resources: &structs.Resources{CPU: 500, MemoryMB: 256},
				LogConfig: &structs.LogConfig{MaxFiles: 10, MaxFileSizeMB: 10},
			}},
		}},
		Status: structs.JobStatusPending,
	}
	j.Canonicalize()
	return j
}

// BatchJob returns a canonicalized batch job "example-batch" with one group "worker"
// (count 1) running one raw_exec task "worker" and no network.
func BatchJob() *structs.Job {
	j := &structs.Job{
		Region:      structs.DefaultRegion,
		Namespace:   structs.DefaultNamespace,
		ID:          "example-batch",
		Name:        "example-batch",
		Type:        structs.JobTypeBatch,
		Priority:    50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name:  "worker",
			Count: 1,
			Tasks: []*structs.Task{{
				Name:      "worker",
				Driver:    "raw_exec",
				Config:    map[string]any{"command": "/bin/true"},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
			}},
		}},
		Status: structs.JobStatusPending,
	}
	j.Canonicalize()
	return j
}

// Node returns a ready, eligible linux node in dc1 with raw_exec, IP 192.168.0.100 on
// eth0, bridge support, 4000 MHz CPU, 8192 MB memory and the default dynamic port
// range.
func Node() *structs.Node {
	return &structs.Node{
		ID:         uuid.NewString(),
		SecretID:   uuid.NewString(),
		Datacenter: "dc1",
		Name:       "foobar",
		HTTPAddr:   "192.168.0.100:4646",
		Attributes: map[string]string{
			"kernel.name":               "linux",
			"arch":                      "x86",
			"nomad.version":             "0.10.0",
			"driver.raw_exec":           "1",
			"unique.network.ip-address": "192.168.0.100",
			"unique.hostname":           "foobar",
		},
		Meta:      map[string]string{"pci-dss": "true"},
		NodeClass: "linux-medium-pci",
		NodeResources: &structs.NodeResources{
			CPUShares: 4000,
			MemoryMB:  8192,
			DiskMB:    100 * 1024,
			Networks: structs.NetworkResources{
				{Mode: structs.NetworkModeHost, Device: "eth0", CIDR: "192.168.0.100/32", IP: "192.168.0.100", MBits: 1000},
				{Mode: structs.NetworkModeBridge},
			},
			MinDynamicPort: structs.DefaultMinDynamicPort,
			MaxDynamicPort: structs.DefaultMaxDynamicPort,
		},
		ReservedResources: &structs.NodeReservedResources{CPUShares: 100, MemoryMB: 256, DiskMB: 4 * 1024, ReservedPorts: "22"},
		Drivers: map[string]*structs.DriverInfo{
			"raw_exec": {Detected: true, Healthy: true, HealthDescription: "Healthy", Attributes: map[string]string{"driver.raw_exec": "1"}},
		},
		SchedulingEligibility: structs.NodeSchedulingEligible,
		Status:                structs.NodeStatusReady,
	}
}

// Alloc returns a pending allocation "example.web[0]" of Job() on a random node ID,
// with its resources and ports assigned (http 8080 -> 80, metrics 23456 -> 9102 on
// 192.168.0.100).
func Alloc() *structs.Allocation {
	job := Job()
	return &structs.Allocation{
		ID:        uuid.NewString(),
		Namespace: structs.DefaultNamespace,
		EvalID:    uuid.NewString(),
		Name:      "example.web[0]",
		NodeID:    uuid.NewString(),
		NodeName:  "foobar",
		JobID:     job.ID,
		Job:       job,
		TaskGroup: "web",
		AllocatedResources: &structs.AllocatedResources{
			Tasks: map[string]*structs.AllocatedTaskResources{
				"web": {CPUShares: 500, MemoryMB: 256},
			},
			Shared: structs.AllocatedSharedResources{
				DiskMB: 150,
				Networks: structs.NetworkResources{{
					Mode:          structs.NetworkModeBridge,
					Device:        "eth0",
					IP:            "192.168.0.100",
					MBits:         10,
					ReservedPorts: []structs.Port{{Label: "http", Value: 8080, To: 80, HostNetwork: "default"}},
					DynamicPorts:  []structs.Port{{Label: "metrics", Value: 23456, To: 9102, HostNetwork: "default"}},
				}},
				Ports: structs.AllocatedPorts{
					{Label: "http", Value: 8080, To: 80, HostIP: "192.168.0.100"},
					{Label: "metrics", Value: 23456, To: 9102, HostIP: "192.168.0.100"},
				},
			},
		},
		Metrics:       &structs.AllocMetric{NodesEvaluated: 1, NodesAvailable: map[string]int{"dc1": 1}},
		DesiredStatus: structs.AllocDesiredStatusRun,
		ClientStatus:  structs.AllocClientStatusPending,
	}
}

// Eval returns a pending "job-register" evaluation of the service job "example".
func Eval() *structs.Evaluation {
	return &structs.Evaluation{
		ID:          uuid.NewString(),
		Namespace:   structs.DefaultNamespace,
		Priority:    50,
		Type:        structs.JobTypeService,
		TriggeredBy: structs.EvalTriggerJobRegister,
		JobID:       "example",
		Status:      structs.EvalStatusPending,
	}
}

// ConnectJob returns a canonicalized service job "countdash" with one group "api"
// in bridge mode (dynamic port "http" -> 9001) and a Connect group service
// "count-api" on port "9001" with a sidecar and an upstream "count-db" bound to
// 127.0.0.1:8080, as it is before the server injects the sidecar task.
func ConnectJob() *structs.Job {
	j := Job()
	j.ID, j.Name = "countdash", "countdash"
	tg := j.TaskGroups[0]
	tg.Name = "api"
	tg.Networks = structs.NetworkResources{{
		Mode:         structs.NetworkModeBridge,
		MBits:        10,
		DynamicPorts: []structs.Port{{Label: "http", To: 9001, HostNetwork: "default"}},
	}}
	tg.Services = []*structs.Service{{
		Name:        "count-api",
		PortLabel:   "9001",
		AddressMode: structs.AddressModeAuto,
		Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
			Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{
				DestinationName: "count-db", LocalBindPort: 8080, LocalBindAddress: "127.0.0.1",
			}}},
		}},
	}}
	return j
}
