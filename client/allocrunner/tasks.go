package allocrunner

import (
	"context"
	"sync"
	"time"

	"github.com/netnomad/netnomad/client/allocrunner/taskrunner"
	"github.com/netnomad/netnomad/nomad/structs"
)

// killingEvent is the event tasks get when the allocation is stopped.
func killingEvent() *structs.TaskEvent { return structs.NewTaskEvent(structs.TaskKilling) }

// task lifecycle classes.
const (
	classPrestart        = "prestart"
	classPrestartSidecar = "prestart-sidecar"
	classMain            = "main"
	classPoststart       = "poststart"
	classPoststop        = "poststop"
)

func taskClass(t *structs.Task) string {
	if t.Lifecycle == nil {
		return classMain
	}
	switch t.Lifecycle.Hook {
	case structs.TaskLifecycleHookPrestart:
		if t.Lifecycle.Sidecar {
			return classPrestartSidecar
		}
		return classPrestart
	case structs.TaskLifecycleHookPoststart:
		return classPoststart
	case structs.TaskLifecycleHookPoststop:
		return classPoststop
	}
	return classMain
}

// tasksOf returns the task runners of the given classes, in group order.
func (ar *AllocRunner) tasksOf(classes ...string) []*taskrunner.TaskRunner {
	var out []*taskrunner.TaskRunner
	for _, name := range ar.taskOrder {
		tr := ar.tasks[name]
		c := taskClass(tr.Task())
		for _, want := range classes {
			if c == want {
				out = append(out, tr)
				break
			}
		}
	}
	return out
}

// runTasks starts the tasks in lifecycle order and returns when all are dead
// (false) or the agent shuts down (true):
//
//	prestart tasks ──(ephemeral ones completed, sidecars running)──▶ main tasks
//	   ──(main tasks running)──▶ poststart tasks
//	   ──(all main tasks dead)──▶ kill sidecars ("Main Tasks Dead") ──▶ poststop tasks
//
// A failed task kills its siblings (handleTaskStateUpdates); killed tasks that
// never started are marked dead, so every wait below ends.
func (ar *AllocRunner) runTasks() (shutdown bool) {
	start := func(trs []*taskrunner.TaskRunner) {
		for _, tr := range trs {
			if !tr.Launched() {
				go tr.Run()
			}
		}
	}
	isDead := func(tr *taskrunner.TaskRunner) bool { return tr.TaskState().State == structs.TaskStateDead }
	all := func(trs []*taskrunner.TaskRunner, ok func(*taskrunner.TaskRunner) bool) func() bool {
		return func() bool {
			for _, tr := range trs {
				if !ok(tr) {
					return false
				}
			}
			return true
		}
	}

	prestart := ar.tasksOf(classPrestart)
	sidecars := ar.tasksOf(classPrestartSidecar)
	main := ar.tasksOf(classMain)
	poststart := ar.tasksOf(classPoststart)
	poststop := ar.tasksOf(classPoststop)

	// 1. prestart: ephemeral tasks must complete successfully, sidecars must run.
	start(prestart)
	start(sidecars)
	prestartOK := func() bool {
		for _, tr := range prestart {
			if s := tr.TaskState(); s.State != structs.TaskStateDead || s.Failed {
				return false
			}
		}
		return true
	}
	if !ar.waitUntil(func() bool {
		return ar.anyFailed() || (prestartOK() && all(sidecars, func(tr *taskrunner.TaskRunner) bool {
			return tr.TaskState().State != structs.TaskStatePending
		})())
	}) {
		return true
	}

	// 2. main tasks, then poststart tasks once the main tasks run.
	if !ar.anyFailed() && prestartOK() {
		start(main)
		if !ar.waitUntil(all(main, func(tr *taskrunner.TaskRunner) bool {
			return tr.TaskState().State != structs.TaskStatePending
		})) {
			return true
		}
		start(poststart)
	}

	// 3. wait for the main tasks to end (complete, failed or killed). Main tasks
	// that never started are killed (marked dead) so the wait ends.
	if ar.anyFailed() || !prestartOK() {
		for _, tr := range append(append([]*taskrunner.TaskRunner{}, main...), poststart...) {
			if !tr.Launched() {
				tr.Kill(context.Background(), nil)
			}
		}
	}
	if !ar.waitUntil(all(main, isDead)) {
		return true
	}

	// 4. main tasks are dead: stop sidecars and remaining poststart tasks.
	ar.killTaskList(append(append([]*taskrunner.TaskRunner{}, sidecars...), poststart...), func() *structs.TaskEvent {
		return structs.NewTaskEvent(structs.TaskMainDead)
	})

	// 5. poststop tasks run to completion (unless the allocation is destroyed,
	// which kills them).
	start(poststop)
	if !ar.waitUntil(all(poststop, isDead)) {
		return true
	}

	// Every started task runner has returned.
	for _, tr := range ar.tasks {
		if tr.Launched() {
			select {
			case <-tr.WaitCh():
			case <-ar.shutdownCh:
				return true
			}
		}
	}
	return false
}

// anyFailed reports whether a task failed for good.
func (ar *AllocRunner) anyFailed() bool {
	for _, tr := range ar.tasks {
		if s := tr.TaskState(); s.State == structs.TaskStateDead && s.Failed {
			return true
		}
	}
	return false
}

// waitUntil waits for cond, re-checking on every task state change. It returns
// false if the agent shuts down first.
func (ar *AllocRunner) waitUntil(cond func() bool) bool {
	for !cond() {
		select {
		case <-ar.coordinatorCh:
		case <-ar.shutdownCh:
			return false
		}
	}
	return !ar.isShutdown()
}

// killTasks stops the allocation's tasks: the group's shutdown_delay first (when
// groupDelay and something runs), then the leader, then the other main/prestart/poststart
// tasks, then prestart sidecars — each with its own shutdown_delay, kill_timeout
// and kill_signal. Poststop tasks are only killed when destroying. It blocks
// until the killed tasks are dead.
func (ar *AllocRunner) killTasks(mkEvent func() *structs.TaskEvent, destroy, groupDelay bool) {
	ar.killOnce.Do(func() { close(ar.killCh) })
	if destroy {
		ar.mu.Lock()
		ar.destroying = true
		ar.mu.Unlock()
	}
	ar.preKill()

	ar.mu.RLock()
	tg := ar.alloc.LookupTaskGroup()
	ar.mu.RUnlock()
	if tg != nil && groupDelay && tg.ShutdownDelay != nil && *tg.ShutdownDelay > 0 && ar.anyTaskAlive() {
		ar.logger.Debug("waiting for group shutdown_delay", "delay", *tg.ShutdownDelay)
		select {
		case <-time.After(*tg.ShutdownDelay):
		case <-ar.shutdownCh:
			return
		}
	}

	var leader, others []*taskrunner.TaskRunner
	for _, tr := range ar.tasksOf(classMain, classPrestart, classPoststart) {
		if tr.IsLeader() {
			leader = append(leader, tr)
		} else {
			others = append(others, tr)
		}
	}
	ar.killTaskList(leader, mkEvent)
	ar.killTaskList(others, mkEvent)
	ar.killTaskList(ar.tasksOf(classPrestartSidecar), mkEvent)
	if destroy {
		ar.killTaskList(ar.tasksOf(classPoststop), mkEvent)
	}
}

// killTaskList kills the tasks concurrently and waits for them.
func (ar *AllocRunner) killTaskList(trs []*taskrunner.TaskRunner, mkEvent func() *structs.TaskEvent) {
	var wg sync.WaitGroup
	for _, tr := range trs {
		if tr.TaskState().State == structs.TaskStateDead {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := tr.Kill(context.Background(), mkEvent()); err != nil {
				ar.logger.Warn("failed to kill task", "task", tr.Name(), "error", err)
			}
		}()
	}
	wg.Wait()
}

// markUnstartedDead marks tasks that never ran as dead (allocation stopped
// before it started).
func (ar *AllocRunner) markUnstartedDead() {
	for _, tr := range ar.tasks {
		if !tr.Launched() && tr.TaskState().State != structs.TaskStateDead {
			tr.Kill(context.Background(), nil)
		}
	}
}
