"""The tasks as the scheduler sees them, and the checks and order of their ``after`` graph."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence


@dataclasses.dataclass(frozen=True)
class SchedTask:
    """One unit of work as the scheduler sees it.

    ``after``: ids of the tasks that must succeed before it starts. ``resources``: names of the
    resources it holds one unit of while it runs (server groups, hosts: an NDEx copy holds its
    source and its target host), all taken at once (docs/run.md, Scheduling). ``expected_s``: its
    expected duration in seconds (from earlier journals; 0 when unknown), which orders the ready tasks.
    """

    id: str
    after: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    expected_s: float = 0.0


def check_tasks(tasks: Sequence[SchedTask], capacities: Mapping[str, int]) -> None:
    """Raise ValueError unless every capacity is an int >= 0, every resource a task holds has a
    capacity of at least 1 (0 would leave the task waiting for ever), and every ``expected_s`` is a
    finite number >= 0."""
    for name, cap in capacities.items():
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ValueError(f"resource {name!r} has capacity {cap!r}: it must be an integer >= 0")
    for task in tasks:
        for r in task.resources:
            held = capacities.get(r)
            if held is None:
                raise ValueError(f"task {task.id!r} holds resource {r!r}, which has no capacity")
            if held == 0:
                raise ValueError(f"task {task.id!r} holds resource {r!r} whose capacity is 0: it could never start")
        if not math.isfinite(task.expected_s) or task.expected_s < 0:
            raise ValueError(f"task {task.id!r} has expected_s {task.expected_s}: it must be a finite number >= 0")


def index_graph(tasks: Sequence[SchedTask]) -> list[list[int]]:
    """Each task's predecessors as input positions; raise ValueError on a duplicate id or an
    ``after`` naming no task."""
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
    return preds


def successors(preds: Sequence[Sequence[int]]) -> list[list[int]]:
    """The reverse of ``preds``: for each position, the positions that wait for it, ascending."""
    succs: list[list[int]] = [[] for _ in preds]
    for i, ps in enumerate(preds):
        for p in ps:
            succs[p].append(i)
    return succs


def topological(tasks: Sequence[SchedTask], preds: Sequence[Sequence[int]]) -> list[int]:
    """Kahn's order of input positions; raise ValueError naming one cycle when there is one."""
    succs = successors(preds)
    indeg = [len(ps) for ps in preds]
    order = [i for i, d in enumerate(indeg) if d == 0]
    for i in order:  # the list grows while it is walked
        for s in succs[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                order.append(s)
    if len(order) < len(tasks):
        raise ValueError(f"cycle in after edges: {_describe_cycle(tasks, preds, indeg)}")
    return order


def _describe_cycle(tasks: Sequence[SchedTask], preds: Sequence[Sequence[int]], indeg: list[int]) -> str:
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
