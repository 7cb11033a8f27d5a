"""The Plan: tasks, ordering edges, resources and limits compiled from the IR (docs/plan.md).

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

from ferryman.errors import FerrymanError, StalePlanError, UsageError

from . import graph, taskgraph, tasks
from .ir import InputFile, Workspace, sha256_input

FORMAT_VERSION = 2  # 2: resources (groups and hosts) with capacities; tasks list what they hold


class GraphError(FerrymanError):
    """The tasks cannot be ordered or run (cycle, unknown task, unacquirable resource)."""

    def __init__(self, problems: list[taskgraph.GraphProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class Resource:
    """Something tasks hold while they run, at most `capacity` holders at once: a server group
    (`group:NAME`) or a remote host (`host:NAME`)."""

    id: str
    kind: str  # group | host
    name: str
    capacity: int
    members: tuple[str, ...]  # task ids, sorted

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "capacity": self.capacity,
                "members": list(self.members)}


@dataclasses.dataclass(frozen=True)
class Task:
    id: str
    kind: str
    after: tuple[str, ...]
    resources: tuple[str, ...]  # resource ids it holds, sorted
    delayed: bool
    action: Mapping[str, Any]

    @property
    def groups(self) -> tuple[str, ...]:
        """Names of the server groups it holds."""
        return tuple(r[6:] for r in self.resources if r.startswith("group:"))

    @property
    def hosts(self) -> tuple[str, ...]:
        """Names of the remote hosts it holds."""
        return tuple(r[5:] for r in self.resources if r.startswith("host:"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "after": list(self.after),
            "resources": list(self.resources),
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
    resources: tuple[Resource, ...]  # sorted by id
    tasks: tuple[Task, ...]  # sorted by id
    notes: tuple[str, ...] = ()  # what the workspace holds that no task runs, and why
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
            "resources": [r.as_dict() for r in self.resources],
            "tasks": [t.as_dict() for t in self.tasks],
            "notes": list(self.notes),
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
                resources=tuple(
                    Resource(r["id"], r["kind"], r["name"], int(r["capacity"]), tuple(r["members"]))
                    for r in doc["resources"]
                ),
                tasks=tuple(
                    Task(t["id"], t["kind"], tuple(t["after"]), tuple(t["resources"]), bool(t["delayed"]), t["action"])
                    for t in doc["tasks"]
                ),
                notes=tuple(str(n) for n in doc["notes"]),
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

    @property
    def groups(self) -> tuple[Resource, ...]:
        """The server groups among the resources."""
        return tuple(r for r in self.resources if r.kind == "group")

    def run_order(self) -> list[Task]:
        """A topological order; among ready tasks by kind rank (bridge, pipe, profile, ndex), then id."""
        by_id = self._by_id
        kinds = tasks.registry()

        def rank(i: str) -> int:
            k = kinds.get(by_id[i].kind)
            return k.rank if k is not None else 99

        return [by_id[i] for i in graph.order(self.edges, key=rank)]

    def select(self, only: Iterable[str], *, with_deps: bool = False) -> Plan:
        """The plan restricted to `only` (and what they need, with `with_deps`)."""
        wanted = list(only)
        unknown = [w for w in wanted if w not in self._by_id]
        if unknown:
            raise UsageError(f"no task {unknown[0]!r} in the plan", hint="see the task ids with: ferryman plan")
        keep = graph.with_dependencies(self.edges, wanted) if with_deps else set(wanted)
        kept = tuple(
            dataclasses.replace(t, after=tuple(a for a in t.after if a in keep)) for t in self.tasks if t.id in keep
        )
        resources = tuple(
            dataclasses.replace(r, members=tuple(m for m in r.members if m in keep)) for r in self.resources
        )
        return dataclasses.replace(self, tasks=kept, resources=tuple(r for r in resources if r.members))

    def input_at(self, path: str) -> str | None:
        """The input (as the plan names it) that writing a file at `path` would overwrite: an
        input file or a pipe script (the same file, through any link), or a copy-plan folder a
        new `*.json` there would join. None when `path` touches no input (docs/plan.md)."""
        kinds = tasks.registry()
        named = [i.path for i in self.inputs]
        named += [p for t in self.tasks if t.kind in kinds for p in kinds[t.kind].reads(t.action)]
        folder = os.path.dirname(os.path.abspath(path))
        for rel in named:
            full = rel if os.path.isabs(rel) else os.path.join(self.root, rel)
            if rel.endswith("/"):
                if path.endswith(".json") and _same_file(folder, full):
                    return rel
            elif _same_file(path, full):
                return rel
        return None

    def stale_inputs(self) -> list[str]:
        """Inputs whose content changed since the plan was compiled (or that are gone); a folder
        input (`copy-plans/`) changes when a plan file is added or removed."""
        changed = []
        for i in self.inputs:
            full = os.path.join(self.root, i.path)
            try:
                gone = not (os.path.isdir(full) if i.path.endswith("/") else os.path.isfile(full))
                if gone or sha256_input(full) != i.sha256:
                    changed.append(i.path)
            except OSError:
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


def compile(ws: Workspace, *, include_delayed: bool = False) -> Plan:
    """Compile the IR into a Plan. Pure: reads no file (the inputs' hashes are made when the plan
    records them, from the bytes that were checked: `ir.InputFile`).

    Raises GraphError when the task graph is unusable (see `taskgraph.build`), FerrymanError when
    the workspace's folder name is not UTF-8 (a plan is JSON text: it records paths as UTF-8)."""
    try:
        ws.root.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(ws.root).decode("utf-8", "backslashreplace")
        raise FerrymanError(f"the workspace folder {shown} has a name that is not UTF-8: a plan records "
                            "paths as UTF-8 text", hint="rename or move the folder to a UTF-8 name") from None
    shape = taskgraph.build(ws)
    if shape.problems:
        raise GraphError(list(shape.problems))
    return Plan(
        workspace=ws.name,
        root=ws.root,
        manifest=ws.manifest,
        state_dir=ws.state_dir,
        inputs=ws.inputs,
        max_parallel=ws.max_parallel,
        per_host_limit=ws.per_host_limit,
        include_delayed=include_delayed,
        resources=tuple(Resource(r.id, r.kind, r.name, r.capacity, r.members) for r in shape.resources),
        tasks=tuple(
            Task(tid, kind, shape.after[tid], shape.holds[tid], spec.delayed, spec.action)
            for tid, (kind, spec) in sorted(shape.specs.items())
        ),
        notes=tuple(tasks.notes(ws)),
    )


MAX_PLAN_BYTES = 1 << 30  # a plan of 12,000 tasks is about 10 MB


def load_plan(path: str) -> Plan:
    """Read and verify a saved plan. Raises UsageError when it cannot be read, FerrymanError when
    it is not a ferryman plan (not UTF-8 JSON, another format version, a digest that does not match)."""
    from .loaders import read_regular

    try:
        data = read_regular(path, MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read plan {path}: {exc.strerror}") from None
    if len(data) > MAX_PLAN_BYTES:
        raise FerrymanError(f"{path}: not a ferryman plan file: larger than {MAX_PLAN_BYTES >> 20} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FerrymanError(f"{path}: not a ferryman plan file: not UTF-8 (byte {exc.start + 1})") from None
    return Plan.from_json(text)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one of them does not exist (or holds NUL): not one file
        return False
