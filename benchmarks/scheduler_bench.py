"""Scheduler benchmark: overhead per task, and makespan against the lower bound.

(a) overhead: 10,000 tasks holding resources: 100 groups (capacities 1, 2 or 4; each task in one or
    two groups) and 16 hosts (capacity 4; each task holds one); a fifth of the tasks wait for one
    or two earlier ones,
    max_parallel 8, an executor that returns at once. Wall time from building the Scheduler to
    run() returning, over the task count; median of --repeat runs. Measured bare and with an event
    subscriber (what the journal and the progress display add is their own cost, not measured here).
                                                                       target: <= 100 us per task
(b) makespan: 200 tasks sleeping their expected 5-50 ms, each in one of 10 mutual-exclusion groups
    (capacity 1), a tenth waiting for one earlier task, max_parallel 8; the run's wall time over
    lower_bound() = max(longest chain, busiest resource's work / its capacity, all work / 8). --seeds
    different random instances; the worst one is the measure.        target: <= 1.05x

Exit status 0 even when a target is missed (this is a report); a missed target prints MISS.

    .venv/bin/python benchmarks/scheduler_bench.py [--repeat 3] [--seeds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ferryman.runtime.scheduler import SchedTask, Scheduler, TaskEvent, TaskOutcome, lower_bound

OVERHEAD_TASKS = 10_000
OVERHEAD_GROUPS = 100
OVERHEAD_HOSTS = 16
HOST_CAPACITY = 4
OVERHEAD_TARGET_US = 100.0
MAKESPAN_TASKS = 200
MAKESPAN_GROUPS = 10
MAKESPAN_TARGET = 1.05
MAX_PARALLEL = 8

_DONE = TaskOutcome(True)


def overhead_case(seed: int) -> tuple[list[SchedTask], dict[str, int]]:
    """The 10,000-task graph of (a) and its capacities: groups, hosts and after edges, drawn from `seed`."""
    rng = random.Random(seed)
    caps = {f"group-{k:03d}": rng.choice((1, 2, 4)) for k in range(OVERHEAD_GROUPS)}
    names = sorted(caps)
    caps.update({f"host-{k:02d}": HOST_CAPACITY for k in range(OVERHEAD_HOSTS)})
    tasks = []
    for i in range(OVERHEAD_TASKS):
        groups = tuple(rng.sample(names, rng.choice((1, 2))))
        after: tuple[str, ...] = ()
        if i and rng.random() < 0.2:
            after = tuple(f"pipe:src{j:05d}" for j in rng.sample(range(i), min(i, rng.choice((1, 2)))))
        host = f"host-{rng.randrange(OVERHEAD_HOSTS):02d}"
        tasks.append(SchedTask(f"pipe:src{i:05d}", after, (*groups, host), round(rng.uniform(0.1, 10.0), 3)))
    return tasks, caps


def makespan_case(seed: int) -> tuple[list[SchedTask], dict[str, int]]:
    """The 200 sleeping tasks of (b) in 10 mutual-exclusion groups."""
    rng = random.Random(seed)
    caps = {f"mutex-{k}": 1 for k in range(MAKESPAN_GROUPS)}
    tasks = []
    for i in range(MAKESPAN_TASKS):
        after = (f"pipe:s{rng.randrange(i):03d}",) if i and rng.random() < 0.1 else ()
        group = f"mutex-{rng.randrange(MAKESPAN_GROUPS)}"
        tasks.append(SchedTask(f"pipe:s{i:03d}", after, (group,), rng.uniform(0.005, 0.050)))
    return tasks, caps


def _instant(task: SchedTask) -> TaskOutcome:
    return _DONE


def _sleep(task: SchedTask) -> TaskOutcome:
    time.sleep(task.expected_s)
    return _DONE


def measure_overhead(repeat: int, with_events: bool) -> list[float]:
    """Microseconds per task for each of `repeat` runs of case (a)."""
    tasks, caps = overhead_case(seed=1)
    samples = []
    for _ in range(repeat):
        events: list[TaskEvent] = []
        sink = events.append if with_events else None
        t0 = time.perf_counter()
        result = Scheduler(tasks, _instant, capacities=caps, max_parallel=MAX_PARALLEL, on_event=sink).run()
        elapsed = time.perf_counter() - t0
        if not result.ok:
            raise SystemExit(f"overhead run failed: {result.failure_lines()[:3]}")
        if with_events and len(events) != 2 * len(tasks):
            raise SystemExit(f"expected {2 * len(tasks)} events, got {len(events)}")
        samples.append(elapsed / len(tasks) * 1e6)
    return samples


def measure_makespan(seeds: int) -> list[tuple[int, float, float]]:
    """(seed, makespan, lower bound) for each instance of case (b)."""
    out = []
    for seed in range(seeds):
        tasks, caps = makespan_case(seed)
        bound = lower_bound(tasks, caps, MAX_PARALLEL)
        t0 = time.perf_counter()
        result = Scheduler(tasks, _sleep, capacities=caps, max_parallel=MAX_PARALLEL).run()
        elapsed = time.perf_counter() - t0
        if not result.ok:
            raise SystemExit(f"makespan run failed: {result.failure_lines()[:3]}")
        out.append((seed, elapsed, bound))
    return out


def table(rows: Sequence[tuple[str, str, str, bool]]) -> str:
    """measure | value | target | ok, MISS in capitals where a target is missed."""
    head = ("measure", "value", "target", "ok")
    body = [(m, v, t, "ok" if ok else "MISS") for m, v, t, ok in rows]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(4)]

    def fmt(line: tuple[str, ...]) -> str:
        return "  ".join([line[0].ljust(widths[0]), line[1].rjust(widths[1]), line[2].rjust(widths[2]), line[3]])

    return "\n".join([fmt(head), "-" * len(fmt(head)), *(fmt(b) for b in body)]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measures, print the table, and write JSON when --json is given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the overhead case (median)")
    parser.add_argument("--seeds", type=int, default=5, help="instances of the makespan case (worst)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.seeds < 1:
        parser.error("--repeat and --seeds must be at least 1")

    bare = measure_overhead(args.repeat, with_events=False)
    evented = measure_overhead(args.repeat, with_events=True)
    spans = measure_makespan(args.seeds)
    ratios = [elapsed / bound for _, elapsed, bound in spans]
    worst = max(ratios)

    rows = [
        (
            f"overhead per task, {OVERHEAD_TASKS:,} tasks",
            f"{statistics.median(bare):.1f} us",
            f"<= {OVERHEAD_TARGET_US:g} us",
            statistics.median(bare) <= OVERHEAD_TARGET_US,
        ),
        (
            "overhead per task, with an event subscriber",
            f"{statistics.median(evented):.1f} us",
            f"<= {OVERHEAD_TARGET_US:g} us",
            statistics.median(evented) <= OVERHEAD_TARGET_US,
        ),
        (
            f"makespan / lower bound, worst of {args.seeds}",
            f"{worst:.3f}x",
            f"<= {MAKESPAN_TARGET:g}x",
            worst <= MAKESPAN_TARGET,
        ),
        (
            f"makespan / lower bound, median of {args.seeds}",
            f"{statistics.median(ratios):.3f}x",
            f"<= {MAKESPAN_TARGET:g}x",
            statistics.median(ratios) <= MAKESPAN_TARGET,
        ),
    ]
    print("scheduler benchmark")
    print(f"Python {platform.python_version()} on {platform.machine()}, max_parallel {MAX_PARALLEL}")
    print(f"(a) {OVERHEAD_TASKS:,} tasks in {OVERHEAD_GROUPS} groups and on {OVERHEAD_HOSTS} hosts, trivial executor, "
          f"median of {args.repeat}")
    print(f"(b) {MAKESPAN_TASKS} sleeping tasks of 5-50 ms in {MAKESPAN_GROUPS} mutual-exclusion groups")
    print()
    print(table(rows), end="")
    print()
    for seed, elapsed, bound in spans:
        print(f"  (b) seed {seed}: makespan {elapsed:.3f} s, lower bound {bound:.3f} s, {elapsed / bound:.3f}x")
    missed = [m for m, _, _, ok in rows if not ok]
    print()
    print(f"MISS: {', '.join(missed)}" if missed else "all targets met")
    if args.json:
        doc = {
            "benchmark": "scheduler",
            "python": platform.python_version(),
            "overhead_us": {"bare": bare, "with_events": evented},
            "makespan": [{"seed": s, "makespan_s": e, "lower_bound_s": b} for s, e, b in spans],
            "rows": [{"measure": m, "value": v, "target": t, "ok": ok} for m, v, t, ok in rows],
            "all_ok": not missed,
        }
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
