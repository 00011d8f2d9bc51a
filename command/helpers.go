package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/ryanuber/columnize"
)

// formatKV renders "key|value" rows as aligned "key = value" lines, with <none>
// for empty values.
func formatKV(in []string) string {
	conf := columnize.DefaultConfig()
	conf.Empty = "<none>"
	conf.Glue = " = "
	return columnize.Format(in, conf)
}

// formatList renders "a|b|c" rows as columns separated by two spaces, with
// <none> for empty cells.
func formatList(in []string) string {
	conf := columnize.DefaultConfig()
	conf.Empty = "<none>"
	return columnize.Format(in, conf)
}

// formatListWithSpaces is formatList that leaves empty cells blank.
func formatListWithSpaces(in []string) string {
	conf := columnize.DefaultConfig()
	return columnize.Format(in, conf)
}

// limit shortens an ID to length characters (8 without -verbose).
func limit(s string, length int) string {
	if len(s) < length {
		return s
	}
	return s[:length]
}

// formatTime prints t in ISO 8601 in the local zone, or "" for the zero time and
// the UNIX epoch, which would only confuse.
func formatTime(t time.Time) string {
	if t.Unix() < 1 {
		return ""
	}
	return t.Format("2006-01-02T15:04:05Z07:00")
}

// formatUnixNanoTime is formatTime for a UNIX time in nanoseconds.
func formatUnixNanoTime(nano int64) string {
	return formatTime(time.Unix(0, nano))
}

// prettyTimeDiff prints the distance between first and second with the two most
// significant units, e.g. "10mo12d ago", "5m3s ago", "2h from now"; "" when first
// is unset.
func prettyTimeDiff(first, second time.Time) string {
	if first.IsZero() || first.UnixNano() == 0 {
		return ""
	}
	first = first.Round(time.Second)
	second = second.Round(time.Second)
	suffix := " ago"
	d := second.Sub(first)
	if d < 0 {
		d = -d
		suffix = " from now"
	}
	secs := uint64(d / time.Second)
	units := []struct {
		name string
		size uint64
	}{
		{"y", 60 * 60 * 24 * 30 * 12},
		{"mo", 60 * 60 * 24 * 30},
		{"d", 60 * 60 * 24},
		{"h", 60 * 60},
		{"m", 60},
		{"s", 1},
	}
	var parts []string
	for _, u := range units {
		if n := secs / u.size; n > 0 {
			parts = append(parts, fmt.Sprintf("%d%s", n, u.name))
			secs -= n * u.size
		}
	}
	if len(parts) == 0 {
		return "0s" + suffix
	}
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, "") + suffix
}

// humanizeIBytes prints a byte count with binary units as go-humanize does:
// "300 MiB", "1.5 GiB", "512 B".
func humanizeIBytes(b uint64) string {
	if b < 1024 {
		return fmt.Sprintf("%d B", b)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	val := float64(b)
	i := -1
	for val >= 1024 && i < len(units)-1 {
		val /= 1024
		i++
	}
	f := "%.0f %s"
	if val < 10 {
		f = "%.1f %s"
	}
	return fmt.Sprintf(f, val, units[i])
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formatAllocMetrics explains why placements failed, one "* ..." line per cause,
// each prefixed by prefix. Map-valued metrics are printed in key order.
func formatAllocMetrics(metrics *api.AllocationMetric, prefix string) string {
	var out strings.Builder
	if metrics.NodesEvaluated == 0 {
		fmt.Fprintf(&out, "%s* No nodes were eligible for evaluation\n", prefix)
	}
	for _, dc := range sortedKeys(metrics.NodesAvailable) {
		if metrics.NodesAvailable[dc] == 0 {
			fmt.Fprintf(&out, "%s* No nodes are available in datacenter %q\n", prefix, dc)
		}
	}
	for _, class := range sortedKeys(metrics.ClassFiltered) {
		fmt.Fprintf(&out, "%s* Class %q filtered %d nodes\n", prefix, class, metrics.ClassFiltered[class])
	}
	for _, cs := range sortedKeys(metrics.ConstraintFiltered) {
		fmt.Fprintf(&out, "%s* Constraint %q filtered %d nodes\n", prefix, cs, metrics.ConstraintFiltered[cs])
	}
	if ne := metrics.NodesExhausted; ne > 0 {
		fmt.Fprintf(&out, "%s* Resources exhausted on %d nodes\n", prefix, ne)
	}
	for _, class := range sortedKeys(metrics.ClassExhausted) {
		fmt.Fprintf(&out, "%s* Class %q exhausted on %d nodes\n", prefix, class, metrics.ClassExhausted[class])
	}
	for _, dim := range sortedKeys(metrics.DimensionExhausted) {
		fmt.Fprintf(&out, "%s* Dimension %q exhausted on %d nodes\n", prefix, dim, metrics.DimensionExhausted[dim])
	}
	for _, dim := range metrics.QuotaExhausted {
		fmt.Fprintf(&out, "%s* Quota limit hit %q\n", prefix, dim)
	}
	return strings.TrimSuffix(out.String(), "\n")
}
