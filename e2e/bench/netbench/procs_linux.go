package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// procCounter counts the processes this program's process tree creates, using
// the kernel's process events connector (CN_PROC): every fork whose parent is in
// the tree adds the child to the tree. Threads (child pid != tgid) are not
// counted. Events carry CLOCK_MONOTONIC timestamps, so a caller can count the
// processes created between two points in time after the fact.
//
// The connector only exists in the initial network namespace: create the counter
// before the program enters any other.
type procCounter struct {
	fd int

	mu     sync.Mutex
	tree   map[uint32]bool
	forks  []int64 // timestamps of process creations in the tree
	execs  []int64
	lastTS int64 // newest event seen, from anyone
	err    error
}

const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1
	procCnMcastIgnore = 2
	procEventFork     = 0x00000001
	procEventExec     = 0x00000002
	procEventExit     = 0x80000000
	nlmsgHdrLen       = 16
	cnMsgLen          = 20
)

// newProcCounter subscribes to process events. It fails when not root or when
// the connector is unavailable.
func newProcCounter() (*procCounter, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("failed to open the process events connector: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("failed to bind the process events connector: %w", err)
	}
	p := &procCounter{fd: fd, tree: map[uint32]bool{uint32(os.Getpid()): true}}
	if err := p.send(procCnMcastListen); err != nil {
		unix.Close(fd)
		return nil, err
	}
	go p.read()
	return p, nil
}

func (p *procCounter) send(op uint32) error {
	msg := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], unix.NLMSG_DONE)
	binary.NativeEndian.PutUint32(msg[12:], uint32(os.Getpid()))
	binary.NativeEndian.PutUint32(msg[16:], cnIdxProc)
	binary.NativeEndian.PutUint32(msg[20:], cnValProc)
	binary.NativeEndian.PutUint16(msg[32:], 4)
	binary.NativeEndian.PutUint32(msg[36:], op)
	if err := unix.Sendto(p.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("failed to subscribe to process events: %w", err)
	}
	return nil
}

func (p *procCounter) read() {
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(p.fd, buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			p.mu.Lock()
			if err != unix.EBADF {
				p.err = fmt.Errorf("process events: %w", err) // ENOBUFS: events were lost
			}
			p.mu.Unlock()
			if err == unix.ENOBUFS {
				continue
			}
			return
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			p.handle(m.Data)
		}
	}
}

func (p *procCounter) handle(d []byte) {
	if len(d) < cnMsgLen+16 {
		return
	}
	ev := d[cnMsgLen:]
	what := binary.NativeEndian.Uint32(ev[0:])
	ts := int64(binary.NativeEndian.Uint64(ev[8:]))
	data := ev[16:]
	p.mu.Lock()
	defer p.mu.Unlock()
	if ts > p.lastTS {
		p.lastTS = ts
	}
	switch what {
	case procEventFork:
		if len(data) < 16 {
			return
		}
		parentTgid := binary.NativeEndian.Uint32(data[4:])
		childPid := binary.NativeEndian.Uint32(data[8:])
		childTgid := binary.NativeEndian.Uint32(data[12:])
		if childPid == childTgid && p.tree[parentTgid] {
			p.tree[childTgid] = true
			p.forks = append(p.forks, ts)
		}
	case procEventExec:
		if len(data) < 8 {
			return
		}
		if p.tree[binary.NativeEndian.Uint32(data[4:])] {
			p.execs = append(p.execs, ts)
		}
	case procEventExit:
		if len(data) < 8 {
			return
		}
		pid, tgid := binary.NativeEndian.Uint32(data[0:]), binary.NativeEndian.Uint32(data[4:])
		if pid == tgid && tgid != uint32(os.Getpid()) {
			delete(p.tree, tgid)
		}
	}
}

// monoNow reads the events' clock.
func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// window is a [start, end] interval on the events' clock.
type window struct{ start, end int64 }

// counts waits (up to 2s) until events up to the latest window end have been
// read, then returns the process creations and execs inside each window.
func (p *procCounter) counts(ws []window) (forks, execs []int, err error) {
	var last int64
	for _, w := range ws {
		last = max(last, w.end)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		p.mu.Lock()
		caught := p.lastTS >= last
		p.mu.Unlock()
		if caught || time.Now().After(deadline) {
			break
		}
		_ = exec.Command("true").Run() // an event of our own, after every window
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	in := func(ts []int64, w window) int {
		n := 0
		for _, t := range ts {
			if t >= w.start && t <= w.end {
				n++
			}
		}
		return n
	}
	for _, w := range ws {
		forks = append(forks, in(p.forks, w))
		execs = append(execs, in(p.execs, w))
	}
	return forks, execs, p.err
}

// Close unsubscribes.
func (p *procCounter) Close() {
	_ = p.send(procCnMcastIgnore)
	unix.Close(p.fd)
}
