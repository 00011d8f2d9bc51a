package consul

import (
	"testing"

	"github.com/shoenig/test/must"

	sr "github.com/netnomad/netnomad/client/serviceregistration"
	"github.com/netnomad/netnomad/nomad/structs"
)

func TestGetAddress(t *testing.T) {
	w := bridgeWorkload()
	cases := []struct {
		name     string
		mode     string
		port     string
		netnil   bool
		wantAddr string
		wantPort int
		wantErr  string
	}{
		{name: "auto label", mode: "auto", port: "http", wantAddr: testHostIP, wantPort: 23456},
		{name: "default label", mode: "", port: "http", wantAddr: testHostIP, wantPort: 23456},
		{name: "host label", mode: "host", port: "metrics", wantAddr: testHostIP, wantPort: 23457},
		{name: "auto number", mode: "auto", port: "9001", wantAddr: testHostIP, wantPort: 9001},
		{name: "alloc label to", mode: "alloc", port: "http", wantAddr: testAllocIP, wantPort: 8080},
		{name: "alloc label without to", mode: "alloc", port: "metrics", wantAddr: testAllocIP, wantPort: 23457},
		{name: "alloc number", mode: "alloc", port: "9001", wantAddr: testAllocIP, wantPort: 9001},
		{name: "no port", mode: "auto", port: "", wantAddr: "", wantPort: 0},
		{name: "unknown label", mode: "auto", port: "admin", wantErr: `invalid port "admin": port label not found`},
		{name: "alloc without namespace", mode: "alloc", port: "http", netnil: true,
			wantErr: `cannot use address_mode="alloc": no allocation network status reported`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := w.NetworkStatus
			if tc.netnil {
				ns = nil
			}
			addr, port, err := sr.GetAddress(tc.mode, tc.port, w.Ports, ns, w.HostIP)
			if tc.wantErr != "" {
				must.EqError(t, err, tc.wantErr)
				return
			}
			must.NoError(t, err)
			must.Eq(t, tc.wantAddr, addr)
			must.Eq(t, tc.wantPort, port)
		})
	}
}

func TestGetAddress_PortHostIPWins(t *testing.T) {
	ports := structs.AllocatedPorts{{Label: "http", Value: 25000, HostIP: "192.168.1.9"}}
	addr, port, err := sr.GetAddress("auto", "http", ports, nil, testHostIP)
	must.NoError(t, err)
	must.Eq(t, "192.168.1.9", addr)
	must.Eq(t, 25000, port)
}
