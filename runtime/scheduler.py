"""The runtime scheduler: decides when each task of a plan starts, independent of how tasks run.

Constraints, all enforced at once:

* ``after`` edges: a task starts only when every task it waits for has succeeded.
* groups: a task holds one unit of every group it names while it runs (a mutual-exclusion group has
  capacity 1). All of a task's groups are acquired atomically: it starts only when every one has a
  free unit, and it never holds some while waiting for others, so overlapping groups cannot deadlock.
* hosts: at most ``per_host_limit`` running tasks per host (a host is one more resource; with
  ``per_host_limit=None`` hosts are not limited).
* ``max_parallel`` running tasks in all (the size of the worker pool).

Order: among ready tasks the longest expected first, ties broken by id, so the same plan and
durations give the same order. A task's expected time counts the work that cannot start before it
(see ``_priorities``): for a task nothing waits on it is just its ``expected_s``; a short task that
unlocks a long chain, or heads a heavily booked group, goes before a longer task that holds nothing
up — plain longest-``expected_s``-first would leave that chain or group to run alone at the end.

Starvation: atomic acquisition lets a task that needs several resources be overtaken by tasks that
need only one of them, for as long as those keep one of its resources busy. The scheduler counts a
*pass-over* each time a task is woken because a resource it waits for came free and it still cannot
start (another of its resources was taken meanwhile). After ``reserve_after_passes`` pass-overs, or
after waiting ``reserve_after_s`` seconds on a busy resource, the task becomes *reserving*: it jumps
ahead of every ordinary task and its resources are reserved for it — no other task acquires them —
until it starts. Reserving tasks are served first come first served (each resource's reservation
belongs to the earliest reserving task that needs it), so the earliest one always progresses and
reservations cannot deadlock either.

Execution: ``max_parallel`` worker threads call the executor; the scheduler loop runs in the thread
that calls :meth:`Scheduler.run` and wakes only on completions (a queue), never by polling. Blocked
tasks wait on one busy resource and only that resource's best waiter is woken when it frees, so a
scheduling decision costs O(log n) however many tasks are queued.
"""

from __future__ import annotations

import dataclasses
import enum
import heapq
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = [
    "EventKind",
    "SchedEvent",
    "SchedTask",
    "ScheduleResult",
    "Scheduler",
    "TaskOutcome",
    "TaskRecord",
    "TaskStatus",
    "lower_bound",
]


@dataclasses.dataclass(frozen=True)
class SchedTask:
    """One unit of work as the scheduler sees it: ordering, resources and expected duration."""

    id: str
    after: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    host: str | None = None
    expected_s: float = 0.0


@dataclasses.dataclass(frozen=True)
class TaskOutcome:
    """What an executor returns: success or failure, a message, and an optional warning line."""

    ok: bool
    message: str = ""
    warning: str | None = None


class TaskStatus(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # a task it waits for (transitively) failed
    NOT_RUN = "not-run"  # never started: stop() was called, or fail_fast after a failure


class EventKind(enum.Enum):
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_RUN = "not-run"


@dataclasses.dataclass(frozen=True)
class SchedEvent:
    """One task transition, stamped with ``time.monotonic()``; delivered from the scheduler thread."""

    kind: EventKind
    task_id: str
    at_s: float
    message: str = ""
    cause: str | None = None  # for SKIPPED: the failed task at the root
    outcome: TaskOutcome | None = None  # for FINISHED and FAILED


@dataclasses.dataclass(frozen=True)
class TaskRecord:
    """The fate of one task. Times are ``time.monotonic()`` values: started when the scheduler
    handed the task to a worker, finished when the executor returned."""

    id: str
    status: TaskStatus
    started_s: float | None = None
    finished_s: float | None = None
    message: str = ""
    warning: str | None = None
    cause: str | None = None


@dataclasses.dataclass(frozen=True)
class ScheduleResult:
    """Every task's record (in input order) and, per failed task, the dependants it caused to skip."""

    tasks: Mapping[str, TaskRecord]
    root_causes: Mapping[str, tuple[str, ...]]
    stopped: bool
    started_s: float
    finished_s: float

    @property
    def ok(self) -> bool:
        """True when every task succeeded."""
        return all(r.status is TaskStatus.SUCCEEDED for r in self.tasks.values())

    @property
    def makespan_s(self) -> float:
        return self.finished_s - self.started_s

    def with_status(self, status: TaskStatus) -> tuple[str, ...]:
        """Ids of the tasks that ended with ``status``, in input order."""
        return tuple(r.id for r in self.tasks.values() if r.status is status)

    def failure_lines(self) -> list[str]:
        """One line per root cause, naming what it made skip: the report's failure summary."""
        lines = []
        for failed, skipped in self.root_causes.items():
            line = f"{failed} failed: {self.tasks[failed].message or 'no message'}"
            if skipped:
                line += f"; skipped because of it: {', '.join(skipped)}"
            lines.append(line)
        return lines


Executor = Callable[[SchedTask], TaskOutcome]
EventSink = Callable[[SchedEvent], None]

# Internal task states (ints: compared in the hot loop).
_WAITING, _READY, _RUNNING, _SUCCEEDED, _FAILED, _SKIPPED, _NOT_RUN = range(7)
_URGENT_BASE = -(1 << 40)  # reserving tasks get heap keys below every ordinary key
_WAKE = None  # put on the completion queue by stop() so the loop notices at once


def _index_graph(tasks: Sequence[SchedTask]) -> tuple[dict[str, int], list[list[int]]]:
    """Map ids to input positions and resolve `after` ids; raise ValueError on any bad reference."""
    index: dict[str, int] = {}
    for i, task in enumerate(tasks):
        if task.id in index:
            raise ValueError(f"duplicate task id {task.id!r}")
        index[task.id] = i
    preds: list[list[int]] = []
    for task in tasks:
        ps: list[int] = []
        for dep in task.after:
            j = index.get(dep)
            if j is None:
                raise ValueError(f"task {task.id!r} waits for unknown task {dep!r}")
            if j not in ps:
                ps.append(j)
        preds.append(ps)
    return index, preds


def _topological(tasks: Sequence[SchedTask], preds: list[list[int]]) -> list[int]:
    """Kahn's order of input positions; raise ValueError naming one cycle when there is one."""
    n = len(tasks)
    succs: list[list[int]] = [[] for _ in range(n)]
    indeg = [len(ps) for ps in preds]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    order = [i for i in range(n) if indeg[i] == 0]
    for i in order:  # the list grows while it is walked
        for s in succs[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                order.append(s)
    if len(order) < n:
        raise ValueError(f"cycle in after edges: {_describe_cycle(tasks, preds, indeg)}")
    return order


def _describe_cycle(tasks: Sequence[SchedTask], preds: list[list[int]], indeg: list[int]) -> str:
    # Every leftover task has a leftover predecessor, so walking predecessors must revisit one.
    left = {i for i, d in enumerate(indeg) if d > 0}
    node = min(left, key=lambda i: tasks[i].id)
    seen: dict[int, int] = {}
    path: list[int] = []
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min((p for p in preds[node] if p in left), key=lambda i: tasks[i].id)
    cycle = path[seen[node] :]
    start = min(range(len(cycle)), key=lambda k: tasks[cycle[k]].id)
    cycle = cycle[start:] + cycle[:start]
    names = [tasks[i].id for i in [*cycle, cycle[0]]]
    return " -> ".join(names) + " (each waits for the next)"


def _check_resources(tasks: Sequence[SchedTask], capacities: Mapping[str, int]) -> None:
    for task in tasks:
        for g in task.groups:
            cap = capacities.get(g)
            if cap is None:
                raise ValueError(f"task {task.id!r} names unknown group {g!r}")
            if cap < 1:
                raise ValueError(f"task {task.id!r} names group {g!r} whose capacity is {cap}: it could never start")
        if not math.isfinite(task.expected_s) or task.expected_s < 0:
            raise ValueError(f"task {task.id!r} has expected_s {task.expected_s}: it must be a finite number >= 0")


def _priorities(
    tasks: Sequence[SchedTask],
    preds: list[list[int]],
    order: list[int],
    res: list[tuple[int, ...]],
    capacity: list[int],
) -> list[float]:
    """Each task's expected seconds from its start until the work it holds up is done.

    Two kinds of work wait on a task: its `after` dependants (their chain, recursively), and the
    members of its groups and host queued behind it — a resource serves its members longest first,
    so the backlog behind a task is its own and every shorter member's expected_s, over the
    capacity. Ranking by this is "longest expected first" where nothing waits (no dependants, no
    shared resource: the plain expected_s), and it starts a long chain or a heavily booked group early
    instead of leaving it to run alone at the end.
    """
    n = len(tasks)
    members: list[list[int]] = [[] for _ in capacity]
    for i in range(n):
        for r in res[i]:
            members[r].append(i)
    backlog = [0.0] * n
    for r, ms in enumerate(members):
        ms.sort(key=lambda i: (-tasks[i].expected_s, tasks[i].id))  # the order it serves them in
        behind = 0.0
        for i in reversed(ms):  # last served first, accumulating what queues behind each member
            behind += tasks[i].expected_s
            backlog[i] = max(backlog[i], tasks[i].expected_s, behind / capacity[r])
    succs: list[list[int]] = [[] for _ in range(n)]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    prio = [0.0] * n
    for i in reversed(order):
        chain = tasks[i].expected_s + max((prio[s] for s in succs[i]), default=0.0)
        prio[i] = max(chain, backlog[i])
    return prio


def lower_bound(
    tasks: Sequence[SchedTask],
    capacities: Mapping[str, int],
    max_parallel: int,
    per_host_limit: int | None = None,
) -> float:
    """No schedule can finish sooner than this many seconds, if every task takes its expected_s.

    The maximum of the longest `after` chain, each group's total work over its capacity, each host's
    total work over ``per_host_limit`` (when given), and all work over ``max_parallel``.
    """
    if max_parallel < 1:
        raise ValueError(f"max_parallel must be at least 1, not {max_parallel}")
    _check_resources(tasks, capacities)
    _, preds = _index_graph(tasks)
    finish = [0.0] * len(tasks)
    for i in _topological(tasks, preds):
        finish[i] = tasks[i].expected_s + max((finish[p] for p in preds[i]), default=0.0)
    bound = max(finish, default=0.0)
    group_work: dict[str, float] = {}
    host_work: dict[str, float] = {}
    for task in tasks:
        for g in set(task.groups):
            group_work[g] = group_work.get(g, 0.0) + task.expected_s
        if task.host is not None:
            host_work[task.host] = host_work.get(task.host, 0.0) + task.expected_s
    for g, work in group_work.items():
        bound = max(bound, work / capacities[g])
    if per_host_limit is not None:
        for work in host_work.values():
            bound = max(bound, work / per_host_limit)
    return max(bound, sum(t.expected_s for t in tasks) / max_parallel)


class Scheduler:
    """Runs a set of tasks once, under the constraints in the module docstring.

    ``executor`` is called in a worker thread with each task and returns a :class:`TaskOutcome`; an
    exception it raises fails the task. ``on_event`` is called in the thread running :meth:`run`,
    in transition order. With ``fail_fast`` no task starts after the first failure; otherwise
    (keep-going) only the failed task's transitive dependants are skipped.
    """

    def __init__(
        self,
        tasks: Iterable[SchedTask],
        executor: Executor,
        *,
        capacities: Mapping[str, int] | None = None,
        max_parallel: int = 8,
        per_host_limit: int | None = None,
        fail_fast: bool = False,
        on_event: EventSink | None = None,
        reserve_after_passes: int = 3,
        reserve_after_s: float | None = 60.0,
    ) -> None:
        if max_parallel < 1:
            raise ValueError(f"max_parallel must be at least 1, not {max_parallel}")
        if per_host_limit is not None and per_host_limit < 1:
            raise ValueError(f"per_host_limit must be at least 1, not {per_host_limit}")
        if reserve_after_passes < 1:
            raise ValueError(f"reserve_after_passes must be at least 1, not {reserve_after_passes}")
        given = list(tasks)
        caps = dict(capacities or {})
        _check_resources(given, caps)
        _, preds = _index_graph(given)
        order = _topological(given, preds)

        self._given = given
        self._executor = executor
        self._max_parallel = max_parallel
        self._fail_fast = fail_fast
        self._on_event = on_event
        self._reserve_passes = reserve_after_passes
        self._reserve_s = reserve_after_s

        # Resources: each group, then each host when hosts are limited.
        res_index: dict[tuple[str, str], int] = {}
        free: list[int] = []
        for g in sorted({g for t in given for g in t.groups}):
            res_index["group", g] = len(free)
            free.append(caps[g])
        if per_host_limit is not None:
            for h in sorted({t.host for t in given if t.host is not None}):
                res_index["host", h] = len(free)
                free.append(per_host_limit)
        res_given: list[tuple[int, ...]] = []
        for t in given:
            rs = {res_index["group", g] for g in t.groups}
            if per_host_limit is not None and t.host is not None:
                rs.add(res_index["host", t.host])
            res_given.append(tuple(sorted(rs)))

        # Internal index = rank (see _priorities), so a heap of ints is the scheduling order.
        n = len(given)
        prio = _priorities(given, preds, order, res_given, free)
        by_rank = sorted(range(n), key=lambda i: (-prio[i], -given[i].expected_s, given[i].id))
        rank_of = [0] * n
        for r, i in enumerate(by_rank):
            rank_of[i] = r
        self._tasks = [given[i] for i in by_rank]
        self._ids = [t.id for t in self._tasks]
        self._res = [res_given[i] for i in by_rank]
        self._free = free
        nres = len(free)
        self._wait: list[list[int]] = [[] for _ in range(nres)]  # heaps of keys parked on a resource
        self._woken = [False] * nres  # the resource's best waiter is on the ready heap
        self._reservers: list[deque[int]] = [deque() for _ in range(nres)]

        self._dependants: list[list[int]] = [[] for _ in range(n)]
        self._pending = [0] * n
        for i, ps in enumerate(preds):
            me = rank_of[i]
            self._pending[me] = len(ps)
            for p in ps:
                self._dependants[rank_of[p]].append(me)
        for ds in self._dependants:
            ds.sort()

        self._state = [_WAITING] * n
        self._key = list(range(n))
        self._urgent_task: dict[int, int] = {}
        self._urgent_seq = 0
        self._parked_on = [-1] * n
        self._woken_from = [-1] * n
        self._passes = [0] * n
        self._first_park: list[float | None] = [None] * n
        self._age_queue: deque[tuple[float, int]] = deque()
        self._started: list[float | None] = [None] * n
        self._finished: list[float | None] = [None] * n
        self._outcome: list[TaskOutcome | None] = [None] * n
        self._cause: list[int] = [-1] * n
        self._root_causes: dict[int, list[int]] = {}
        self._ready: list[int] = []
        self._running = 0
        self._first_failure: int = -1
        self._not_run_why = ""

        self._work: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[tuple[int, TaskOutcome, float] | None] = queue.SimpleQueue()
        self._stopping = False
        self._stop_requested = False
        self._ran = False
        self._ran_lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------------

    def stop(self) -> None:
        """Start no further task; running tasks finish (or are terminated by their executor).

        Safe to call from a signal handler or any thread: it takes no lock and only puts on a
        reentrant queue.
        """
        self._stop_requested = True
        self._stopping = True
        self._done.put(_WAKE)

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called: executors may poll this to cut long work short."""
        return self._stop_requested

    def run(self) -> ScheduleResult:
        """Run every task that can run, wait for the running ones, and return what happened."""
        with self._ran_lock:
            if self._ran:
                raise RuntimeError("a Scheduler runs once; build a new one")
            self._ran = True
        began = time.monotonic()
        n = len(self._tasks)
        for i in range(n):
            if self._pending[i] == 0:
                self._state[i] = _READY
                self._ready.append(i)
        heapq.heapify(self._ready)
        workers = [
            threading.Thread(target=self._worker, name=f"ferryman-worker-{k}", daemon=True)
            for k in range(min(self._max_parallel, n))
        ]
        try:
            try:
                self._schedule()  # queue the first tasks before the workers exist: starting a thread
            finally:  # takes a while, and the first worker up should find the most urgent task waiting
                for w in workers:
                    w.start()
            self._loop()
        finally:
            if self._running:  # only when the loop raised (an on_event error): drain, then re-raise
                self._stopping = True
                while self._running:
                    if self._done.get() is not None:
                        self._running -= 1
            for _ in workers:
                self._work.put(-1)
            for w in workers:
                w.join()
        return self._result(began, time.monotonic())

    # -- the loop ---------------------------------------------------------------------------------

    def _loop(self) -> None:
        get = self._done.get
        get_nowait = self._done.get_nowait
        while self._running:
            item = get()
            while True:  # handle every completion already queued before deciding again
                if item is not None:
                    self._complete(*item)
                try:
                    item = get_nowait()
                except queue.Empty:
                    break
            if not self._stopping:
                self._schedule()
        self._finish_unstarted()
        if any(s in (_WAITING, _READY) for s in self._state):  # a bug must not look like success
            raise RuntimeError("scheduler stalled: tasks left waiting with nothing running")

    def _worker(self) -> None:
        get = self._work.get
        put = self._done.put
        tasks = self._tasks
        executor = self._executor
        clock = time.monotonic
        while True:
            i = get()
            if i < 0:
                return
            try:
                outcome = executor(tasks[i])
                if not isinstance(outcome, TaskOutcome):
                    outcome = TaskOutcome(False, f"executor returned {type(outcome).__name__}, not TaskOutcome")
            except BaseException as exc:  # the task fails, the scheduler and this worker go on
                outcome = TaskOutcome(False, f"{type(exc).__name__}: {exc}")
            put((i, outcome, clock()))

    def _task_of(self, key: int) -> int:
        return key if key >= 0 else self._urgent_task[key]

    def _blocker(self, t: int) -> int:
        """The first resource `t` cannot take now (full, or reserved by another task), else -1."""
        free = self._free
        reservers = self._reservers
        for r in self._res[t]:
            if free[r] <= 0:
                return r
            q = reservers[r]
            if q and q[0] != t:
                return r
        return -1

    def _schedule(self) -> None:
        """Start the best startable tasks while worker slots are free."""
        ready = self._ready
        limit_s = self._reserve_s
        now = time.monotonic() if limit_s is not None else 0.0
        if limit_s is not None:
            self._promote_aged(now - limit_s)
        pop = heapq.heappop
        while self._running < self._max_parallel and ready and not self._stopping:
            key = pop(ready)
            t = key if key >= 0 else self._urgent_task[key]
            came = self._woken_from[t]
            self._woken_from[t] = -1
            blocker = self._blocker(t)
            if blocker < 0:
                self._start(t)
            else:
                if key >= 0:
                    if came >= 0:
                        self._passes[t] += 1  # a resource it waited for freed, and it still lost
                    first = self._first_park[t]
                    aged = limit_s is not None and first is not None and now - first >= limit_s
                    if aged or self._passes[t] >= self._reserve_passes:
                        self._make_urgent(t)
                        blocker = self._blocker(t)
                if blocker < 0:
                    self._start(t)
                else:
                    self._park(t, blocker, now)
            if came >= 0:
                self._woken[came] = False
                self._wake(came)

    def _promote_aged(self, cutoff: float) -> None:
        # Tasks parked longer than reserve_after_s go back on the ready heap; when popped and still
        # blocked they become reserving (the age test in _schedule).
        aq = self._age_queue
        while aq and aq[0][0] <= cutoff:
            _, t = aq.popleft()
            r = self._parked_on[t]
            if r < 0 or self._key[t] < 0:
                continue  # started, on the ready heap already, or reserving already
            w = self._wait[r]
            w.remove(self._key[t])
            heapq.heapify(w)
            self._parked_on[t] = -1
            heapq.heappush(self._ready, self._key[t])

    def _make_urgent(self, t: int) -> None:
        key = _URGENT_BASE + self._urgent_seq
        self._urgent_seq += 1
        self._urgent_task[key] = t
        self._key[t] = key
        for r in self._res[t]:
            self._reservers[r].append(t)

    def _park(self, t: int, r: int, now: float) -> None:
        self._parked_on[t] = r
        heapq.heappush(self._wait[r], self._key[t])
        if self._first_park[t] is None:
            self._first_park[t] = now
            if self._reserve_s is not None:
                self._age_queue.append((now, t))

    def _wake(self, r: int) -> None:
        """Move the best task parked on `r` to the ready heap if `r` can be taken now."""
        w = self._wait[r]
        if self._woken[r] or not w or self._free[r] <= 0:
            return
        t = self._task_of(w[0])
        q = self._reservers[r]
        if q and q[0] != t:
            return  # reserved for a task parked elsewhere; its start will wake us
        heapq.heappop(w)
        self._parked_on[t] = -1
        self._woken_from[t] = r
        self._woken[r] = True
        heapq.heappush(self._ready, self._key[t])

    def _start(self, t: int) -> None:
        urgent = self._key[t] < 0
        free = self._free
        for r in self._res[t]:
            free[r] -= 1
            if urgent:
                self._reservers[r].popleft()  # t heads every queue it is in, or it could not start
        self._state[t] = _RUNNING
        self._running += 1
        now = time.monotonic()
        self._started[t] = now
        self._work.put(t)
        if self._on_event is not None:
            self._on_event(SchedEvent(EventKind.STARTED, self._ids[t], now))
        if urgent:
            for r in self._res[t]:
                self._wake(r)  # spare capacity, if any, is no longer held back

    def _complete(self, t: int, outcome: TaskOutcome, at: float) -> None:
        self._running -= 1
        self._finished[t] = at
        self._outcome[t] = outcome
        free = self._free
        for r in self._res[t]:
            free[r] += 1
            self._wake(r)
        on_event = self._on_event
        if outcome.ok:
            self._state[t] = _SUCCEEDED
            if on_event is not None:
                on_event(SchedEvent(EventKind.FINISHED, self._ids[t], at, outcome.message, outcome=outcome))
            pending = self._pending
            for d in self._dependants[t]:
                pending[d] -= 1
                if pending[d] == 0 and self._state[d] == _WAITING:
                    self._state[d] = _READY
                    heapq.heappush(self._ready, self._key[d])
            return
        self._state[t] = _FAILED
        if on_event is not None:
            on_event(SchedEvent(EventKind.FAILED, self._ids[t], at, outcome.message, outcome=outcome))
        if self._first_failure < 0:
            self._first_failure = t
        if self._fail_fast:
            self._stopping = True
        self._skip_dependants(t, at)

    def _skip_dependants(self, root: int, at: float) -> None:
        skipped: list[int] = []
        todo = list(self._dependants[root])
        while todo:
            d = todo.pop()
            if self._state[d] != _WAITING:
                continue  # skipped already, by this root or an earlier one
            self._state[d] = _SKIPPED
            self._cause[d] = root
            skipped.append(d)
            todo.extend(self._dependants[d])
        skipped.sort(key=lambda i: self._ids[i])
        self._root_causes[root] = skipped
        if self._on_event is not None:
            cause = self._ids[root]
            for d in skipped:
                self._on_event(
                    SchedEvent(EventKind.SKIPPED, self._ids[d], at, f"skipped: because {cause} failed", cause)
                )

    def _finish_unstarted(self) -> None:
        if not self._stopping:
            return
        if self._stop_requested:
            why = "not run: the run was stopped"
        else:
            why = f"not run: {self._ids[self._first_failure]} failed and fail-fast is on"
        self._not_run_why = why
        now = time.monotonic()
        for i in sorted(range(len(self._tasks)), key=lambda i: self._ids[i]):
            if self._state[i] in (_WAITING, _READY):
                self._state[i] = _NOT_RUN
                if self._on_event is not None:
                    self._on_event(SchedEvent(EventKind.NOT_RUN, self._ids[i], now, why))
        self._ready.clear()

    def _result(self, began: float, ended: float) -> ScheduleResult:
        status_of = {
            _SUCCEEDED: TaskStatus.SUCCEEDED,
            _FAILED: TaskStatus.FAILED,
            _SKIPPED: TaskStatus.SKIPPED,
            _NOT_RUN: TaskStatus.NOT_RUN,
        }
        rank = {tid: i for i, tid in enumerate(self._ids)}
        records: dict[str, TaskRecord] = {}
        for task in self._given:
            i = rank[task.id]
            state = self._state[i]
            outcome = self._outcome[i]
            if state == _SKIPPED:
                cause = self._ids[self._cause[i]]
                records[task.id] = TaskRecord(
                    task.id, TaskStatus.SKIPPED, message=f"skipped: because {cause} failed", cause=cause
                )
            elif state == _NOT_RUN:
                records[task.id] = TaskRecord(task.id, TaskStatus.NOT_RUN, message=self._not_run_why)
            else:
                records[task.id] = TaskRecord(
                    task.id,
                    status_of[state],
                    self._started[i],
                    self._finished[i],
                    outcome.message if outcome else "",
                    outcome.warning if outcome else None,
                )
        roots = {
            self._ids[root]: tuple(self._ids[d] for d in skipped)
            for root, skipped in sorted(self._root_causes.items(), key=lambda kv: self._finished[kv[0]] or 0.0)
        }
        return ScheduleResult(records, roots, self._stop_requested, began, ended)
