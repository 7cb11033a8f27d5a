"""The task graph: ordering edges and resources of the tasks a workspace compiles to, and what
makes it unusable (PL701 a cycle, PL702 an unknown task in `[[after]]`, PL703 a resource with
capacity 0). Problems are typed records that carry where the manifest says the offending thing,
so `ferryman validate` reports them located without reading message text.

Resources (docs/architecture.md, "Resources"): a server group `group:NAME` has capacity 1 unless `[groups]`
says otherwise; a host `host:NAME` has `per_host_limit` unless `[hosts]` names it. A task holds
all of its resources at once while it runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import NamedTuple

from . import graph, tasks
from .diagnostics import Diagnostic, JsonPath
from .document import Document, Findings, define
from .ir import Workspace

PL_CYCLE = define(
    "PL701", "error", "the tasks' ordering edges form a cycle", "remove one of the [[after]] edges on the cycle"
)
PL_UNKNOWN_TASK = define(
    "PL702",
    "error",
    "an [[after]] entry names an unknown task",
    "task ids: pipe:<source>, ndex:<plan-stem>, profile:<name>, bridge:check",
)
PL_NEVER_RUNS = define(
    "PL703",
    "error",
    "a task's resources can never be acquired",
    "give the group (in [groups]) or host (in [hosts]) a capacity of at least 1",
)

GROUP = "group"
HOST = "host"


def resource_id(kind: str, name: str) -> str:
    """`group:NAME` or `host:NAME`: one namespace for everything a task can hold."""
    return f"{kind}:{name}"


class GraphProblem(NamedTuple):
    """One reason the graph cannot run, located in the manifest (`at`, a JSON path)."""

    code: str  # PL701 | PL702 | PL703
    message: str
    tasks: tuple[str, ...]
    at: JsonPath = ()


class ResourceSpec(NamedTuple):
    id: str  # group:NAME | host:NAME
    kind: str  # group | host
    name: str
    capacity: int
    members: tuple[str, ...]  # task ids holding it, sorted


class TaskGraph(NamedTuple):
    """The tasks of a workspace with their edges and resources (what a plan is made of)."""

    specs: dict[str, tuple[str, tasks.TaskSpec]]  # id -> (kind, spec)
    after: dict[str, tuple[str, ...]]  # id -> sorted ids it waits for
    holds: dict[str, tuple[str, ...]]  # id -> sorted resource ids it holds
    resources: tuple[ResourceSpec, ...]  # sorted by id
    problems: tuple[GraphProblem, ...]


def build(ws: Workspace) -> TaskGraph:
    """The task graph of the IR, with its problems (never raises for them)."""
    specs = tasks.specs(ws)
    kinds = tasks.registry()
    problems: list[GraphProblem] = []
    waits: dict[str, set[str]] = {}  # only the tasks that wait for something (few of thousands)
    for a in ws.after:
        if a.task not in specs:
            problems.append(GraphProblem("PL702", f"[[after]] names unknown task {a.task!r}", (a.task,),
                                         ("after", a.index, "task")))
        for j, need in enumerate(a.needs):
            if need not in specs:
                problems.append(GraphProblem("PL702", f"[[after]] names unknown task {need!r}", (need,),
                                             ("after", a.index, "needs", j)))
        if a.task in specs:
            waits.setdefault(a.task, set()).update(n for n in a.needs if n in specs)
    gates = [t for t, (k, _) in specs.items() if kinds[k].network_gate]
    if gates:
        for tid, (k, _) in specs.items():
            if kinds[k].needs_network:
                waits.setdefault(tid, set()).update(gates)
    waiting = {t: tuple(sorted(n)) for t, n in waits.items() if n}
    # a cycle runs through tasks that wait for something: the others cannot change what is found
    cycle = graph.find_cycle(waiting)
    if cycle:
        pairs = set(itertools.pairwise(cycle))
        at: JsonPath = next(
            (("after", a.index) for a in ws.after if any((a.task, n) in pairs for n in a.needs)), ()
        )
        problems.append(GraphProblem("PL701", "dependency cycle: " + " -> ".join(cycle), tuple(cycle), at))

    group_caps = dict(ws.group_capacity)
    host_caps = dict(ws.host_capacity)
    members: dict[str, list[str]] = {}  # resource id -> the tasks holding it
    group_prefix, host_prefix = resource_id(GROUP, ""), resource_id(HOST, "")
    holds: dict[str, tuple[str, ...]] = {}
    for tid, (_, s) in specs.items():
        held = [group_prefix + g for g in s.groups] if s.groups else []
        if s.hosts:
            held += [host_prefix + h for h in s.hosts]
        if len(held) > 1:
            held.sort()
        holds[tid] = tuple(held)
        for r in held:
            holders = members.get(r)
            if holders is None:
                members[r] = [tid]
            else:
                holders.append(tid)
    resources: list[ResourceSpec] = []
    for rid, holders in members.items():
        kind, _, name = rid.partition(":")
        caps: Mapping[str, int] = group_caps if kind == GROUP else host_caps
        default = 1 if kind == GROUP else ws.per_host_limit
        capacity = caps.get(name, default)
        held_by = tuple(sorted(holders))
        resources.append(ResourceSpec(rid, kind, name, capacity, held_by))
        if capacity < 1:
            where: JsonPath = ("groups" if kind == GROUP else "hosts", name) if name in caps else ()
            message = f"{kind} {name!r} has capacity {capacity}: {', '.join(held_by)} can never run"
            problems.append(GraphProblem("PL703", message, held_by, where))
    empty: tuple[str, ...] = ()
    after = {t: waiting.get(t, empty) for t in specs}
    return TaskGraph(specs, after, holds, tuple(sorted(resources, key=lambda r: r.id)), tuple(problems))


_CODES = {c.code: c for c in (PL_CYCLE, PL_UNKNOWN_TASK, PL_NEVER_RUNS)}


def diagnostics(manifest: Document, problems: list[GraphProblem] | tuple[GraphProblem, ...]) -> list[Diagnostic]:
    """The problems as diagnostics located in the manifest."""
    findings = Findings(manifest)
    for p in problems:
        findings.report(_CODES[p.code], p.message, p.at)
    return findings.items
