package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// report prints the table: what the cluster was, node registrations and
// heartbeats, then placements/s through the API against the in-process baseline.
func report(out io.Writer, o options, reg registration, placed []placement, base []float64, jobRegs []registerPass, hb heartbeatStats, notReady int, leader string) {
	load, _ := os.ReadFile("/proc/loadavg")
	loadavg := "n/a"
	if f := strings.Fields(string(load)); len(f) >= 3 {
		loadavg = strings.Join(f[:3], " ")
	}
	fmt.Fprintf(out, "\nscheduling benchmark: %d server(s) (leader %s, API calls to server-1), %d simulated nodes, %d allocations per job, %d runs, load %s\n\n",
		o.servers, leader, o.nodes, o.allocs, o.runs, loadavg)

	fmt.Fprintf(out, "node registrations: %d in %.1f s = %.0f nodes/s (%d at a time; per call p50 %s ms, p99 %s ms)\n",
		reg.n, reg.elapsed.Seconds(), float64(reg.n)/reg.elapsed.Seconds(), o.registerers,
		ms(percentile(reg.latencies, 50)), ms(percentile(reg.latencies, 99)))
	headroom := "n/a"
	if hb.sent > 0 {
		headroom = fmt.Sprintf("%.1f s", hb.headroom.Seconds())
	}
	fmt.Fprintf(out, "heartbeats: %d sent (%.0f/s) by %d goroutines, each node every TTL/2 with the TTL the servers handed it (%.0f-%.0f s); at most %s ms past due; longest silence of a node %.1f s, least TTL left at a heartbeat %s; %d failed; %d of %d nodes not ready at the end\n\n",
		hb.sent, hb.perSecond, o.heartbeaters, hb.minTTL.Seconds(), hb.maxTTL.Seconds(), ms(hb.maxLate),
		hb.maxSilence.Seconds(), headroom, hb.failures, notReady, o.nodes)

	apiRates := make([]float64, len(placed))
	var total, evals, regs []time.Duration
	for i, p := range placed {
		apiRates[i] = p.perSecond()
		total = append(total, p.placed)
		evals = append(evals, p.evalTotal)
		regs = append(regs, p.register)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tplacements/s p50\tplacements/s per run\tsubmit→all placed p50 ms\teval create→complete p50 ms\tregister call p50 ms\t")
	fmt.Fprintf(tw, "scheduler in-process (no API, no raft)\t%.0f\t%s\t%s\t%s\t%s\t\n",
		medianFloat(base), rates(base), ms(time.Duration(float64(o.allocs)/medianFloat(base)*float64(time.Second))), "-", "-")
	fmt.Fprintf(tw, "API + raft, %d server(s)\t%.0f\t%s\t%s\t%s\t%s\t\n",
		o.servers, medianFloat(apiRates), rates(apiRates), ms(percentile(total, 50)), ms(percentile(evals, 50)), ms(percentile(regs, 50)))
	tw.Flush()
	if b, a := medianFloat(base), medianFloat(apiRates); a > 0 && b > 0 {
		fmt.Fprintf(out, "\nAPI vs in-process, p50: %.0f%% of the baseline's rate; overhead +%.0f%% time per placement\n", 100*a/b, 100*(b/a-1))
	}
	reportRegistrations(out, jobRegs)
}

// reportRegistrations prints the job registration passes: register calls
// through the public API (admission, raft write of job and eval; placement
// happens after the call returns).
func reportRegistrations(out io.Writer, regs []registerPass) {
	if len(regs) == 0 {
		return
	}
	fmt.Fprintf(out, "\njob registrations through the API (small count=1 jobs, register call only):\n\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "sent to\twriters\tjobs\tregistrations/s\tcall p50 ms\tcall p99 ms\t")
	for _, r := range regs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t\n", r.target, r.writers, r.n, r.perSecond(),
			ms(percentile(r.latencies, 50)), ms(percentile(r.latencies, 99)))
	}
	tw.Flush()
}

func rates(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(s, " ")
}

// percentile returns the nearest-rank p-th percentile of d (0 when empty).
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	idx := max((len(s)*p+99)/100, 1) // nearest rank, 1-based
	return s[idx-1]
}

// medianFloat returns the lower median of xs (0 when empty).
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[(len(s)-1)/2]
}

// ms formats d in milliseconds with one decimal.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}
