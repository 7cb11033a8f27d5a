"""The resource mechanism: capacities, atomic acquisition, wait queues and reservations.

A resource (a server group, a host) has a capacity; a task holds one unit of each resource it names
while it runs. All of a task's resources are taken at once: it starts only when each has a free
unit, and it never holds some while waiting for others, so overlapping resources cannot deadlock.

A task that cannot start is *parked* on one resource it is blocked by, in a queue ordered by the key
the policy gives it (smaller first). Only that resource's best waiter is *woken* when a unit frees,
so a decision costs O(log n) however many tasks wait. A *reserving* task (see ``policy.Patience``)
has its resources held back for it: no other task takes them until it starts. Reservations are
first come first served per resource, so the earliest reserving task always progresses and
reservations cannot deadlock either.

Tasks and resources are small ints here (positions); names live in ``core``.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence

Entry = tuple[int, int]  # (key, task): a waiter in a queue, smaller keys first


class Resources:
    """Free units, wait queues and reservations of ``len(capacity)`` resources for tasks whose
    held resources are ``holds[t]`` (indices into ``capacity``, each at most once)."""

    def __init__(self, capacity: Sequence[int], holds: Sequence[tuple[int, ...]]) -> None:
        self.holds = holds
        self._free = list(capacity)
        self._wait: list[list[Entry]] = [[] for _ in capacity]
        self._woken = [False] * len(capacity)  # the resource's best waiter is out of its queue, deciding
        self._reservers: list[deque[int]] = [deque() for _ in capacity]
        self._parked: list[Entry | None] = [None] * len(holds)
        self._parked_on = [-1] * len(holds)

    def blocker(self, t: int) -> int:
        """The first resource ``t`` cannot take now (full, or reserved for another task), else -1."""
        free = self._free
        reservers = self._reservers
        for r in self.holds[t]:
            if free[r] <= 0:
                return r
            q = reservers[r]
            if q and q[0] != t:
                return r
        return -1

    def acquire(self, t: int, reserving: bool) -> None:
        """Take one unit of each of ``t``'s resources; ``blocker(t)`` must be -1."""
        free = self._free
        for r in self.holds[t]:
            free[r] -= 1
            if reserving:
                self._reservers[r].popleft()  # t heads every queue it is in, or it could not start

    def release(self, t: int) -> None:
        """Give back the units ``t`` held (then :meth:`wake` each of ``holds[t]``)."""
        free = self._free
        for r in self.holds[t]:
            free[r] += 1

    def reserve(self, t: int) -> None:
        """Queue ``t`` as a reserver of each of its resources (served first come first served)."""
        for r in self.holds[t]:
            self._reservers[r].append(t)

    def park(self, entry: Entry, r: int) -> None:
        """Queue the blocked task ``entry[1]`` on resource ``r``, which blocks it."""
        t = entry[1]
        self._parked[t] = entry
        self._parked_on[t] = r
        heapq.heappush(self._wait[r], entry)

    def unpark(self, t: int) -> Entry | None:
        """Take ``t`` out of the queue it is parked in and return its entry; None if not parked."""
        r = self._parked_on[t]
        entry = self._parked[t]
        if r < 0 or entry is None:
            return None
        w = self._wait[r]
        w.remove(entry)
        heapq.heapify(w)
        self._parked_on[t] = -1
        self._parked[t] = None
        return entry

    def wake(self, r: int) -> Entry | None:
        """The best waiter of ``r``, out of its queue, when ``r`` can be taken now and no earlier
        waiter is still deciding; the caller must call :meth:`settled` once it decided."""
        w = self._wait[r]
        if self._woken[r] or not w or self._free[r] <= 0:
            return None
        entry = w[0]
        q = self._reservers[r]
        if q and q[0] != entry[1]:
            return None  # reserved for a task parked elsewhere; its start wakes r again
        heapq.heappop(w)
        self._parked_on[entry[1]] = -1
        self._parked[entry[1]] = None
        self._woken[r] = True
        return entry

    def settled(self, r: int) -> None:
        """The waiter woken from ``r`` started or parked again: ``r`` may wake the next one."""
        self._woken[r] = False
