package raft

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/netnomad/netnomad/e2e/framework"
	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
)

// Snapshot settings low enough that a test's few dozen writes make raft snapshot
// and trim its log to the last 8 entries; the interval is the check period
// (raft waits 1-2 of them). snapshotThreshold repeats the HCL's value.
const (
	snapshotThreshold = 16
	snapshotHCL       = `
server {
  raft_snapshot_threshold = 16
  raft_snapshot_interval  = "1s"
  raft_trailing_logs      = 8
}`
)

// Raft's log lines: a start that loads a snapshot, a follower that receives one.
const (
	logRestoredSnapshot  = "restored from snapshot"
	logInstalledSnapshot = "Installed remote snapshot"
)

const (
	snapshotJobs        = 10
	submissionsPerJob   = 3
	submissionMetaLabel = "submission"
)

// TestRaft_RestartFromSnapshot: a server whose raft settings make it snapshot
// after a few writes stores ten jobs of three versions each; once a snapshot
// covers them, the server restarted (gracefully, then after SIGKILL) comes back
// from the snapshot plus the log with every job, all three versions and the
// latest spec, and takes new jobs.
func TestRaft_RestartFromSnapshot(t *testing.T) {
	a := framework.StartAgent(t, framework.ServerOnly(), framework.WithHCL(snapshotHCL))

	lastWrite := registerVersionedJobs(t, a.API, "web")
	waitSnapshot(t, filepath.Join(a.DataDir, "server", "raft", "snapshots"), lastWrite, a.Log)

	a.Restart()
	assertVersionedJobs(t, a.API, "web", nil)
	_, _, err := a.API.Jobs().Register(batchJob("after-restart"), nil)
	must.NoError(t, err)
	must.Eq(t, 1, strings.Count(a.Log(), logRestoredSnapshot), must.Sprintf("log:\n%s", a.Log()))

	a.KillAndRestart()
	assertVersionedJobs(t, a.API, "web", nil)
	_, _, err = a.API.Jobs().Info("after-restart", nil)
	must.NoError(t, err)
	_, _, err = a.API.Jobs().Register(batchJob("after-kill"), nil)
	must.NoError(t, err)
	must.Eq(t, 2, strings.Count(a.Log(), logRestoredSnapshot), must.Sprintf("log:\n%s", a.Log()))
}

// TestRaft_FollowerCatchesUpFromSnapshot: a follower stopped while the cluster
// writes more entries than raft_trailing_logs keeps cannot catch up from the
// leader's log; started again, it is sent the leader's snapshot and then has
// every job and version, read from its own state (stale reads).
func TestRaft_FollowerCatchesUpFromSnapshot(t *testing.T) {
	servers := startCluster(t, 3, snapshotHCL)
	leader := waitLeader(t, servers)
	var follower *server
	for _, s := range servers {
		if s != leader {
			follower = s
		}
	}
	_, _, err := leader.api.Jobs().Register(batchJob("before"), nil)
	must.NoError(t, err)
	waitJobOnAll(t, servers, "before")
	follower.stop()

	lastWrite := registerVersionedJobs(t, leader.api, "api")
	waitSnapshot(t, filepath.Join(filepath.Dir(leader.config), "data", "server", "raft", "snapshots"), lastWrite, leader.log)

	follower.start()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		jobs, _, err := follower.api.Jobs().List(&api.QueryOptions{AllowStale: true})
		if err != nil {
			return err
		}
		if len(jobs) != snapshotJobs+1 {
			return fmt.Errorf("follower has %d jobs", len(jobs))
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)), must.Func(follower.log))
	assertVersionedJobs(t, follower.api, "api", &api.QueryOptions{AllowStale: true})
	must.StrContains(t, follower.log(), logInstalledSnapshot)
}

// registerVersionedJobs submits snapshotJobs jobs named <prefix>-<n>, each
// submissionsPerJob times with a different meta value (so one version per
// submission), and returns the raft index of the last write.
func registerVersionedJobs(t *testing.T, c *api.Client, prefix string) uint64 {
	t.Helper()
	var last uint64
	for sub := 1; sub <= submissionsPerJob; sub++ {
		for n := range snapshotJobs {
			job := batchJob(fmt.Sprintf("%s-%d", prefix, n))
			job.Meta = map[string]string{submissionMetaLabel: fmt.Sprint(sub)}
			resp, _, err := c.Jobs().Register(job, nil)
			must.NoError(t, err)
			last = max(last, resp.JobModifyIndex)
		}
	}
	return last
}

// assertVersionedJobs checks what registerVersionedJobs wrote: every job with
// versions 2, 1, 0 carrying submissions 3, 2, 1, and the job itself at the
// third. q selects stale reads from a follower's own state.
func assertVersionedJobs(t *testing.T, c *api.Client, prefix string, q *api.QueryOptions) {
	t.Helper()
	for n := range snapshotJobs {
		id := fmt.Sprintf("%s-%d", prefix, n)
		job, _, err := c.Jobs().Info(id, q)
		must.NoError(t, err, must.Sprintf("job %s", id))
		must.Eq(t, uint64(submissionsPerJob-1), *job.Version, must.Sprintf("job %s", id))
		must.Eq(t, fmt.Sprint(submissionsPerJob), job.Meta[submissionMetaLabel], must.Sprintf("job %s", id))

		versions, _, _, err := c.Jobs().Versions(id, false, q)
		must.NoError(t, err, must.Sprintf("job %s", id))
		must.Len(t, submissionsPerJob, versions, must.Sprintf("job %s", id))
		for i, v := range versions {
			// Newest first.
			must.Eq(t, uint64(submissionsPerJob-1-i), *v.Version, must.Sprintf("job %s", id))
			must.Eq(t, fmt.Sprint(submissionsPerJob-i), v.Meta[submissionMetaLabel], must.Sprintf("job %s version %d", id, *v.Version))
		}
	}
}

// waitSnapshot waits until raft has written a snapshot (meta.json of a directory
// under dir) that covers the writes up to lastWrite, but for fewer than the
// entries that trigger the next one.
func waitSnapshot(t *testing.T, dir string, lastWrite uint64, log func() string) {
	t.Helper()
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		newest, err := newestSnapshotIndex(dir)
		if err != nil {
			return err
		}
		if newest+snapshotThreshold < lastWrite {
			return fmt.Errorf("newest snapshot at index %d, last write at %d", newest, lastWrite)
		}
		return nil
	}), wait.Timeout(30*time.Second), wait.Gap(100*time.Millisecond)), must.Func(log))
}

// newestSnapshotIndex reads the raft index of every snapshot's meta.json.
func newestSnapshotIndex(dir string) (uint64, error) {
	metas, err := filepath.Glob(filepath.Join(dir, "*", "meta.json"))
	if err != nil {
		return 0, err
	}
	var newest uint64
	for _, path := range metas {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // a snapshot being written or reaped
		}
		var meta struct{ Index uint64 }
		if err := json.Unmarshal(b, &meta); err != nil {
			continue
		}
		newest = max(newest, meta.Index)
	}
	if newest == 0 {
		return 0, fmt.Errorf("no snapshot in %s yet", dir)
	}
	return newest, nil
}
