package allocrunner

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// maxUnixPath is the longest path a unix socket address holds (sun_path
// minus the terminating NUL).
const maxUnixPath = 107

// listenUnix listens on the unix socket path. A path too long for a socket
// address (deep alloc dirs) is bound through /proc/self/fd/<dir fd>/<name>,
// which names the same directory in a few bytes.
func listenUnix(path string) (net.Listener, error) {
	if len(path) <= maxUnixPath {
		return net.Listen("unix", path)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("failed to open socket directory: %w", err)
	}
	defer dir.Close()
	short := fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path))
	l, err := net.Listen("unix", short)
	if err != nil {
		return nil, err
	}
	// Closing the listener must not try to unlink the /proc alias.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	return l, nil
}
