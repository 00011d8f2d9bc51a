package network

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// BridgeSupported reports whether the kernel can do bridge networking: the
// bridge module is loaded (/sys/module/bridge, /proc/modules) or available
// (built in, or loadable per modules.dep), checked in Nomad's order.
func BridgeSupported() bool {
	if _, err := os.Stat("/sys/module/bridge"); err == nil {
		return true
	}
	if fileHasLinePrefix("/proc/modules", "bridge ") {
		return true
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	dir := filepath.Join("/lib/modules", unix.ByteSliceToString(u.Release[:]))
	return fileHasSuffix(filepath.Join(dir, "modules.builtin"), "/bridge.ko") ||
		fileHasSuffix(filepath.Join(dir, "modules.dep"), "/bridge.ko", "/bridge.ko.xz", "/bridge.ko.zst", "/bridge.ko.gz")
}

func fileHasLinePrefix(path, prefix string) bool {
	return scanLines(path, func(line string) bool { return strings.HasPrefix(line, prefix) })
}

// fileHasSuffix matches the first field (before ':') of any line against suffixes.
func fileHasSuffix(path string, suffixes ...string) bool {
	return scanLines(path, func(line string) bool {
		field, _, _ := strings.Cut(line, ":")
		for _, s := range suffixes {
			if strings.HasSuffix(field, s) {
				return true
			}
		}
		return false
	})
}

func scanLines(path string, match func(string) bool) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if match(s.Text()) {
			return true
		}
	}
	return false
}
