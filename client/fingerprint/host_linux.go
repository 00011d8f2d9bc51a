package fingerprint

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/netnomad/netnomad/client/config"
)

// probeHost reads uname, /etc/os-release, /proc/cpuinfo, /proc/meminfo and
// statfs of the data dir. It returns what it found plus any errors joined.
func probeHost(cfg *config.Config) (HostFacts, error) {
	var f HostFacts
	var errs []error

	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		errs = append(errs, fmt.Errorf("failed to uname: %w", err))
	} else {
		f.KernelName = strings.ToLower(unix.ByteSliceToString(u.Sysname[:]))
		f.KernelVersion = unix.ByteSliceToString(u.Release[:])
		f.KernelArch = unix.ByteSliceToString(u.Machine[:])
	}

	if osr, err := readKeyValues("/etc/os-release", "="); err == nil {
		f.OSName = strings.Trim(osr["ID"], `"`)
		f.OSVersion = strings.Trim(osr["VERSION_ID"], `"`)
	} else {
		errs = append(errs, err)
	}

	cores, mhz, err := readCPUInfo()
	if err != nil {
		errs = append(errs, err)
	}
	f.CPUCores, f.CPUMHz = cores, mhz

	if mem, err := readKeyValues("/proc/meminfo", ":"); err == nil {
		kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(mem["MemTotal"]), " kB"), 10, 64)
		f.MemoryBytes = kb * 1024
	} else {
		errs = append(errs, err)
	}

	dir := cfg.AllocDir
	for dir != "" && dir != "/" {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		dir = parentDir(dir)
	}
	if dir == "" {
		dir = "/"
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		errs = append(errs, fmt.Errorf("failed to statfs %q: %w", dir, err))
	} else {
		f.DiskBytes = st.Blocks * uint64(st.Bsize)
	}
	return f, errors.Join(errs...)
}

func parentDir(p string) string {
	i := strings.LastIndex(strings.TrimRight(p, "/"), "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// readCPUInfo counts logical CPUs and reads the first "cpu MHz" (falling back to
// cpufreq's max frequency when /proc/cpuinfo has none, as on arm64).
func readCPUInfo() (int, float64, error) {
	file, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0, 0, fmt.Errorf("failed to read cpuinfo: %w", err)
	}
	defer file.Close()
	cores := 0
	mhz := 0.0
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			cores++
		case "cpu MHz":
			if mhz == 0 {
				mhz, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		}
	}
	if mhz == 0 {
		if b, err := os.ReadFile("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"); err == nil {
			khz, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
			mhz = khz / 1000
		}
	}
	return cores, mhz, sc.Err()
}

// readKeyValues parses "key<sep>value" lines.
func readKeyValues(path, sep string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read %q: %w", path, err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, sep); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out, nil
}

// defaultRouteInterface returns the interface of the IPv4 default route from
// /proc/net/route.
func defaultRouteInterface() (string, error) {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return "", fmt.Errorf("failed to read routes: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) >= 8 && fields[1] == "00000000" && fields[7] == "00000000" {
			return fields[0], nil
		}
	}
	return "", errors.New("no default route found")
}
