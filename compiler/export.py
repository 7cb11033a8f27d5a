"""The plan as a Snakefile (`ferryman export snakemake`, docs/export.md). Pure: no file is read.

Every task becomes one rule whose shell command is `ferryman run PLAN --only ID --shared-lock`
followed by `touch` of its marker, so checking, journaling and atomic outputs stay ferryman's and the
marker (`<state_dir>/snakemake/<rule>.done`) exists only when the task succeeded. A task's `after`
edges become the markers of those tasks as its inputs; the plan file is an input of every rule, so
a newer plan runs every task again. Each resource becomes a Snakemake resource — a server group
`mutex_<name>`, a host `host_<name>` — that the rule claims once, with the capacity registered as
the workflow's global limit, which a plain `snakemake --cores N` honours (and a `--resources
NAME=N` on the command line overrides).
"""

from __future__ import annotations

import re
import shlex
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ferryman.errors import FerrymanError

from .paths import below
from .plan import Plan, Task

RESERVED_RULES = frozenset({"all"})
RESOURCE_PREFIX = {"group": "mutex_", "host": "host_"}
MARKER_DIR = "snakemake"  # under the state dir


def identifier(text: str) -> str:
    """`text` with every character outside [A-Za-z0-9_] replaced by `_` (maybe not unique)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def unique_identifiers(bases: Mapping[str, str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """key -> a Python identifier made from its base, distinct across keys and from `reserved`.

    A base used by one key only is kept as it is; keys that share a base (or hit a reserved name)
    each get `_` and 8 hex digits of their key's CRC-32, so the answer does not depend on order."""
    taken = set(reserved)
    users: dict[str, list[str]] = {}
    for key, base in bases.items():
        users.setdefault(base, []).append(key)
    out: dict[str, str] = {}
    for base, keys in users.items():
        if len(keys) == 1 and base not in taken and base.isidentifier():
            out[keys[0]] = base
    used = set(out.values()) | taken
    for base, keys in users.items():
        for key in keys:
            if key in out:
                continue
            name = f"{base}_{zlib.crc32(key.encode()) & 0xFFFFFFFF:08x}"
            if not name.isidentifier():
                name = "x_" + name
            n = 2
            while name in used:  # a CRC collision: practically never, but never a duplicate name
                name = f"{base}_{zlib.crc32(key.encode()) & 0xFFFFFFFF:08x}_{n}"
                n += 1
            out[key] = name
            used.add(name)
    return out


def rule_names(task_ids: Iterable[str]) -> dict[str, str]:
    """Task id -> rule name: `pipe:havana` -> `pipe_havana`."""
    return unique_identifiers({t: identifier(t) for t in task_ids}, RESERVED_RULES)


def resource_names(plan: Plan) -> dict[str, str]:
    """Resource id -> Snakemake resource name: `group:compute` -> `mutex_compute`,
    `host:127.0.0.1:8765` -> `host_127_0_0_1_8765`."""
    return unique_identifiers(
        {r.id: RESOURCE_PREFIX.get(r.kind, "res_") + identifier(r.name) for r in plan.resources}
    )


def exported_tasks(plan: Plan, *, include_delayed: bool = False) -> list[Task]:
    """The tasks the Snakefile runs: delayed ones only when asked (or the plan was compiled with
    them), as `ferryman run` chooses."""
    include = include_delayed or plan.include_delayed
    return [t for t in plan.run_order() if include or not t.delayed]


def _py(value: Any) -> str:
    """A Python literal for a str (or a list of them)."""
    return repr(value)


def snakefile(plan: Plan, plan_path: str, ferryman: Sequence[str], *, include_delayed: bool = False) -> str:
    """The Snakefile text. `plan_path` is the saved plan (absolute); `ferryman` the command that
    runs ferryman on the machines that run the rules (e.g. its absolute path). Raises
    FerrymanError when the plan or the state dir lies below a path with `{` or `}`."""
    from .render import templates

    chosen = exported_tasks(plan, include_delayed=include_delayed)
    ids = {t.id for t in chosen}
    names = rule_names(t.id for t in chosen)
    res_names = resource_names(plan)
    marker_dir = f"{plan.root.rstrip('/')}/{plan.state_dir.strip('/')}/{MARKER_DIR}"
    for path in (plan_path, marker_dir):
        if "{" in path or "}" in path:  # Snakemake file patterns have no escape for a literal brace
            raise FerrymanError(
                f"Snakemake cannot name a file whose path has a brace ({path}): it reads {{…}} as a wildcard",
                hint="move the workspace (and the saved plan) to a path without { or }",
            )
    markers = {t.id: f"{marker_dir}/{names[t.id]}.done" for t in chosen}
    run = " ".join(shlex.quote(x) for x in ferryman)
    rules = []
    for t in chosen:
        command = f"set -e; {run} run {shlex.quote(plan_path)} --only {shlex.quote(t.id)} --shared-lock"
        command += " --progress plain"
        # Snakemake formats a shell command with str.format: braces in a path are doubled, and the
        # marker is `{output:q}` (quoted by Snakemake), the local path even when a storage plugin
        # moves outputs (executors without a shared file system)
        command = command.replace("{", "{{").replace("}", "}}") + "; touch {output:q}"
        rules.append({
            "name": names[t.id],
            "task": _py(t.id),
            "inputs": [markers[a] for a in t.after if a in ids],
            "marker": markers[t.id],
            "resources": [res_names[r] for r in t.resources if r in res_names],
            "shell": command,
        })
    used = {r for rule in rules for r in rule["resources"]}
    limits = [
        {"name": res_names[r.id], "capacity": r.capacity, "id": _py(r.id)}
        for r in plan.resources if res_names[r.id] in used
    ]
    left_out = [t.id for t in plan.run_order() if t.id not in ids]
    text: str = templates().get_template("Snakefile.j2").render(
        plan=plan, plan_path=plan_path, plan_shown=below(plan_path, plan.root) or plan_path,
        rules=rules, limits=limits, left_out=left_out, marker_dir=marker_dir, py=_py,
    )
    return text
