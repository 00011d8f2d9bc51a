package network

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/shoenig/test/must"
	"github.com/shoenig/test/wait"
	"golang.org/x/sys/unix"
)

// TestLocalnetGuard: portmap's snat sets route_localnet=1 on the bridge, so a
// hand-built frame from inside an allocation, addressed to the bridge's MAC and
// to 127.0.0.1, reaches a host service bound to loopback (CVE-2020-8558). The
// guard drops it, while 127.0.0.1:<hostPort> keeps working.
func TestLocalnetGuard(t *testing.T) {
	w := newWorld(t, nil)
	a := newAlloc(port("http", 28080, 8080))
	st := w.setup(a, bridgeSpec)
	serveTCP(t, st.NetnsPath, ":8080", banner("mapped"))
	rl := w.sh(w.host, "sysctl", "-n", "net.ipv4.conf."+w.cfg.BridgeName+".route_localnet")
	must.Eq(t, "1\n", rl)
	bridgeMAC := w.linkMAC(t, w.host, w.cfg.BridgeName)

	// A host service that trusts loopback.
	var pc net.PacketConn
	must.NoError(t, w.do(func() error {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:9999")
		return err
	}))
	t.Cleanup(func() { pc.Close() })
	received := func(within time.Duration) bool {
		buf := make([]byte, 64)
		_ = pc.SetReadDeadline(time.Now().Add(within))
		n, _, err := pc.ReadFrom(buf)
		return err == nil && string(buf[:n]) == "probe"
	}
	probe := func() error {
		return sendLoopbackProbe(st.NetnsPath, bridgeMAC, net.ParseIP(st.Address), 9999)
	}

	// Guard installed by Setup: the probe is dropped.
	for range 3 {
		must.NoError(t, probe())
	}
	must.False(t, received(time.Second), must.Sprint("probe reached 127.0.0.1 with the guard in place"))

	// Without the guard the same probe gets through (so this test can fail).
	must.NoError(t, w.do(func() error { return w.c.ipt.removeLocalnetGuard(context.Background()) }))
	must.Wait(t, wait.InitialSuccess(wait.ErrorFunc(func() error {
		if err := probe(); err != nil {
			return err
		}
		if !received(200 * time.Millisecond) {
			return fmt.Errorf("probe not received without the guard")
		}
		return nil
	}), wait.Timeout(5*time.Second), wait.Gap(10*time.Millisecond)))

	// The next Setup puts the guard back (as does a direct, repeated ensure):
	// dropped again; the mapped port still answers on 127.0.0.1.
	w.setup(newAlloc(), bridgeSpec)
	must.NoError(t, w.do(func() error { return w.c.ipt.ensureLocalnetGuard(context.Background()) }))
	must.Eq(t, 1, countLines(w.sh(w.host, "iptables", "-w", "-S", "INPUT"), "-j "+LocalnetGuardChain))
	for range 3 {
		must.NoError(t, probe())
	}
	must.False(t, received(time.Second), must.Sprint("probe reached 127.0.0.1 after the guard came back"))
	mustReach(t, "127.0.0.1:hostPort with the guard", "mapped", func() (string, error) { return dialTCP(w.host, "127.0.0.1:28080") })
}

func (w *world) linkMAC(t *testing.T, ns, name string) net.HardwareAddr {
	var mac net.HardwareAddr
	must.NoError(t, WithNetNS(ns, func() error {
		i, err := net.InterfaceByName(name)
		if err == nil {
			mac = i.HardwareAddr
		}
		return err
	}))
	return mac
}

// sendLoopbackProbe sends, from eth0 inside ns, one raw Ethernet/IPv4/UDP frame
// to dstMAC with destination 127.0.0.1:port and payload "probe" — what a task
// with CAP_NET_RAW can do.
func sendLoopbackProbe(ns string, dstMAC net.HardwareAddr, src net.IP, dstPort int) error {
	return WithNetNS(ns, func() error {
		eth0, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		payload := []byte("probe")
		udp := make([]byte, 8+len(payload))
		binary.BigEndian.PutUint16(udp[0:], 40000)
		binary.BigEndian.PutUint16(udp[2:], uint16(dstPort))
		binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
		copy(udp[8:], payload) // checksum 0: none (allowed for IPv4)
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, unix.IPPROTO_UDP
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(udp)))
		binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
		copy(ip[12:], src.To4())
		copy(ip[16:], net.IPv4(127, 0, 0, 1).To4())
		binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip))
		frame := append(append(append(append([]byte{}, dstMAC...), eth0.HardwareAddr...), 0x08, 0x00), append(ip, udp...)...)

		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP)))
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: eth0.Index, Halen: 6}
		copy(sa.Addr[:], dstMAC)
		return unix.Sendto(fd, frame, 0, sa)
	})
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
