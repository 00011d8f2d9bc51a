package nomad

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/netnomad/netnomad/nomad/mock"
	"github.com/shoenig/test/must"
)

// benchmarkRegister registers b.N distinct jobs through the leader and reports
// registrations per second. No node is registered: every eval ends blocked, so
// the figure is the write path (admission, raft commit, FSM), not placement.
func benchmarkRegister(b *testing.B, leader *Server) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		job := mock.Job()
		job.ID = "bench-" + strconv.Itoa(i)
		job.Name = job.ID
		_, err := leader.JobRegister(&JobRegisterRequest{Job: job})
		must.NoError(b, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
}

// BenchmarkJobRegister_OneServer: one server with raft-boltdb on disk.
func BenchmarkJobRegister_OneServer(b *testing.B) {
	useFakeScheduler(b)
	s, err := NewServer(&Config{Logger: hclog.NewNullLogger(), NumSchedulers: 1, DataDir: b.TempDir()})
	must.NoError(b, err)
	b.Cleanup(s.Shutdown)
	benchmarkRegister(b, s)
}

// BenchmarkJobRegister_ThreeServers: three servers over loopback TCP, in memory.
func BenchmarkJobRegister_ThreeServers(b *testing.B) {
	useFakeScheduler(b)
	servers := testCluster(b, 3, func(c *Config) { c.Logger = hclog.NewNullLogger() })
	benchmarkRegister(b, waitLeader(b, servers))
}

// BenchmarkJobRegister_ThreeServersOnDisk: three servers over loopback TCP,
// each with raft-boltdb on disk (a production cluster on one machine).
func BenchmarkJobRegister_ThreeServersOnDisk(b *testing.B) {
	useFakeScheduler(b)
	servers := testCluster(b, 3, func(c *Config) { c.Logger = hclog.NewNullLogger(); c.DataDir = b.TempDir() })
	benchmarkRegister(b, waitLeader(b, servers))
}

// benchmarkRegisterParallel is benchmarkRegister with 32 concurrent writers:
// raft batches their entries into fewer disk syncs and round trips.
func benchmarkRegisterParallel(b *testing.B, leader *Server) {
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			job := mock.Job()
			job.ID = "bench-" + strconv.FormatInt(n.Add(1), 10)
			job.Name = job.ID
			if _, err := leader.JobRegister(&JobRegisterRequest{Job: job}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
}

// BenchmarkJobRegisterParallel_OneServer: one server on disk, 32 writers.
func BenchmarkJobRegisterParallel_OneServer(b *testing.B) {
	useFakeScheduler(b)
	s, err := NewServer(&Config{Logger: hclog.NewNullLogger(), NumSchedulers: 1, DataDir: b.TempDir()})
	must.NoError(b, err)
	b.Cleanup(s.Shutdown)
	benchmarkRegisterParallel(b, s)
}

// BenchmarkJobRegisterParallel_ThreeServersOnDisk: three servers on disk over
// loopback TCP, 32 writers.
func BenchmarkJobRegisterParallel_ThreeServersOnDisk(b *testing.B) {
	useFakeScheduler(b)
	servers := testCluster(b, 3, func(c *Config) { c.Logger = hclog.NewNullLogger(); c.DataDir = b.TempDir() })
	benchmarkRegisterParallel(b, waitLeader(b, servers))
}
