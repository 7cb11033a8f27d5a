"""Scheduling policy: which ready task goes first, when a starved task reserves its resources, and
the lower bound a schedule is measured against (docs/run.md, Scheduling).

Order: among ready tasks the longest expected first, ties broken by id, so the same plan and
durations give the same order. A task's expected time counts the work that cannot start before it
(see :func:`priorities`): for a task nothing waits on it is just its ``expected_s``; a short task
that unlocks a long chain, or heads a heavily booked resource, goes before a longer task that holds
nothing up — plain longest-``expected_s``-first would leave that chain or resource to run alone at
the end.

Patience: atomic acquisition lets a task that needs several resources be overtaken by tasks that
need only one of them, for as long as those keep one of its resources busy. A *pass-over* is a wake
(a resource it waits for came free) after which it still cannot start. After ``passes`` pass-overs,
or after ``after_s`` seconds waiting on a busy resource, the task starts reserving (see
``resources.Resources``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from .graph import SchedTask, check_tasks, index_graph, successors, topological


@dataclasses.dataclass(frozen=True)
class Patience:
    """How long a blocked task waits before its resources are reserved for it: ``passes``
    pass-overs (at least 1), or ``after_s`` seconds since it first had to wait (None: no limit)."""

    passes: int = 3
    after_s: float | None = 60.0

    def __post_init__(self) -> None:
        if self.passes < 1:
            raise ValueError(f"reserve_after_passes must be at least 1, not {self.passes}")

    def exhausted(self, passes: int, waiting_since: float | None, now: float) -> bool:
        """True when a task passed over ``passes`` times, parked first at ``waiting_since``
        (``time.monotonic()``, None if never), should reserve at ``now``."""
        if passes >= self.passes:
            return True
        return self.after_s is not None and waiting_since is not None and now - waiting_since >= self.after_s


def priorities(
    tasks: Sequence[SchedTask],
    preds: Sequence[Sequence[int]],
    order: Sequence[int],
    holds: Sequence[tuple[int, ...]],
    capacity: Sequence[int],
) -> list[float]:
    """Each task's expected seconds from its start until the work it holds up is done.

    ``holds[i]`` are the indices (into ``capacity``) of the resources task ``i`` holds; ``order`` is
    a topological order of positions. Two kinds of work wait on a task: its ``after`` dependants
    (their chain, recursively), and the holders of its resources queued behind it — a resource serves
    its holders longest first, so the backlog behind a task is its own and every shorter holder's
    expected_s, over the capacity. Ranking by this is "longest expected first" where nothing waits
    (no dependants, no shared resource: the plain expected_s).
    """
    n = len(tasks)
    holders: list[list[int]] = [[] for _ in capacity]
    for i in range(n):
        for r in holds[i]:
            holders[r].append(i)
    backlog = [0.0] * n
    for r, hs in enumerate(holders):
        hs.sort(key=lambda i: (-tasks[i].expected_s, tasks[i].id))  # the order it serves them in
        behind = 0.0
        for i in reversed(hs):  # last served first, accumulating what queues behind each holder
            behind += tasks[i].expected_s
            backlog[i] = max(backlog[i], tasks[i].expected_s, behind / capacity[r])
    succs = successors(preds)
    prio = [0.0] * n
    for i in reversed(order):
        chain = tasks[i].expected_s + max((prio[s] for s in succs[i]), default=0.0)
        prio[i] = max(chain, backlog[i])
    return prio


def ranking(tasks: Sequence[SchedTask], prio: Sequence[float]) -> list[int]:
    """Input positions in start order: highest priority first, then longest expected_s, then id."""
    return sorted(range(len(tasks)), key=lambda i: (-prio[i], -tasks[i].expected_s, tasks[i].id))


def lower_bound(tasks: Sequence[SchedTask], capacities: Mapping[str, int], max_parallel: int) -> float:
    """No schedule can finish sooner than this many seconds, if every task takes its expected_s.

    The maximum of the longest ``after`` chain, each resource's total work over its capacity, and
    all work over ``max_parallel``. Raises ValueError on the input :class:`Scheduler` refuses.
    """
    if max_parallel < 1:
        raise ValueError(f"max_parallel must be at least 1, not {max_parallel}")
    check_tasks(tasks, capacities)
    preds = index_graph(tasks)
    finish = [0.0] * len(tasks)
    for i in topological(tasks, preds):
        finish[i] = tasks[i].expected_s + max((finish[p] for p in preds[i]), default=0.0)
    bound = max(finish, default=0.0)
    work: dict[str, float] = {}
    for task in tasks:
        for r in set(task.resources):
            work[r] = work.get(r, 0.0) + task.expected_s
    for r, w in work.items():
        bound = max(bound, w / capacities[r])
    return max(bound, sum(t.expected_s for t in tasks) / max_parallel)
