"""Graph checks and selection on task ids: pure functions shared by the compiler and the runtime."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any


def find_cycle(edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle in `task -> needs` edges as [a, b, …, a], started at its smallest id; None if acyclic."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour: dict[str, int] = {}
    for start in sorted(edges):
        if colour.get(start, WHITE) != WHITE:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
                continue
            state = colour.get(nxt, WHITE)
            if state == GREY:
                cycle = path[path.index(nxt) :]
                i = cycle.index(min(cycle))
                cycle = cycle[i:] + cycle[:i]
                return [*cycle, cycle[0]]
            if state == WHITE:
                colour[nxt] = GREY
                path.append(nxt)
                stack.append((nxt, iter(sorted(edges.get(nxt, ())))))
    return None


def order(edges: Mapping[str, Sequence[str]], key: Callable[[str], Any] = str) -> list[str]:
    """A deterministic topological order of `task -> needs` (Kahn; ready tasks by `key`, then id)."""
    import heapq

    indegree = {t: 0 for t in edges}
    dependants: dict[str, list[str]] = {t: [] for t in edges}
    for t, needs in edges.items():
        for n in needs:
            if n in indegree:
                indegree[t] += 1
                dependants[n].append(t)
    ready = [(key(t), t) for t, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, t = heapq.heappop(ready)
        out.append(t)
        for d in dependants[t]:
            indegree[d] -= 1
            if indegree[d] == 0:
                heapq.heappush(ready, (key(d), d))
    return out


def with_dependencies(edges: Mapping[str, Sequence[str]], roots: Iterable[str]) -> set[str]:
    """`roots` and every task they transitively need."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.add(t)
        todo.extend(edges.get(t, ()))
    return seen
