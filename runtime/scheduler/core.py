"""The scheduler loop: decides when each task of a plan starts, independent of how tasks run.

Constraints, all enforced at once (docs/run.md, Scheduling):

* ``after`` edges: a task starts only when every task it waits for has succeeded.
* resources: a task holds one unit of every resource it names while it runs, all taken atomically
  (``resources.Resources``).
* ``max_parallel`` running tasks in all (the size of the worker pool).

Which ready task goes first and when a starved task reserves is the policy's (``policy``).

Execution: ``max_parallel`` worker threads call the executor; the loop runs in the thread that calls
:meth:`Scheduler.run` and wakes only on completions (a queue), never by polling. Blocked tasks wait
on one busy resource and only that resource's best waiter is woken when it frees, so a decision
costs O(log n) however many tasks are queued.
"""

from __future__ import annotations

import dataclasses
import heapq
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from ..status import TaskEvent, TaskOutcome, TaskRecord, TaskStatus
from .graph import SchedTask, check_tasks, index_graph, topological
from .policy import Patience, priorities, ranking
from .resources import Entry, Resources

Run = Callable[[SchedTask], TaskOutcome]
EventSink = Callable[[TaskEvent], None]

_URGENT_BASE = -(1 << 40)  # reserving tasks get keys below every ordinary key (a task's rank)
_WAKE = None  # put on the completion queue by stop() so the loop notices at once

# Internal states: TaskStatus members, compared by identity in the hot loop.
_PENDING, _RUNNING, _SUCCEEDED = TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.SUCCEEDED
_FAILED, _SKIPPED, _CANCELLED = TaskStatus.FAILED, TaskStatus.SKIPPED, TaskStatus.CANCELLED


@dataclasses.dataclass(frozen=True)
class ScheduleResult:
    """Every task's record (in input order; times are ``time.monotonic()`` seconds) and, per failed
    task in the order they failed, the dependants it caused to skip (sorted by id)."""

    tasks: Mapping[str, TaskRecord]
    root_causes: Mapping[str, tuple[str, ...]]
    stopped: bool
    started_s: float
    finished_s: float

    @property
    def ok(self) -> bool:
        """True when every task succeeded."""
        return all(r.status is TaskStatus.SUCCEEDED for r in self.tasks.values())

    def with_status(self, status: TaskStatus) -> tuple[str, ...]:
        """Ids of the tasks that ended with ``status``, in input order."""
        return tuple(r.id for r in self.tasks.values() if r.status is status)

    def failure_lines(self) -> list[str]:
        """One line per root cause, naming what it made skip: the report's failure summary."""
        lines = []
        for failed, skipped in self.root_causes.items():
            line = f"{failed} failed: {self.tasks[failed].error or 'no message'}"
            if skipped:
                line += f"; skipped because of it: {', '.join(skipped)}"
            lines.append(line)
        return lines


class Scheduler:
    """Runs a set of tasks once, under the constraints in the module docstring.

    ``run`` is called in a worker thread with each task and returns a :class:`TaskOutcome`; an
    exception it raises fails the task. ``capacities`` maps every resource a task holds to its
    capacity (an int >= 0). ``on_event`` is called in the thread running :meth:`run`, in transition
    order. With ``fail_fast`` no task starts after the first failure; otherwise (keep-going) only the
    failed task's transitive dependants are skipped. ``reserve_after_passes`` and
    ``reserve_after_s`` are the :class:`~.policy.Patience` of a starved task.

    Raises ValueError, before anything runs, on a duplicate id, an unknown ``after`` id, a cycle, a
    resource without a capacity or with capacity 0, a bad ``expected_s`` or a limit below 1.
    """

    def __init__(
        self,
        tasks: Iterable[SchedTask],
        run: Run,
        *,
        capacities: Mapping[str, int],
        max_parallel: int,
        fail_fast: bool = False,
        on_event: EventSink | None = None,
        reserve_after_passes: int = 3,
        reserve_after_s: float | None = 60.0,
    ) -> None:
        if max_parallel < 1:
            raise ValueError(f"max_parallel must be at least 1, not {max_parallel}")
        self._patience = Patience(reserve_after_passes, reserve_after_s)
        given = list(tasks)
        check_tasks(given, capacities)
        preds = index_graph(given)
        order = topological(given, preds)

        self._given = given
        self._execute = run
        self._max_parallel = max_parallel
        self._fail_fast = fail_fast
        self._on_event = on_event

        names = sorted({r for t in given for r in t.resources})
        res_index = {name: k for k, name in enumerate(names)}
        holds_given = [tuple(sorted({res_index[r] for r in t.resources})) for t in given]
        capacity = [capacities[name] for name in names]

        # Internal index = rank (policy.ranking), so an ordinary task's key is its index.
        n = len(given)
        by_rank = ranking(given, priorities(given, preds, order, holds_given, capacity))
        rank_of = [0] * n
        for r, i in enumerate(by_rank):
            rank_of[i] = r
        self._tasks = [given[i] for i in by_rank]
        self._ids = [t.id for t in self._tasks]
        self._res = Resources(capacity, [holds_given[i] for i in by_rank])

        self._dependants: list[list[int]] = [[] for _ in range(n)]
        self._pending = [0] * n
        for i, ps in enumerate(preds):
            me = rank_of[i]
            self._pending[me] = len(ps)
            for p in ps:
                self._dependants[rank_of[p]].append(me)
        for ds in self._dependants:
            ds.sort()

        self._state = [_PENDING] * n
        self._key = list(range(n))
        self._urgent_seq = 0
        self._woken_from = [-1] * n  # the resource whose wake put the task on the ready heap
        self._passes = [0] * n
        self._first_park: list[float | None] = [None] * n
        self._age_queue: deque[tuple[float, int]] = deque()
        self._started: list[float | None] = [None] * n
        self._finished: list[float | None] = [None] * n
        self._outcome: list[TaskOutcome | None] = [None] * n
        self._cause: list[int] = [-1] * n
        self._root_causes: dict[int, list[int]] = {}
        self._ready: list[Entry] = []
        self._running = 0
        self._first_failure: int = -1
        self._cancel_why = ""

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

    def run(self) -> ScheduleResult:
        """Run every task that can run, wait for the running ones, and return what happened.
        Raises RuntimeError when called twice."""
        with self._ran_lock:
            if self._ran:
                raise RuntimeError("a Scheduler runs once; build a new one")
            self._ran = True
        began = time.monotonic()
        n = len(self._tasks)
        self._ready = [(i, i) for i in range(n) if self._pending[i] == 0]  # sorted: a heap already
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
        self._cancel_unstarted()
        if any(s is _PENDING for s in self._state):  # a bug must not look like success
            raise RuntimeError("scheduler stalled: tasks left waiting with nothing running")

    def _worker(self) -> None:
        get = self._work.get
        put = self._done.put
        tasks = self._tasks
        execute = self._execute
        clock = time.monotonic
        while True:
            i = get()
            if i < 0:
                return
            try:
                outcome = execute(tasks[i])
                if not isinstance(outcome, TaskOutcome):
                    outcome = TaskOutcome(False, f"executor returned {type(outcome).__name__}, not TaskOutcome")
            except BaseException as exc:  # the task fails, the scheduler and this worker go on
                outcome = TaskOutcome(False, f"{type(exc).__name__}: {exc}")
            put((i, outcome, clock()))

    def _schedule(self) -> None:
        """Start the best startable tasks while worker slots are free."""
        ready = self._ready
        res = self._res
        patience = self._patience
        now = 0.0
        if patience.after_s is not None:
            now = time.monotonic()
            self._promote_aged(now - patience.after_s)
        pop = heapq.heappop
        woken_from = self._woken_from
        while self._running < self._max_parallel and ready and not self._stopping:
            key, t = pop(ready)
            came = woken_from[t]
            woken_from[t] = -1
            blocker = res.blocker(t)
            if blocker >= 0 and key >= 0:
                if came >= 0:
                    self._passes[t] += 1  # a resource it waited for freed, and it still lost
                if patience.exhausted(self._passes[t], self._first_park[t], now):
                    self._make_urgent(t)
                    blocker = res.blocker(t)
            if blocker < 0:
                self._start(t)
            else:
                self._park(t, blocker, now)
            if came >= 0:
                res.settled(came)
                self._wake(came)

    def _promote_aged(self, cutoff: float) -> None:
        # Tasks parked longer than reserve_after_s go back on the ready heap; when popped and still
        # blocked they become reserving (Patience.exhausted in _schedule).
        aq = self._age_queue
        while aq and aq[0][0] <= cutoff:
            _, t = aq.popleft()
            if self._key[t] < 0:
                continue  # reserving already
            entry = self._res.unpark(t)
            if entry is not None:  # else started, or on the ready heap already
                heapq.heappush(self._ready, entry)

    def _make_urgent(self, t: int) -> None:
        self._key[t] = _URGENT_BASE + self._urgent_seq
        self._urgent_seq += 1
        self._res.reserve(t)

    def _park(self, t: int, r: int, now: float) -> None:
        self._res.park((self._key[t], t), r)
        if self._first_park[t] is None:
            self._first_park[t] = now
            if self._patience.after_s is not None:
                self._age_queue.append((now, t))

    def _wake(self, r: int) -> None:
        entry = self._res.wake(r)
        if entry is not None:
            self._woken_from[entry[1]] = r
            heapq.heappush(self._ready, entry)

    def _start(self, t: int) -> None:
        urgent = self._key[t] < 0
        self._res.acquire(t, urgent)
        self._state[t] = _RUNNING
        self._running += 1
        now = time.monotonic()
        self._started[t] = now
        self._work.put(t)
        if self._on_event is not None:
            self._on_event(TaskEvent(_RUNNING, self._ids[t], now))
        if urgent:
            for r in self._res.holds[t]:
                self._wake(r)  # spare capacity, if any, is no longer held back

    def _complete(self, t: int, outcome: TaskOutcome, at: float) -> None:
        self._running -= 1
        self._finished[t] = at
        self._outcome[t] = outcome
        self._res.release(t)
        for r in self._res.holds[t]:
            self._wake(r)
        on_event = self._on_event
        if outcome.ok:
            self._state[t] = _SUCCEEDED
            if on_event is not None:
                on_event(TaskEvent(_SUCCEEDED, self._ids[t], at, outcome.message, outcome=outcome))
            pending = self._pending
            for d in self._dependants[t]:
                pending[d] -= 1
                if pending[d] == 0 and self._state[d] is _PENDING:
                    heapq.heappush(self._ready, (self._key[d], d))
            return
        self._state[t] = _FAILED
        if on_event is not None:
            on_event(TaskEvent(_FAILED, self._ids[t], at, outcome.message, outcome=outcome))
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
            if self._state[d] is not _PENDING:
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
                self._on_event(TaskEvent(_SKIPPED, self._ids[d], at, f"because {cause} failed", cause))

    def _cancel_unstarted(self) -> None:
        if not self._stopping:
            return
        if self._stop_requested:
            why = "the run was stopped"
        else:
            why = f"{self._ids[self._first_failure]} failed and fail-fast is on"
        self._cancel_why = why
        now = time.monotonic()
        for i in sorted(range(len(self._tasks)), key=lambda i: self._ids[i]):
            if self._state[i] is _PENDING:
                self._state[i] = _CANCELLED
                if self._on_event is not None:
                    self._on_event(TaskEvent(_CANCELLED, self._ids[i], now, why))
        self._ready.clear()

    def _result(self, began: float, ended: float) -> ScheduleResult:
        rank = {tid: i for i, tid in enumerate(self._ids)}
        records: dict[str, TaskRecord] = {}
        for task in self._given:
            i = rank[task.id]
            state = self._state[i]
            outcome = self._outcome[i]
            if state is _SKIPPED:
                cause = self._ids[self._cause[i]]
                records[task.id] = TaskRecord(task.id, state, error=f"because {cause} failed", cause=cause)
            elif state is _CANCELLED:
                records[task.id] = TaskRecord(task.id, state, error=self._cancel_why)
            else:
                assert outcome is not None  # succeeded or failed: it ran
                records[task.id] = TaskRecord(
                    task.id,
                    state,
                    self._started[i],
                    self._finished[i],
                    message=outcome.message,
                    warning=outcome.warning,
                    error=None if outcome.ok else outcome.message,
                    details=outcome.details,
                )
        roots = {
            self._ids[root]: tuple(self._ids[d] for d in skipped)
            for root, skipped in sorted(self._root_causes.items(), key=lambda kv: self._finished[kv[0]] or 0.0)
        }
        return ScheduleResult(records, roots, self._stop_requested, began, ended)
