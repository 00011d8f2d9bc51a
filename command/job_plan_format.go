package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// The plan diff layout, as Nomad prints it:
//
//	<marker><pad>Job: "id"            markers: "+ " added, "- " deleted, "+/- " edited
//	<marker><pad>Task Group: "g" (1 create, 2 ignore)
//	  <marker><pad>Task: "t" (forces create)
//	    <marker><pad>Field: <value pad>"old" => "new"
//	    <marker><pad>Object {
//	      ...fields and objects, two more spaces in...
//	        }
//
// Siblings are aligned on the longest marker among them (so an unchanged line
// next to an edited one is indented by four spaces), field values on the longest
// field name. Added or deleted groups and tasks are expanded only with -verbose.

// jobModifyIndexHelp is printed after every plan.
const jobModifyIndexHelp = `To submit the job with version verification run:

nomad job run -check-index %d %s%s

When running the job with the check-index flag, the job will only be run if the
server side version matches the job modify index returned. If the index has
changed, another user has modified the job and the plan's results are
potentially invalid.`

// formatJobModifyIndex renders the "Job Modify Index" hint; args are extra flags
// (e.g. `-var="a=1" `) to repeat in the suggested command.
func formatJobModifyIndex(jobModifyIndex uint64, args, path string) string {
	help := fmt.Sprintf(jobModifyIndexHelp, jobModifyIndex, args, path)
	return fmt.Sprintf("[reset][bold]Job Modify Index: %d[reset]\n%s", jobModifyIndex, help)
}

// formatDryRun explains the scheduler's dry run: success, or the placement
// failures per task group.
func formatDryRun(resp *api.JobPlanResponse, job *api.Job) string {
	var rolling *api.Evaluation
	for _, eval := range resp.CreatedEvals {
		if eval.TriggeredBy == "rolling-update" {
			rolling = eval
		}
	}

	var out strings.Builder
	if len(resp.FailedTGAllocs) == 0 {
		out.WriteString("[bold][green]- All tasks successfully allocated.[reset]\n")
	} else {
		if job != nil && job.Type != nil && *job.Type == "system" {
			out.WriteString("[bold][yellow]- WARNING: Failed to place allocations on all nodes.[reset]\n")
		} else {
			out.WriteString("[bold][yellow]- WARNING: Failed to place all allocations.[reset]\n")
		}
		for _, tg := range sortedKeys(resp.FailedTGAllocs) {
			metrics := resp.FailedTGAllocs[tg]
			noun := "allocation"
			if metrics.CoalescedFailures > 0 {
				noun += "s"
			}
			fmt.Fprintf(&out, "  [yellow]Task Group %q (failed to place %d %s):\n[reset]", tg, metrics.CoalescedFailures+1, noun)
			fmt.Fprintf(&out, "[yellow]%s[reset]\n\n", formatAllocMetrics(metrics, "    "))
		}
	}
	s := out.String()
	if rolling != nil {
		s += fmt.Sprintf("[green]- Rolling update, next evaluation will be in %s.\n", rolling.Wait)
	}
	return strings.TrimRight(s, "\n")
}

// planExitCode is 0 when no allocation is created, stopped, migrated, canaried
// or destructively updated (in-place updates exit 0), 1 otherwise.
func planExitCode(resp *api.JobPlanResponse) int {
	if resp.Diff != nil && resp.Diff.Type == "None" {
		return 0
	}
	if resp.Annotations == nil {
		return 0
	}
	for _, d := range resp.Annotations.DesiredTGUpdates {
		if d.Stop+d.Place+d.Migrate+d.DestructiveUpdate+d.Canary > 0 {
			return 1
		}
	}
	return 0
}

// formatJobDiff renders a job diff with colour markup; verbose expands added and
// deleted groups and tasks.
func formatJobDiff(job *api.JobDiff, verbose bool) string {
	marker, _ := diffMarker(job.Type)
	out := fmt.Sprintf("%s[bold]Job: %q\n", marker, job.ID)

	longestField, longestMarker := longestPrefixes(job.Fields, job.Objects)
	for _, tg := range job.TaskGroups {
		if _, l := diffMarker(tg.Type); l > longestMarker {
			longestMarker = l
		}
	}

	if job.Type == "Edited" || verbose {
		fo := alignedFieldsAndObjects(job.Fields, job.Objects, 0, longestField, longestMarker)
		out += fo
		if fo != "" {
			out += "\n"
		}
	}

	for _, tg := range job.TaskGroups {
		_, l := diffMarker(tg.Type)
		out += formatTaskGroupDiff(tg, longestMarker-l, verbose) + "\n"
	}
	return out
}

// groupUpdateColors colours the update counts after a task group name.
var groupUpdateColors = map[string]string{
	"create":                "[green]",
	"destroy":               "[red]",
	"migrate":               "[blue]",
	"in-place update":       "[cyan]",
	"create/destroy update": "[yellow]",
	"canary":                "[light_yellow]",
}

// formatTaskGroupDiff renders one task group; pad is the number of spaces between
// the marker and "Task Group" so that siblings line up.
func formatTaskGroupDiff(tg *api.TaskGroupDiff, pad int, verbose bool) string {
	marker, _ := diffMarker(tg.Type)
	out := fmt.Sprintf("%s%s[bold]Task Group: %q[reset]", marker, strings.Repeat(" ", pad), tg.Name)

	if len(tg.Updates) > 0 {
		kinds := sortedKeys(tg.Updates)
		updates := make([]string, 0, len(kinds))
		for _, kind := range kinds {
			updates = append(updates, fmt.Sprintf("[reset]%s%d %s", groupUpdateColors[kind], tg.Updates[kind], kind))
		}
		out += fmt.Sprintf(" (%s[reset])\n", strings.Join(updates, ", "))
	} else {
		out += "[reset]\n"
	}

	longestField, longestMarker := longestPrefixes(tg.Fields, tg.Objects)
	for _, task := range tg.Tasks {
		if _, l := diffMarker(task.Type); l > longestMarker {
			longestMarker = l
		}
	}

	start := pad + 2
	if tg.Type == "Edited" || verbose {
		fo := alignedFieldsAndObjects(tg.Fields, tg.Objects, start, longestField, longestMarker)
		out += fo
		if fo != "" {
			out += "\n"
		}
	}

	for _, task := range tg.Tasks {
		_, l := diffMarker(task.Type)
		out += formatTaskDiff(task, start, longestMarker-l, verbose) + "\n"
	}
	return out
}

// formatTaskDiff renders one task at start spaces, pad spaces after its marker.
func formatTaskDiff(task *api.TaskDiff, start, pad int, verbose bool) string {
	marker, _ := diffMarker(task.Type)
	out := fmt.Sprintf("%s%s%s[bold]Task: %q", strings.Repeat(" ", start), marker, strings.Repeat(" ", pad), task.Name)
	if len(task.Annotations) != 0 {
		out += fmt.Sprintf(" [reset](%s)", colorAnnotations(task.Annotations))
	}

	switch {
	case task.Type == "None":
		return out
	case (task.Type == "Deleted" || task.Type == "Added") && !verbose:
		return out
	}
	out += "\n"

	longestField, longestMarker := longestPrefixes(task.Fields, task.Objects)
	out += alignedFieldsAndObjects(task.Fields, task.Objects, start+2, longestField, longestMarker)
	return out
}

// formatObjectDiff renders a nested object and its closing brace.
func formatObjectDiff(diff *api.ObjectDiff, start, pad int) string {
	marker, markerLen := diffMarker(diff.Type)
	out := fmt.Sprintf("%s%s%s%s {\n", strings.Repeat(" ", start), marker, strings.Repeat(" ", pad), diff.Name)

	longestField, longestMarker := longestPrefixes(diff.Fields, diff.Objects)
	out += alignedFieldsAndObjects(diff.Fields, diff.Objects, start+pad+2, longestField, longestMarker)
	return fmt.Sprintf("%s\n%s}", out, strings.Repeat(" ", start+markerLen+pad))
}

// formatFieldDiff renders `Name: "value"` (or `"old" => "new"` when edited);
// valuePad aligns values on the longest sibling field name.
func formatFieldDiff(diff *api.FieldDiff, start, pad, valuePad int) string {
	marker, _ := diffMarker(diff.Type)
	out := fmt.Sprintf("%s%s%s%s: %s", strings.Repeat(" ", start), marker, strings.Repeat(" ", pad),
		diff.Name, strings.Repeat(" ", valuePad))

	switch diff.Type {
	case "Added":
		out += fmt.Sprintf("%q", diff.New)
	case "Deleted":
		out += fmt.Sprintf("%q", diff.Old)
	case "Edited":
		out += fmt.Sprintf("%q => %q", diff.Old, diff.New)
	default:
		out += fmt.Sprintf("%q", diff.New)
	}
	if len(diff.Annotations) != 0 {
		out += fmt.Sprintf(" (%s)", colorAnnotations(diff.Annotations))
	}
	return out
}

// alignedFieldsAndObjects renders fields then objects, one per line, without a
// trailing newline.
func alignedFieldsAndObjects(fields []*api.FieldDiff, objects []*api.ObjectDiff, start, longestField, longestMarker int) string {
	var lines []string
	for _, field := range fields {
		_, l := diffMarker(field.Type)
		lines = append(lines, formatFieldDiff(field, start, longestMarker-l, longestField-len(field.Name)))
	}
	for _, object := range objects {
		_, l := diffMarker(object.Type)
		lines = append(lines, formatObjectDiff(object, start, longestMarker-l))
	}
	return strings.Join(lines, "\n")
}

// longestPrefixes returns the longest field name and the longest marker among
// fields and objects.
func longestPrefixes(fields []*api.FieldDiff, objects []*api.ObjectDiff) (longestField, longestMarker int) {
	for _, field := range fields {
		if l := len(field.Name); l > longestField {
			longestField = l
		}
		if _, l := diffMarker(field.Type); l > longestMarker {
			longestMarker = l
		}
	}
	for _, obj := range objects {
		if _, l := diffMarker(obj.Type); l > longestMarker {
			longestMarker = l
		}
	}
	return longestField, longestMarker
}

// diffMarker returns the coloured marker of a diff type and its printed width.
func diffMarker(diffType string) (string, int) {
	switch diffType {
	case "Added":
		return "[green]+[reset] ", 2
	case "Deleted":
		return "[red]-[reset] ", 2
	case "Edited":
		return "[light_yellow]+/-[reset] ", 4
	default:
		return "", 0
	}
}

// colorAnnotations joins annotations with ", ", colouring the known ones.
func colorAnnotations(annotations []string) string {
	colored := make([]string, len(annotations))
	for i, a := range annotations {
		switch a {
		case "forces create":
			colored[i] = "[green]" + a + "[reset]"
		case "forces destroy":
			colored[i] = "[red]" + a + "[reset]"
		case "forces in-place update":
			colored[i] = "[cyan]" + a + "[reset]"
		case "forces create/destroy update":
			colored[i] = "[yellow]" + a + "[reset]"
		default:
			colored[i] = a
		}
	}
	return strings.Join(colored, ", ")
}

// sortTaskGroupDiffs orders groups and their tasks by name, as Nomad lists them.
func sortTaskGroupDiffs(d *api.JobDiff) {
	if d == nil {
		return
	}
	sort.SliceStable(d.TaskGroups, func(i, j int) bool { return d.TaskGroups[i].Name < d.TaskGroups[j].Name })
	for _, tg := range d.TaskGroups {
		sort.SliceStable(tg.Tasks, func(i, j int) bool { return tg.Tasks[i].Name < tg.Tasks[j].Name })
	}
}
