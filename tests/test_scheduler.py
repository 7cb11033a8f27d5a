"""Scheduler behaviour, proven from intervals the tasks record themselves with real threads."""

from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferryman.runtime import journal as jr
from ferryman.runtime.scheduler import (
    SchedTask,
    Scheduler,
    ScheduleResult,
    TaskEvent,
    TaskOutcome,
    TaskRecord,
    TaskStatus,
    lower_bound,
)

pytestmark = pytest.mark.timeout(30)  # a hang is a failure, not a stuck CI job

Interval = tuple[float, float]


class Recorder:
    """An executor that sleeps, records its own [start, end] and fails the tasks it is told to."""

    def __init__(self, sleep_s: Mapping[str, float] | float = 0.005, fail: Iterable[str] = ()) -> None:
        self.sleep_s = sleep_s
        self.fail = set(fail)
        self.intervals: dict[str, Interval] = {}
        self.order: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, task: SchedTask) -> TaskOutcome:
        start = time.monotonic()
        with self._lock:
            self.order.append(task.id)
        s = self.sleep_s if isinstance(self.sleep_s, float) else self.sleep_s.get(task.id, 0.005)
        time.sleep(s)
        end = time.monotonic()
        with self._lock:
            self.intervals[task.id] = (start, end)
        if task.id in self.fail:
            return TaskOutcome(False, "boom", details=({"item": task.id, "decision": "failed"},))
        return TaskOutcome(True, "done")


def max_concurrent(intervals: Iterable[Interval]) -> int:
    """The most intervals open at one instant (an end at the same instant as a start closes first)."""
    spans = list(intervals)
    points = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    best = now = 0
    for _, step in points:
        now += step
        best = max(best, now)
    return best


def overlap(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def members(tasks: Iterable[SchedTask], resource: str) -> list[str]:
    return [t.id for t in tasks if resource in t.resources]


def run(
    tasks: list[SchedTask], rec: Recorder, capacities: Mapping[str, int] | None = None, max_parallel: int = 8, **kw: Any
) -> ScheduleResult:
    return Scheduler(tasks, rec, capacities=capacities or {}, max_parallel=max_parallel, **kw).run()


# -- resources -------------------------------------------------------------------------------------


def test_mutual_exclusion_group_members_never_overlap() -> None:
    tasks = [SchedTask(f"m{i}", resources=("mutex",)) for i in range(6)]
    tasks += [SchedTask(f"p{i}", resources=("pair",)) for i in range(6)]
    rec = Recorder(0.01)
    result = run(tasks, rec, capacities={"mutex": 1, "pair": 2}, max_parallel=8)
    assert result.ok
    mutex = [rec.intervals[i] for i in members(tasks, "mutex")]
    assert max_concurrent(mutex) == 1
    pair = [rec.intervals[i] for i in members(tasks, "pair")]
    assert max_concurrent(pair) == 2  # capacity 2 is used, and never exceeded


def test_tasks_sharing_no_group_run_in_parallel() -> None:
    tasks = [SchedTask("a", resources=("g1",)), SchedTask("b", resources=("g2",)), SchedTask("c"), SchedTask("d")]
    rec = Recorder(0.05)
    result = run(tasks, rec, capacities={"g1": 1, "g2": 1}, max_parallel=4)
    assert result.ok
    starts = [a for a, _ in rec.intervals.values()]
    ends = [b for _, b in rec.intervals.values()]
    assert max(starts) < min(ends)  # all four were running at one instant


def test_overlapping_groups_are_acquired_atomically_without_deadlock() -> None:
    caps = {"g1": 1, "g2": 1, "g3": 1}
    tasks = [
        SchedTask("A", resources=("g1", "g2")),
        SchedTask("B", resources=("g2", "g3")),
        SchedTask("C", resources=("g3", "g1")),
    ]
    for rnd in range(4):
        tasks += [SchedTask(f"{g}-{rnd}", resources=(g,)) for g in caps]
        tasks += [SchedTask(f"ABC-{rnd}", resources=("g1", "g2", "g3"))]
    rec = Recorder(0.003)
    result = run(tasks, rec, capacities=caps, max_parallel=6)
    assert result.ok
    for g in caps:
        ids = members(tasks, g)
        for x in ids:
            for y in ids:
                if x < y:
                    assert not overlap(rec.intervals[x], rec.intervals[y]), (g, x, y)


def test_a_host_is_a_resource_with_its_own_capacity() -> None:
    tasks = [SchedTask(f"h{i}", resources=("ndex.example.org",)) for i in range(6)]
    tasks += [SchedTask(f"o{i}", resources=("other.example.org",)) for i in range(2)]
    rec = Recorder(0.02)
    result = run(tasks, rec, capacities={"ndex.example.org": 2, "other.example.org": 2}, max_parallel=8)
    assert result.ok
    assert max_concurrent(rec.intervals[f"h{i}"] for i in range(6)) == 2
    assert max_concurrent(rec.intervals.values()) == 4  # two hosts, two each


def test_max_parallel() -> None:
    tasks = [SchedTask(f"t{i}") for i in range(10)]
    rec = Recorder(0.01)
    result = run(tasks, rec, max_parallel=3)
    assert result.ok
    assert max_concurrent(rec.intervals.values()) == 3


def test_copies_hold_their_source_and_target_host_at_once() -> None:
    # NDEx copies: each holds its source and its target host. a<->b both ways cannot deadlock, the
    # target b (capacity 1) never serves two copies at once, and copies on other hosts run meanwhile.
    caps = {"a": 2, "b": 1, "c": 2, "d": 2}
    tasks = [SchedTask(f"ab{i}", resources=("a", "b")) for i in range(3)]
    tasks += [SchedTask(f"ba{i}", resources=("b", "a")) for i in range(3)]
    tasks += [SchedTask(f"cd{i}", resources=("c", "d")) for i in range(4)]
    rec = Recorder(0.02)
    result = run(tasks, rec, capacities=caps, max_parallel=8)
    assert result.ok
    assert max_concurrent(rec.intervals[i] for i in members(tasks, "b")) == 1
    assert max_concurrent(rec.intervals[i] for i in members(tasks, "c")) == 2
    assert max_concurrent(rec.intervals.values()) == 3  # one copy through b, two between c and d


def test_a_resource_named_twice_by_one_task_is_held_once() -> None:
    result = run([SchedTask("x", resources=("h", "h"))], Recorder(0.001), capacities={"h": 1})
    assert result.ok


# -- order -----------------------------------------------------------------------------------------


def test_after_edges_order_starts() -> None:
    tasks = [
        SchedTask("fetch", expected_s=1.0),
        SchedTask("index", after=("fetch",), expected_s=5.0),
        SchedTask("report", after=("index", "side"), expected_s=9.0),
        SchedTask("side", expected_s=0.1),
    ]
    rec = Recorder(0.01)
    result = run(tasks, rec, max_parallel=4)
    assert result.ok
    iv = rec.intervals
    assert iv["fetch"][1] <= iv["index"][0]
    assert iv["index"][1] <= iv["report"][0]
    assert iv["side"][1] <= iv["report"][0]


def test_longest_expected_first_ties_by_id() -> None:
    tasks = [
        SchedTask("b", expected_s=2.0),
        SchedTask("a", expected_s=2.0),
        SchedTask("c", expected_s=9.0),
        SchedTask("d", expected_s=0.5),
        SchedTask("e", expected_s=4.0),
    ]
    rec = Recorder(0.001)
    run(tasks, rec, max_parallel=1)
    assert rec.order == ["c", "e", "a", "b", "d"]


def test_work_waiting_behind_a_task_counts_in_its_rank() -> None:
    # c1 is short but unlocks a long c2; g1 is booked with 3 x 2 s: both outrank the lone 5 s task.
    tasks = [
        SchedTask("lone", expected_s=5.0),
        SchedTask("c1", expected_s=1.0),
        SchedTask("c2", after=("c1",), expected_s=5.0),
        SchedTask("g1-a", resources=("g1",), expected_s=2.0),
        SchedTask("g1-b", resources=("g1",), expected_s=2.0),
        SchedTask("g1-c", resources=("g1",), expected_s=2.0),
    ]
    rec = Recorder(0.001)
    run(tasks, rec, capacities={"g1": 1}, max_parallel=1)
    assert rec.order == ["g1-a", "c1", "c2", "lone", "g1-b", "g1-c"]


# -- starvation ------------------------------------------------------------------------------------


def _starvation_case() -> tuple[list[SchedTask], dict[str, float]]:
    # `both` needs g1 and g2. Two streams keep g1 and g2 busy with staggered ends (g1 at 20, 40, …
    # ms; g2 at 30, 50, … ms), so the two are never free at the same instant.
    tasks = [SchedTask("a0", resources=("g1",), expected_s=100.0), SchedTask("b0", resources=("g2",), expected_s=99.0)]
    tasks.append(SchedTask("both", resources=("g1", "g2"), expected_s=10.0))
    sleep = {"a0": 0.02, "b0": 0.03, "both": 0.001}
    for i in range(1, 9):
        tasks += [
            SchedTask(f"a{i}", resources=("g1",), expected_s=0.1),
            SchedTask(f"b{i}", resources=("g2",), expected_s=0.1),
        ]
        sleep[f"a{i}"] = sleep[f"b{i}"] = 0.02
    return tasks, sleep


def test_a_task_passed_over_repeatedly_gets_its_groups_reserved() -> None:
    tasks, sleep = _starvation_case()
    rec = Recorder(sleep)
    result = run(tasks, rec, capacities={"g1": 1, "g2": 1}, max_parallel=3, reserve_after_s=None)
    assert result.ok
    before = [t for t in rec.order[: rec.order.index("both")] if t != "both"]
    # a0, b0, then at most 3 pass-overs (each lets one stream task start) before the reservation
    assert len(before) <= 2 + 3, before


def test_without_reservation_the_same_task_waits_for_a_stream_to_drain() -> None:
    # The counter-case proving the rule is what helps: with reservation disabled it starves.
    tasks, sleep = _starvation_case()
    rec = Recorder(sleep)
    run(tasks, rec, capacities={"g1": 1, "g2": 1}, max_parallel=3, reserve_after_passes=10**9, reserve_after_s=None)
    assert rec.order.index("both") >= 2 + 8


def test_a_task_waiting_too_long_gets_its_groups_reserved() -> None:
    tasks, sleep = _starvation_case()
    rec = Recorder(sleep)
    run(tasks, rec, capacities={"g1": 1, "g2": 1}, max_parallel=3, reserve_after_passes=10**9, reserve_after_s=0.03)
    assert rec.order.index("both") <= 2 + 4


@st.composite
def small_graphs(draw: st.DrawFn) -> tuple[list[SchedTask], dict[str, int], int, set[str]]:
    # three groups and two hosts; a task holds any of the groups and none, one or both hosts
    n = draw(st.integers(1, 9))
    caps = {r: draw(st.integers(1, 2)) for r in ("g1", "g2", "g3", "h1", "h2")}
    tasks = []
    for i in range(n):
        after = tuple(sorted(draw(st.sets(st.sampled_from([f"t{j}" for j in range(i)]), max_size=2)) if i else ()))
        held = tuple(sorted(draw(st.sets(st.sampled_from(sorted(caps)), max_size=4))))
        tasks.append(SchedTask(f"t{i}", after, held, draw(st.sampled_from([0.0, 1.0, 2.0, 5.0]))))
    fail = draw(st.sets(st.sampled_from([t.id for t in tasks]), max_size=2))
    return tasks, caps, draw(st.integers(1, 4)), fail


@settings(
    max_examples=int(os.environ.get("SCHED_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(small_graphs(), st.sampled_from([1, 3]), st.sampled_from([None, 0.0, 60.0]))
def test_random_graphs_finish_within_every_constraint(
    case: tuple[list[SchedTask], dict[str, int], int, set[str]], passes: int, patience_s: float | None
) -> None:
    tasks, caps, max_parallel, fail = case
    rec = Recorder({t.id: 0.001 * (1 + int(t.expected_s)) for t in tasks}, fail=fail)
    result = Scheduler(
        tasks,
        rec,
        capacities=caps,
        max_parallel=max_parallel,
        reserve_after_passes=passes,
        reserve_after_s=patience_s,
    ).run()

    by_id = {t.id: t for t in tasks}
    doomed: set[str] = set()  # transitive dependants of a failure
    for t in tasks:  # input order is topological here
        if any(a in fail or a in doomed for a in t.after):
            doomed.add(t.id)
    for t in tasks:
        rec_ = result.tasks[t.id]
        if t.id in doomed:
            assert rec_.status is TaskStatus.SKIPPED
            assert rec_.cause in fail
        elif t.id in fail:
            assert rec_.status is TaskStatus.FAILED
        else:
            assert rec_.status is TaskStatus.SUCCEEDED
    ran = rec.intervals
    assert set(ran) == {t.id for t in tasks} - doomed
    for t in tasks:
        for a in t.after:
            if t.id in ran:
                assert ran[a][1] <= ran[t.id][0]
    for r, cap in caps.items():
        assert max_concurrent(ran[i] for i in ran if r in by_id[i].resources) <= cap
    assert max_concurrent(ran.values()) <= max_parallel


# -- failures and stopping -------------------------------------------------------------------------


def _failure_graph() -> list[SchedTask]:
    return [
        SchedTask("pipe:x", expected_s=3.0),
        SchedTask("pipe:y", after=("pipe:x",)),
        SchedTask("profile:z", after=("pipe:y",)),
        SchedTask("ndex:w", after=("pipe:x", "profile:z")),
        SchedTask("pipe:free", expected_s=1.0),
        SchedTask("ndex:later", after=("pipe:free",)),
    ]


def test_failure_skips_dependants_naming_the_root_cause_once() -> None:
    events: list[TaskEvent] = []
    rec = Recorder(0.002, fail={"pipe:x"})
    result = Scheduler(_failure_graph(), rec, capacities={}, max_parallel=2, on_event=events.append).run()
    assert not result.ok
    assert result.with_status(TaskStatus.FAILED) == ("pipe:x",)
    assert result.with_status(TaskStatus.SKIPPED) == ("pipe:y", "profile:z", "ndex:w")
    assert result.with_status(TaskStatus.SUCCEEDED) == ("pipe:free", "ndex:later")
    assert result.tasks["profile:z"] == TaskRecord(
        "profile:z", TaskStatus.SKIPPED, error="because pipe:x failed", cause="pipe:x"
    )
    assert dict(result.root_causes) == {"pipe:x": ("ndex:w", "pipe:y", "profile:z")}
    assert result.failure_lines() == ["pipe:x failed: boom; skipped because of it: ndex:w, pipe:y, profile:z"]
    skipped = [(e.task_id, e.message, e.cause) for e in events if e.status is TaskStatus.SKIPPED]
    assert skipped == [
        ("ndex:w", "because pipe:x failed", "pipe:x"),
        ("pipe:y", "because pipe:x failed", "pipe:x"),
        ("profile:z", "because pipe:x failed", "pipe:x"),
    ]
    assert [e.task_id for e in events if e.status is TaskStatus.FAILED] == ["pipe:x"]


def test_a_failed_tasks_record_keeps_the_executors_details() -> None:
    result = run([SchedTask("ndex:copy")], Recorder(0.001, fail={"ndex:copy"}))
    record = result.tasks["ndex:copy"]
    assert (record.status, record.message, record.error) == (TaskStatus.FAILED, "boom", "boom")
    assert record.details == ({"item": "ndex:copy", "decision": "failed"},)
    assert record.duration_s is not None and record.duration_s >= 0.001


def test_a_task_behind_two_failures_is_skipped_once() -> None:
    tasks = [SchedTask("a", expected_s=2.0), SchedTask("b", expected_s=1.0), SchedTask("c", after=("a", "b"))]
    events: list[TaskEvent] = []
    rec = Recorder(0.002, fail={"a", "b"})
    result = Scheduler(tasks, rec, capacities={}, max_parallel=1, on_event=events.append).run()
    assert dict(result.root_causes) == {"a": ("c",), "b": ()}
    assert [e.task_id for e in events if e.status is TaskStatus.SKIPPED] == ["c"]
    assert result.failure_lines() == ["a failed: boom; skipped because of it: c", "b failed: boom"]


def test_executor_exception_fails_only_its_task() -> None:
    def explode(task: SchedTask) -> TaskOutcome:
        if task.id == "bad":
            raise OSError("no such script")
        return TaskOutcome(True)

    result = Scheduler([SchedTask("bad"), SchedTask("good")], explode, capacities={}, max_parallel=2).run()
    assert result.tasks["bad"].status is TaskStatus.FAILED
    assert result.tasks["bad"].error == "OSError: no such script"
    assert result.tasks["good"].status is TaskStatus.SUCCEEDED


def test_fail_fast_starts_nothing_after_the_first_failure() -> None:
    tasks = [SchedTask("a", expected_s=3.0), SchedTask("b", expected_s=2.0), SchedTask("c", after=("a",))]
    rec = Recorder(0.002, fail={"a"})
    events: list[TaskEvent] = []
    result = Scheduler(tasks, rec, capacities={}, max_parallel=1, fail_fast=True, on_event=events.append).run()
    assert rec.order == ["a"]
    assert result.tasks["b"] == TaskRecord("b", TaskStatus.CANCELLED, error="a failed and fail-fast is on")
    assert [(e.status, e.task_id, e.message) for e in events[1:]] == [
        (TaskStatus.FAILED, "a", "boom"),
        (TaskStatus.SKIPPED, "c", "because a failed"),
        (TaskStatus.CANCELLED, "b", "a failed and fail-fast is on"),
    ]
    assert result.tasks["c"].status is TaskStatus.SKIPPED
    assert not result.stopped

    keep_going = Scheduler(tasks, Recorder(0.002, fail={"a"}), capacities={}, max_parallel=1).run()
    assert keep_going.tasks["b"].status is TaskStatus.SUCCEEDED


def test_stop_lets_running_tasks_finish_and_starts_no_more() -> None:
    tasks = [SchedTask(f"t{i}", expected_s=10.0 - i) for i in range(6)]
    holder: list[Scheduler] = []
    second_running = threading.Event()

    def first_stops(task: SchedTask) -> TaskOutcome:
        if task.id == "t1":
            second_running.set()
        if task.id == "t0":
            assert second_running.wait(5)
            holder[0].stop()
        time.sleep(0.02)
        return TaskOutcome(True)

    sched = Scheduler(tasks, first_stops, capacities={}, max_parallel=2)
    holder.append(sched)
    result = sched.run()
    assert result.stopped
    assert result.with_status(TaskStatus.SUCCEEDED) == ("t0", "t1")  # both were running already
    assert result.with_status(TaskStatus.CANCELLED) == ("t2", "t3", "t4", "t5")
    assert result.tasks["t2"].error == "the run was stopped"


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs POSIX signals")
def test_stop_from_a_signal_handler() -> None:
    tasks = [SchedTask(f"t{i}", expected_s=10.0 - i) for i in range(5)]
    holder: list[Scheduler] = []

    def signal_once(task: SchedTask) -> TaskOutcome:
        if task.id == "t0":
            os.kill(os.getpid(), signal.SIGUSR1)  # delivered to the main thread, blocked in run()
        time.sleep(0.02)
        return TaskOutcome(True)

    sched = Scheduler(tasks, signal_once, capacities={}, max_parallel=1)
    holder.append(sched)
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: holder[0].stop())
    try:
        result = sched.run()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert result.with_status(TaskStatus.SUCCEEDED) == ("t0",)
    assert result.with_status(TaskStatus.CANCELLED) == ("t1", "t2", "t3", "t4")


# -- events and results ----------------------------------------------------------------------------


def test_events_arrive_in_order_on_the_running_thread() -> None:
    threads: set[int] = set()
    events: list[TaskEvent] = []

    def sink(e: TaskEvent) -> None:
        threads.add(threading.get_ident())
        events.append(e)

    tasks = [SchedTask("a", expected_s=2.0), SchedTask("b", after=("a",))]
    result = Scheduler(tasks, Recorder(0.002), capacities={}, max_parallel=2, on_event=sink).run()
    assert threads == {threading.get_ident()}
    assert [(e.status, e.task_id) for e in events] == [
        (TaskStatus.RUNNING, "a"),
        (TaskStatus.SUCCEEDED, "a"),
        (TaskStatus.RUNNING, "b"),
        (TaskStatus.SUCCEEDED, "b"),
    ]
    stamps = [e.at_s for e in events]
    assert stamps == sorted(stamps)
    assert events[1].outcome == TaskOutcome(True, "done")
    a = result.tasks["a"]
    assert (a.started, a.ended) == (events[0].at_s, events[1].at_s)
    assert result.started_s <= stamps[0] and stamps[-1] <= result.finished_s


def test_empty_plan_and_bad_executor_result() -> None:
    empty = Scheduler([], Recorder(), capacities={}, max_parallel=1).run()
    assert empty.ok and dict(empty.tasks) == {}

    result = Scheduler([SchedTask("x")], lambda task: None, capacities={}, max_parallel=1).run()  # type: ignore[arg-type, return-value]
    assert result.tasks["x"].error == "executor returned NoneType, not TaskOutcome"


def test_a_scheduler_runs_once() -> None:
    sched = Scheduler([SchedTask("x")], Recorder(0.0), capacities={}, max_parallel=1)
    sched.run()
    with pytest.raises(RuntimeError, match="runs once"):
        sched.run()


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tasks", "caps", "message"),
    [
        (
            [SchedTask("a", after=("b",)), SchedTask("b", after=("c",)), SchedTask("c", after=("a",))],
            {},
            "cycle in after edges: a -> b -> c -> a (each waits for the next)",
        ),
        ([SchedTask("a", after=("a",))], {}, "cycle in after edges: a -> a (each waits for the next)"),
        (
            [SchedTask("z"), SchedTask("y", after=("x",)), SchedTask("x", after=("w",)), SchedTask("w", after=("x",))],
            {},
            "cycle in after edges: w -> x -> w (each waits for the next)",
        ),
        ([SchedTask("a", after=("ghost",))], {}, "task 'a' waits for unknown task 'ghost'"),
        ([SchedTask("a"), SchedTask("a")], {}, "duplicate task id 'a'"),
        ([SchedTask("a", resources=("g",))], {}, "task 'a' holds resource 'g', which has no capacity"),
        (
            [SchedTask("copy", resources=("src.example.org", "dst.example.org"))],
            {"src.example.org": 2},
            "task 'copy' holds resource 'dst.example.org', which has no capacity",
        ),
        (
            [SchedTask("a", resources=("g",))],
            {"g": 0},
            "task 'a' holds resource 'g' whose capacity is 0: it could never start",
        ),
        ([SchedTask("a")], {"g": -1}, "resource 'g' has capacity -1: it must be an integer >= 0"),
        ([SchedTask("a", expected_s=-1.0)], {}, "task 'a' has expected_s -1.0: it must be a finite number >= 0"),
        ([SchedTask("a", expected_s=math.nan)], {}, "task 'a' has expected_s nan: it must be a finite number >= 0"),
    ],
)
def test_bad_graphs_are_refused_up_front(tasks: list[SchedTask], caps: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError) as err:
        Scheduler(tasks, Recorder(), capacities=caps, max_parallel=4)
    assert str(err.value) == message
    with pytest.raises(ValueError) as err:
        lower_bound(tasks, caps, 4)
    assert str(err.value) == message


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_parallel must be at least 1, not 0"):
        Scheduler([], Recorder(), capacities={}, max_parallel=0)
    with pytest.raises(ValueError, match="reserve_after_passes must be at least 1, not 0"):
        Scheduler([], Recorder(), capacities={}, max_parallel=1, reserve_after_passes=0)


def test_lower_bound_takes_the_largest_of_chain_group_and_total() -> None:
    chain = [SchedTask("a", expected_s=3.0), SchedTask("b", after=("a",), expected_s=4.0), SchedTask("c")]
    assert lower_bound(chain, {}, 8) == 7.0
    grouped = [SchedTask(f"g{i}", resources=("g",), expected_s=2.0) for i in range(5)]
    assert lower_bound(grouped, {"g": 2}, 8) == 5.0
    wide = [SchedTask(f"w{i}", expected_s=1.0) for i in range(12)]
    assert lower_bound(wide, {}, 4) == 3.0
    hosts = [SchedTask(f"h{i}", resources=("src", "dst"), expected_s=1.0) for i in range(6)]
    hosts += [SchedTask("s", resources=("src",), expected_s=2.0)]
    assert lower_bound(hosts, {"src": 2, "dst": 1, "unused": 0}, 8) == 6.0  # dst: 6 s over 1; src: 8 s over 2
    assert lower_bound([], {}, 8) == 0.0


# -- one status vocabulary -------------------------------------------------------------------------


def test_a_status_is_its_journal_word() -> None:
    assert [str(s) for s in TaskStatus] == ["pending", "running", "succeeded", "failed", "skipped", "cancelled"]
    assert TaskStatus.CANCELLED == "cancelled" and {"cancelled": 1}[TaskStatus.CANCELLED] == 1
    assert f"{TaskStatus.SKIPPED:<9}|" == "skipped  |"
    assert json.dumps({"status": TaskStatus.FAILED}) == '{"status": "failed"}'
    assert TaskStatus.parse("succeeded", TaskStatus.PENDING) is TaskStatus.SUCCEEDED
    assert TaskStatus.parse("not-run", TaskStatus.PENDING) is TaskStatus.PENDING


def test_the_journal_summary_uses_the_schedulers_record(tmp_path: Path) -> None:
    journal = jr.Journal(str(tmp_path), "r1")
    journal.write("run-start", run="r1", digest="d", workspace="w", tasks=["a", "b", "c"])
    journal.write("task", task="a", status=TaskStatus.RUNNING)
    journal.write("task", task="a", status=TaskStatus.FAILED, error="boom", details=[{"network": "n1"}])
    journal.write("task", task="b", status="skipped", error="because a failed", cause="a")
    journal.write("run-end", status="failed")
    journal.close()
    summary = jr.summarize(journal.dir)
    a, b, c = (summary.tasks[t] for t in "abc")
    assert type(a) is TaskRecord and a.status is TaskStatus.FAILED and a.details == ({"network": "n1"},)
    assert (b.status, c.status) == (TaskStatus.SKIPPED, TaskStatus.PENDING)
    assert summary.counts() == {"failed": 1, "skipped": 1, "pending": 1}
