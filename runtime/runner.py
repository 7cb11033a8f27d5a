"""A run: choose the tasks, take the workspace lock, drive the scheduler with the executors, journal
every transition, show progress, and handle SIGINT/SIGTERM (docs/run.md)."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from ferryman.compiler import tasks
from ferryman.compiler.plan import Plan, Task
from ferryman.errors import ExitCode, FerrymanError, UsageError

from . import journal as jr
from .executors import RunContext, executor_for
from .htmlreport import write_report
from .progress import Progress
from .scheduler import SchedTask, Scheduler, TaskEvent, TaskOutcome, TaskRecord, TaskStatus


@dataclasses.dataclass(frozen=True)
class RunOptions:
    only: tuple[str, ...] = ()
    with_deps: bool = False
    include_delayed: bool = False
    featuresets: tuple[str, ...] = ()
    max_parallel: int | None = None
    fail_fast: bool = False
    resume: bool = False
    progress: str = "auto"  # auto | plain | none
    log_format: str = "text"  # text | json
    force_stale: bool = False
    shared_lock: bool = False  # the caller schedules (Snakemake): see journal.WorkspaceLock


@dataclasses.dataclass
class RunResult:
    run_id: str
    exit_code: int
    summary: jr.RunSummary


def select(plan: Plan, opts: RunOptions) -> tuple[Plan, list[str]]:
    """The part of the plan this run executes, and notes on what was left out."""
    notes: list[str] = []
    if opts.featuresets:
        kinds = tasks.registry()
        provides = {t.id: kinds[t.kind].featuresets(t.action) if t.kind in kinds else () for t in plan.tasks}
        known = sorted({f for fs in provides.values() for f in fs})
        wanted = []
        for fs in opts.featuresets:
            providers = [tid for tid, fss in provides.items() if fs in fss]
            if not providers:
                raise UsageError(f"no source provides featureset {fs!r}", hint="featuresets: " + ", ".join(known))
            wanted.extend(providers)
        return plan.select(sorted(set(wanted) | set(opts.only)), with_deps=opts.with_deps), notes
    if opts.only:
        return plan.select(opts.only, with_deps=opts.with_deps), notes
    if opts.include_delayed or plan.include_delayed:
        return plan, notes
    delayed = [t.id for t in plan.tasks if t.delayed]
    if delayed:
        notes.append(f"{len(delayed)} delayed task{'s' if len(delayed) != 1 else ''} not run "
                     f"({', '.join(delayed)}; add --include-delayed)")
    keep = [t.id for t in plan.tasks if not t.delayed]
    return plan.select(keep), notes


def execute(plan: Plan, opts: RunOptions, *, out: Any = None, err: Any = None) -> RunResult:
    """Run `plan` under `opts`. Returns the exit code of docs/plan.md (0, 1, 130) with the summary."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not opts.force_stale:
        plan.check_fresh()
    chosen, notes = select(plan, opts)
    if not plan.state_dir.strip() or "\0" in plan.state_dir:  # a hand-edited plan
        raise FerrymanError("the plan's state_dir is empty or holds a NUL",
                            hint="set state_dir in [workspace] and plan again")
    state_dir = os.path.join(plan.root, plan.state_dir)
    if os.path.exists(state_dir) and not os.path.isdir(state_dir):
        raise FerrymanError(f"the state dir {plan.state_dir} is not a folder")
    lock = jr.WorkspaceLock(state_dir, tasks=[t.id for t in chosen.tasks] if opts.shared_lock else None)
    lock.acquire()
    try:
        if lock.reaped:
            notes.append(f"ended {len(lock.reaped)} process group{'s' if len(lock.reaped) != 1 else ''} "
                         f"left running by a run that crashed ({', '.join(map(str, lock.reaped))})")
        return _execute_locked(plan, chosen, notes, opts, state_dir, out, err, lock)
    finally:
        lock.release()


def _execute_locked(
    plan: Plan, chosen: Plan, notes: list[str], opts: RunOptions, state_dir: str, out: Any, err: Any,
    lock: jr.WorkspaceLock | None = None,
) -> RunResult:
    digest = plan.digest
    done: dict[str, TaskRecord] = {}
    if opts.resume:
        for tid, rec in jr.succeeded_for(state_dir, digest).items():
            t = _find(chosen, tid)
            if t is not None and _output_present(plan, t):
                done[tid] = rec
        if done:
            notes.append(f"resuming: {len(done)} task{'s' if len(done) != 1 else ''} already succeeded "
                         f"for this plan ({', '.join(sorted(done))})")
    unsupported = [t.id for t in chosen.tasks if executor_for(t.kind) is None and t.id not in done]
    todo = [t for t in chosen.tasks if t.id not in done and t.id not in unsupported]
    todo_ids = {t.id for t in todo}

    ctx = RunContext.for_plan(plan, state_dir)
    if lock is not None:
        ctx.on_groups = lock.record_groups
        ctx.crashed_pid = lock.crashed_pid
    run_id = jr.new_run_id()
    journal = jr.Journal(state_dir, run_id, redact=ctx.redact.scrub)
    journal.write("run-start", run=run_id, digest=digest, workspace=plan.workspace,
                  tasks=[t.id for t in chosen.tasks], options=_options_record(opts),
                  **jr.task_facts(chosen.tasks, plan.root))
    for tid, rec in sorted(done.items()):
        # no times: it ran in an earlier run, not in this one (reports draw no bar, durations learn nothing)
        journal.write("task", task=tid, status="succeeded", resumed=True, output=rec.output,
                      message="resumed: succeeded in an earlier run of this plan", warning=rec.warning)
    for tid in unsupported:
        journal.write("task", task=tid, status="skipped",
                      error=f"this version of ferryman has no executor for {tid.split(':')[0]} tasks")

    durations = jr.expected_durations(state_dir)
    sched_tasks = [
        SchedTask(t.id, tuple(a for a in t.after if a in todo_ids), t.resources, durations.get(t.id, 0.0))
        for t in todo
    ]
    by_id = {t.id: t for t in todo}
    progress = Progress(len(chosen.tasks), done=len(done) + len(unsupported), mode=opts.progress,
                        log_format=opts.log_format, stream=err, json_stream=out, redact=ctx.redact)
    for n in notes:
        progress.note(n)

    internal = threading.Event()  # an executor raised: a bug, the run exits 70

    def run_task(st: SchedTask) -> TaskOutcome:
        task = by_id[st.id]
        ex = executor_for(task.kind)
        assert ex is not None
        try:
            return ex(task, ctx)
        except Exception as exc:  # an executor bug must fail its task, not the run
            internal.set()
            return TaskOutcome(False, f"internal error: {type(exc).__name__}: {exc}")

    interrupted = threading.Event()

    def on_event(ev: TaskEvent) -> None:
        if interrupted.is_set() and ev.status in (TaskStatus.FAILED, TaskStatus.SKIPPED):
            # stopped by a signal, not by a fault of its own: it did not run to the end
            journal.write("task", task=ev.task_id, status="cancelled", error="interrupted")
            progress.event(dataclasses.replace(ev, status=TaskStatus.CANCELLED, message="interrupted"))
            return
        task = by_id.get(ev.task_id)
        outputs = _outputs(task) if task is not None else ()
        output = outputs[0] if len(outputs) == 1 else (list(outputs) or None)
        if ev.status is TaskStatus.RUNNING:
            journal.write("task", task=ev.task_id, status="running")
        elif ev.status is TaskStatus.SUCCEEDED:
            o = ev.outcome
            journal.write("task", task=ev.task_id, status="succeeded", output=output,
                          message=o.message if o else "", warning=o.warning if o else None, **_details(o))
        elif ev.status is TaskStatus.FAILED:
            o = ev.outcome
            journal.write("task", task=ev.task_id, status="failed", error=o.message if o else ev.message,
                          warning=o.warning if o else None, **_details(o))
        elif ev.status is TaskStatus.SKIPPED:
            journal.write("task", task=ev.task_id, status="skipped", error=f"because {ev.cause} failed",
                          cause=ev.cause)
        elif ev.status is TaskStatus.CANCELLED:
            journal.write("task", task=ev.task_id, status="cancelled", error=ev.message or "not started")
        progress.event(ev)

    scheduler = Scheduler(
        sched_tasks, run_task,
        capacities={r.id: r.capacity for r in plan.resources},
        max_parallel=opts.max_parallel or plan.max_parallel,
        fail_fast=opts.fail_fast,
        on_event=on_event,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        interrupted.set()
        scheduler.stop()
        ctx.terminate_all()

    restore = _install_signals(on_signal)
    try:
        result = scheduler.run()
    finally:
        restore()
        progress.close()
    if interrupted.is_set():
        status, code = "interrupted", ExitCode.INTERRUPTED
    elif result.ok:
        status, code = "succeeded", ExitCode.OK
    else:
        status, code = "failed", ExitCode.INTERNAL if internal.is_set() else ExitCode.FAILED
    journal.write("run-end", status=status, root_causes={k: list(v) for k, v in result.root_causes.items()})
    journal.close()
    if journal.error is not None and code == ExitCode.OK:  # the record of the run is incomplete
        code = ExitCode.FAILED
    summary = jr.summarize(journal.dir)
    write_report(journal.dir, summary=summary)
    return RunResult(run_id, int(code), summary)


def _details(outcome: TaskOutcome | None) -> dict[str, Any]:
    """The journal field for an outcome's per-item records, only when it has some."""
    return {"details": [dict(d) for d in outcome.details]} if outcome is not None and outcome.details else {}


def _install_signals(handler: Callable[[int, FrameType | None], None]) -> Callable[[], None]:
    """For the run (from the main thread, before the workers start): `handler` on SIGINT and
    SIGTERM, SIGCHLD at its default (ignored, the kernel would reap scripts itself and their exit
    status would be lost) and no signal blocked, whatever ferryman inherited: the workers, and the
    scripts they start, take this thread's mask (docs/run.md, "Pipe tasks"). Returns what undoes it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    old[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    old_mask = signal.pthread_sigmask(signal.SIG_SETMASK, set())

    def restore() -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        for s, h in old.items():
            signal.signal(s, h)

    return restore


def _find(plan: Plan, tid: str) -> Task | None:
    return next((t for t in plan.tasks if t.id == tid), None)


def _outputs(task: Task) -> tuple[str, ...]:
    kind = tasks.registry().get(task.kind)
    return kind.outputs(task.action) if kind is not None else ()


def _output_present(plan: Plan, task: Task) -> bool:
    """Every file the task's kind says it leaves is there (resume trusts nothing else)."""
    return all(os.path.isfile(os.path.join(plan.root, o)) for o in _outputs(task))


def _options_record(opts: RunOptions) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(opts).items()}
