"""The Plan: tasks, ordering edges, groups and limits compiled from the IR (DESIGN 3).

A plan is deterministic (same inputs, same bytes), carries each input's sha256 and a digest of its
canonical JSON, and holds no secret: passwords appear only as `${env:…}` (or `${input:…}`) references.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from ferryman.errors import FerrymanError, StalePlanError

from . import graph
from .ir import After, InputFile, ServerGroup, Workspace, sha256_file

FORMAT_VERSION = 1
KINDS = ("bridge", "pipe", "profile", "ndex")


class GraphError(FerrymanError):
    """The tasks cannot be ordered or run (cycle, unknown task, unacquirable group)."""

    def __init__(self, problems: list[graph.GraphProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class Group:
    name: str
    capacity: int
    members: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Task:
    id: str
    kind: str
    after: tuple[str, ...]
    groups: tuple[str, ...]
    host: str | None
    delayed: bool
    action: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "after": list(self.after),
            "groups": list(self.groups),
            "host": self.host,
            "delayed": self.delayed,
            "action": self.action,  # JSON-ready by construction (compile, from_json)
        }


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))  # the C encoder, built once


def _compact(value: Any) -> str:
    return _ENCODER.encode(value)


def _digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Plan:
    workspace: str
    root: str
    manifest: str
    state_dir: str
    inputs: tuple[InputFile, ...]
    max_parallel: int
    per_host_limit: int
    include_delayed: bool
    groups: tuple[Group, ...]
    tasks: tuple[Task, ...]  # sorted by id
    format_version: int = FORMAT_VERSION

    # -- identity -------------------------------------------------------------------------
    def body(self) -> dict[str, Any]:
        """The plan file's content without the digest (built once; do not mutate it)."""
        return self._body

    @functools.cached_property
    def _body(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "workspace": {
                "name": self.workspace,
                "root": self.root,
                "manifest": self.manifest,
                "state_dir": self.state_dir,
            },
            "inputs": [{"path": i.path, "sha256": i.sha256} for i in self.inputs],
            "limits": {"max_parallel": self.max_parallel, "per_host_limit": self.per_host_limit},
            "include_delayed": self.include_delayed,
            "groups": [{"name": g.name, "capacity": g.capacity, "members": list(g.members)} for g in self.groups],
            "tasks": [t.as_dict() for t in self.tasks],
        }

    @functools.cached_property
    def digest(self) -> str:
        return _digest(self.body())

    def to_json(self) -> str:
        """The plan file: one line per input, group and task (the C encoder, not `indent`, which
        is pure Python and dominates on large plans), the digest last."""
        body = self.body()
        lines = ["{"]
        for key, value in body.items():
            if isinstance(value, list) and value:
                items = ",\n".join("    " + _compact(v) for v in value)
                lines.append(f'  "{key}": [\n{items}\n  ],')
            else:
                lines.append(f'  "{key}": {_compact(value)},')
        lines.append(f'  "digest": "{self.digest}"')
        lines.append("}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a saved plan; refuses an unknown format version or a digest that does not match."""
        try:
            doc = json.loads(text)
            if doc.get("format_version") != FORMAT_VERSION:
                raise FerrymanError(
                    f"plan format version {doc.get('format_version')!r} is not supported (expected {FORMAT_VERSION})",
                    hint="compile it again with this ferryman: ferryman plan --out FILE",
                )
            ws = doc["workspace"]
            plan = cls(
                workspace=ws["name"],
                root=ws["root"],
                manifest=ws["manifest"],
                state_dir=ws["state_dir"],
                inputs=tuple(InputFile(i["path"], i["sha256"]) for i in doc["inputs"]),
                max_parallel=int(doc["limits"]["max_parallel"]),
                per_host_limit=int(doc["limits"]["per_host_limit"]),
                include_delayed=bool(doc["include_delayed"]),
                groups=tuple(Group(g["name"], int(g["capacity"]), tuple(g["members"])) for g in doc["groups"]),
                tasks=tuple(
                    Task(
                        t["id"],
                        t["kind"],
                        tuple(t["after"]),
                        tuple(t["groups"]),
                        t["host"],
                        bool(t["delayed"]),
                        t["action"],
                    )
                    for t in doc["tasks"]
                ),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise FerrymanError(f"not a ferryman plan file: {exc}") from None
        if doc.get("digest") != plan.digest:
            raise FerrymanError(
                "the plan file was edited after it was compiled (digest mismatch)",
                hint="compile it again: ferryman plan --out FILE",
            )
        return plan

    # -- views ----------------------------------------------------------------------------
    @property
    def edges(self) -> dict[str, tuple[str, ...]]:
        return {t.id: t.after for t in self.tasks}

    @functools.cached_property
    def _by_id(self) -> dict[str, Task]:
        return {t.id: t for t in self.tasks}

    def task(self, task_id: str) -> Task:
        return self._by_id[task_id]

    def task_groups(self, task_id: str) -> tuple[str, ...]:
        return self._by_id[task_id].groups

    def run_order(self) -> list[Task]:
        by_id = {t.id: t for t in self.tasks}
        # ready tasks in kind order (bridge, pipe, profile, ndex), then by id
        return [by_id[i] for i in graph.order(self.edges, key=lambda i: KINDS.index(by_id[i].kind))]

    def select(self, only: Iterable[str], *, with_deps: bool = False) -> Plan:
        """The plan restricted to `only` (and what they need, with `with_deps`)."""
        wanted = list(only)
        known = {t.id for t in self.tasks}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            from ferryman.errors import UsageError

            raise UsageError(f"no task {unknown[0]!r} in the plan", hint="see the task ids with: ferryman plan")
        keep = graph.with_dependencies(self.edges, wanted) if with_deps else set(wanted)
        tasks = tuple(
            dataclasses.replace(t, after=tuple(a for a in t.after if a in keep)) for t in self.tasks if t.id in keep
        )
        groups = tuple(dataclasses.replace(g, members=tuple(m for m in g.members if m in keep)) for g in self.groups)
        return dataclasses.replace(self, tasks=tasks, groups=tuple(g for g in groups if g.members))

    def stale_inputs(self) -> list[str]:
        """Inputs whose content changed since the plan was compiled (or that are gone)."""
        changed = []
        for i in self.inputs:
            full = os.path.join(self.root, i.path)
            if not os.path.isfile(full) or sha256_file(full) != i.sha256:
                changed.append(i.path)
        return changed

    def check_fresh(self) -> None:
        """Raise StalePlanError (exit 3) when an input changed since the plan was compiled."""
        stale = self.stale_inputs()
        if stale:
            raise StalePlanError(
                f"the plan is stale: {', '.join(stale)} changed since it was compiled",
                hint="compile it again (ferryman plan --out FILE) or run with --force-stale",
            )


# -- compile ------------------------------------------------------------------------------

NETWORK_KINDS = ("pipe", "ndex")  # tasks that may need the network (bridge:check goes first)


@dataclasses.dataclass(frozen=True)
class TaskGraph:
    """The shape of a plan without the actions: task kinds, ordering edges and groups."""

    kinds: dict[str, str]  # id -> kind
    after: dict[str, tuple[str, ...]]  # id -> sorted ids it waits for
    groups: tuple[Group, ...]  # sorted by name
    member_of: dict[str, tuple[str, ...]]  # id -> sorted group names
    problems: tuple[graph.GraphProblem, ...]


def task_kinds(ws: Workspace) -> dict[str, str]:
    """Task id -> kind, for every task the IR compiles to."""
    kinds: dict[str, str] = {}
    if ws.bridge is not None:
        kinds["bridge:check"] = "bridge"
    if ws.zmap is not None:
        kinds.update((f"pipe:{s.name}", "pipe") for s in ws.zmap.sources if s.pipe is not None and s.script)
    kinds.update((f"profile:{p.name}", "profile") for p in ws.profiles)
    kinds.update((f"ndex:{c.name}", "ndex") for c in ws.copy_plans)
    return kinds


def task_graph(
    kinds: Mapping[str, str], after_entries: Iterable[After], server_groups: Iterable[ServerGroup]
) -> TaskGraph:
    """Edges and groups of the tasks `kinds` names, with what makes them unusable (a cycle, an
    unknown task, a group that can never be acquired). Pure and cheap: `ferryman validate` runs it
    on every valid workspace, with the task ids read straight from the inputs."""
    kinds = dict(kinds)
    problems: list[graph.GraphProblem] = []
    after: dict[str, set[str]] = {t: set() for t in kinds}
    for a in after_entries:
        for tid in (a.task, *a.needs):
            if tid not in kinds:
                problems.append(graph.GraphProblem("PL702", f"[[after]] names unknown task {tid!r}", (tid,)))
        if a.task in after:
            after[a.task].update(n for n in a.needs if n in kinds)
    if "bridge:check" in kinds:
        for tid, kind in kinds.items():
            if kind in NETWORK_KINDS:
                after[tid].add("bridge:check")
    edges = {t: tuple(sorted(n)) for t, n in after.items()}
    cycle = graph.find_cycle(edges)
    if cycle:
        problems.append(graph.GraphProblem("PL701", "dependency cycle: " + " -> ".join(cycle), tuple(cycle)))

    groups: list[Group] = []
    member_of: dict[str, list[str]] = {}
    for g in server_groups:
        members = tuple(sorted({f"pipe:{m}" for m in g.members} & kinds.keys()))
        if not members:
            continue
        groups.append(Group(g.name, g.capacity, members))
        for m in members:
            member_of.setdefault(m, []).append(g.name)
        if g.capacity < 1:
            message = f"group {g.name!r} has capacity {g.capacity}: {', '.join(members)} can never run"
            problems.append(graph.GraphProblem("PL703", message, members))
    return TaskGraph(
        kinds,
        edges,
        tuple(sorted(groups, key=lambda g: g.name)),
        {t: tuple(sorted(gs)) for t, gs in member_of.items()},
        tuple(problems),
    )


def _actions(ws: Workspace) -> dict[str, tuple[str | None, bool, dict[str, Any]]]:
    """id -> (host, delayed, action) for every task."""
    out: dict[str, tuple[str | None, bool, dict[str, Any]]] = {}
    state = ws.state_dir.rstrip("/")
    if ws.bridge is not None:
        b = ws.bridge
        out["bridge:check"] = (
            None, False, {"socks_port": b.socks_port, "jump": b.jump, "target": b.target, "wait_s": b.wait_s}
        )
    if ws.zmap is not None:
        from .pipeurl import argv as pipe_argv
        from .secrets import mask_url_userinfo

        region = (ws.region.start, ws.region.end) if ws.region else None
        for s in ws.zmap.sources:
            if s.pipe is None or s.script is None:
                continue
            out[f"pipe:{s.name}"] = (None, s.delayed, {
                "source": s.name,
                "url": mask_url_userinfo(s.url),
                "script": s.script,
                "argv": [s.script, *pipe_argv(s.pipe, region)],
                "cwd": ws.zmap.script_dir,
                "featuresets": list(s.featuresets),
                "timeout_s": float(s.timeout) if s.timeout is not None else ws.timeout_s,
                "output": f"{state}/gff/{s.name}.gff",
            })
    for p in ws.profiles:
        out[f"profile:{p.name}"] = (None, False, {
            "organism": p.organism,
            "template": p.template,
            "output": p.output,
            "release": p.release,
            "allow": list(p.allow),
            "flips": [
                {"form": f.form, "database": f.database, "assembly": f.assembly, "include": f.after}
                for f in p.flips
                if f.before != f.after
            ],
        })
    for c in ws.copy_plans:
        selection: dict[str, Any] = (
            {"ids": list(c.id_list)}
            if c.plan_type == "IdCopyPlan"
            else {"query": c.query_string, "limit": c.query_limit, "account": c.query_account}
        )
        out[f"ndex:{c.name}"] = (c.target.host or None, False, {
            "plan": c.path,
            "plan_type": c.plan_type,
            "source": {"route": c.source.route, "username": c.source.username, "password": c.source.password},
            "target": {"route": c.target.route, "username": c.target.username, "password": c.target.password},
            "selection": selection,
            "update_target": c.update_target,
            "update_read_only": c.update_read_only,
        })
    return out


def compile(ws: Workspace, *, include_delayed: bool = False) -> Plan:
    """Compile the IR into a Plan. Pure: reads no file but the inputs' hashes already in `ws`.

    Raises GraphError when the task graph is unusable (see `task_graph`)."""
    shape = task_graph(task_kinds(ws), ws.after, ws.zmap.groups if ws.zmap is not None else ())
    if shape.problems:
        raise GraphError(list(shape.problems))
    actions = _actions(ws)
    return Plan(
        workspace=ws.name,
        root=ws.root,
        manifest=ws.manifest,
        state_dir=ws.state_dir,
        inputs=ws.inputs,
        max_parallel=ws.max_parallel,
        per_host_limit=ws.per_host_limit,
        include_delayed=include_delayed,
        groups=shape.groups,
        tasks=tuple(
            Task(tid, kind, shape.after[tid], shape.member_of.get(tid, ()), *actions[tid])
            for tid, kind in sorted(shape.kinds.items())
        ),
    )


def load_plan(path: str) -> Plan:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        from ferryman.errors import UsageError

        raise UsageError(f"cannot read plan {path}: {exc.strerror}") from None
    return Plan.from_json(text)
