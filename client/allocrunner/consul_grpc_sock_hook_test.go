package allocrunner

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"

	"github.com/netnomad/netnomad/client/allocdir"
	"github.com/netnomad/netnomad/nomad/structs"
)

// echoServer stands in for Consul's gRPC port: it answers every line with
// "consul:<line>".
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := io.WriteString(c, "consul:"+line); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func connectGroup(mode string) *structs.TaskGroup {
	return &structs.TaskGroup{
		Name:     "api",
		Networks: structs.NetworkResources{{Mode: mode}},
		Services: []*structs.Service{{Name: "count-api", PortLabel: "9001", Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{}}}},
	}
}

func TestConsulGRPCSocket_ProxiesToConsul(t *testing.T) {
	// A short root keeps the socket path within a socket address.
	root, err := os.MkdirTemp("", "grpc")
	must.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(root) })
	dir := allocdir.NewAllocDir(root, "a1")
	must.NoError(t, dir.Build())

	target := echoServer(t)
	h := newConsulGRPCSocketHook(hclog.NewNullLogger(), connectGroup("bridge"), dir, target)
	must.NoError(t, h.Prerun())
	t.Cleanup(func() { h.Postrun() })

	path := filepath.Join(dir.SharedDir, "tmp", "consul_grpc.sock")
	fi, err := os.Stat(path)
	must.NoError(t, err)
	must.Eq(t, os.FileMode(0o777), fi.Mode().Perm())

	// Two connections at once, each with its own stream.
	for _, msg := range []string{"first", "second"} {
		c, err := net.Dial("unix", path)
		must.NoError(t, err)
		_, err = io.WriteString(c, msg+"\n")
		must.NoError(t, err)
		got, err := bufio.NewReader(c).ReadString('\n')
		must.NoError(t, err)
		must.Eq(t, "consul:"+msg+"\n", got)
		defer c.Close()
	}

	// Postrun closes the socket (and open connections).
	must.NoError(t, h.Postrun())
	_, err = net.Dial("unix", path)
	must.Error(t, err)
	_, err = os.Stat(path)
	must.True(t, os.IsNotExist(err))
}

func TestConsulGRPCSocket_LongAllocDirPath(t *testing.T) {
	root := filepath.Join(t.TempDir(), strings.Repeat("d", 60))
	dir := allocdir.NewAllocDir(root, "5d3d6b5e-1a2b-4c3d-8e9f-0123456789ab")
	must.NoError(t, dir.Build())
	path := ConsulGRPCSocketPath(dir)
	must.Greater(t, 108, len(path))

	h := newConsulGRPCSocketHook(hclog.NewNullLogger(), connectGroup("bridge"), dir, echoServer(t))
	must.NoError(t, h.Prerun())
	t.Cleanup(func() { h.Postrun() })
	fi, err := os.Stat(path)
	must.NoError(t, err)
	must.True(t, fi.Mode()&os.ModeSocket != 0)
}

func TestConsulGRPCSocket_OnlyForConnectInNamespace(t *testing.T) {
	for _, tc := range []struct {
		name string
		tg   *structs.TaskGroup
		want bool
	}{
		{name: "bridge with sidecar", tg: connectGroup("bridge"), want: true},
		{name: "cni with sidecar", tg: connectGroup("cni/mynet"), want: true},
		{name: "host mode", tg: connectGroup("host"), want: false},
		{name: "bridge without connect", tg: &structs.TaskGroup{Networks: structs.NetworkResources{{Mode: "bridge"}}, Services: []*structs.Service{{Name: "web"}}}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := os.MkdirTemp("", "grpc")
			must.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(root) })
			dir := allocdir.NewAllocDir(root, "a1")
			must.NoError(t, dir.Build())
			h := newConsulGRPCSocketHook(hclog.NewNullLogger(), tc.tg, dir, "127.0.0.1:8502")
			must.NoError(t, h.Prerun())
			t.Cleanup(func() { h.Postrun() })
			_, err = os.Stat(ConsulGRPCSocketPath(dir))
			must.Eq(t, tc.want, err == nil)
		})
	}
}
