"""Views of a Plan: text (for people), DOT and Mermaid (for drawings). Layout lives in templates/."""

from __future__ import annotations

import functools
import shlex
from collections import Counter
from types import SimpleNamespace
from typing import Any

from . import packagedata
from .paths import below
from .plan import Plan, Task

LIST_LIMIT = 8  # items shown before a list collapses into "… and N more"


@functools.cache
def templates() -> Any:
    import jinja2

    def load(name: str) -> str:
        return packagedata.read_text("ferryman.templates", name)

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=False,  # plain text, DOT and Mermaid; values are quoted by the filters below
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["collapse"] = collapse
    env.filters["dot_id"] = lambda s: '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    env.filters["mmd_id"] = lambda s: "t_" + "".join(c if c.isalnum() else "_" for c in str(s)) + f"_{_h(s)}"
    env.filters["mmd_text"] = lambda s: '"' + str(s).replace('"', "#quot;") + '"'
    return env


def _h(s: object) -> str:
    import zlib

    return format(zlib.crc32(str(s).encode()) & 0xFFFF, "04x")


def collapse(items: Any, limit: int = LIST_LIMIT, sep: str = ", ") -> str:
    items = list(items)
    if len(items) <= limit:
        return sep.join(str(i) for i in items)
    return sep.join(str(i) for i in items[:limit]) + f"{sep}… and {len(items) - limit} more"


def shell_line(plan: Plan, task: Task) -> str:
    """A pipe task as a copyable shell line, run from the workspace root."""
    a = task.action
    cwd = below(a["cwd"], plan.root) or a["cwd"]
    rel = below(a["script"], a["cwd"])
    exe = "./" + rel if rel else a["script"]
    args = " ".join(shlex.quote(x) for x in a["argv"][1:])
    return f"(cd {shlex.quote(cwd)} && {shlex.quote(exe)}{' ' + args if args else ''})"


def _details(plan: Plan, task: Task) -> dict[str, Any]:
    a = task.action
    d: dict[str, Any] = {}
    if task.kind == "pipe":
        d["command"] = shell_line(plan, task)
        d["output"] = a["output"]
        d["timeout_s"] = a["timeout_s"]
        d["featuresets"] = a["featuresets"]
    elif task.kind == "ndex":
        d["source"] = f"{a['source']['route']} as {a['source']['username']} (password ***)"
        d["target"] = f"{a['target']['route']} as {a['target']['username']} (password ***)"
        sel = a["selection"]
        if "ids" in sel:
            d["selection"] = f"{len(sel['ids'])} network id{'s' if len(sel['ids']) != 1 else ''}: " + collapse(
                sel["ids"], 4
            )
        else:
            acct = f", administered by {sel['account']}" if sel.get("account") else ""
            d["selection"] = f"search {sel['query']!r}, at most {sel['limit']} networks{acct}"
        d["updates"] = (
            f"update out-of-date copies in place: {'yes' if a['update_target'] else 'no'}; "
            f"read-only copies: {'yes' if a['update_read_only'] else 'no'}"
        )
    elif task.kind == "profile":
        flips = a["flips"]
        on = [f for f in flips if f["include"]]
        off = [f for f in flips if not f["include"]]
        d["write"] = f"{a['output']} from {a['template']} ({a['organism']}, release {a['release']})"
        d["flips"] = f"Include flips: {len(on)} on, {len(off)} off"
        d["diff"] = [
            ("+" if f["include"] else "-") + f" {f['form']} / {f['database']} / {f['assembly']}" for f in flips
        ]
    elif task.kind == "bridge":
        d["check"] = f"SOCKS port 127.0.0.1:{a['socks_port']} listens (wait up to {a['wait_s']} s)"
    return d


def context(plan: Plan, *, include_delayed: bool | None = None) -> dict[str, Any]:
    include = plan.include_delayed if include_delayed is None else include_delayed
    order = plan.run_order()
    kinds = Counter(t.kind for t in plan.tasks)
    delayed = [t for t in plan.tasks if t.delayed]
    # attribute objects, not dicts: Jinja tries getattr first, and a miss costs an exception
    tasks = [
        SimpleNamespace(
            n=i,
            id=t.id,
            kind=t.kind,
            after=list(t.after),
            groups=list(t.groups),
            host=t.host,
            delayed=t.delayed,
            skipped=t.delayed and not include,
            details=SimpleNamespace(**_details(plan, t)),
        )
        for i, t in enumerate(order, 1)
    ]
    # DOT/Mermaid clusters: a task in several groups is drawn inside its first group's cluster
    clusters = [(g, [m for m in g.members if plan.task_groups(m)[:1] == (g.name,)]) for g in plan.groups]
    return {
        "plan": plan,
        "digest": plan.digest,
        "kinds": [(k, kinds[k]) for k in ("bridge", "pipe", "profile", "ndex") if kinds[k]],
        "total": len(plan.tasks),
        "delayed": len(delayed),
        "include_delayed": include,
        "tasks": tasks,
        "groups": plan.groups,
        "clusters": clusters,
        "limit": LIST_LIMIT,
    }


def render(plan: Plan, fmt: str, *, include_delayed: bool | None = None) -> str:
    """`text`, `dot`, `mermaid` or `json`."""
    if fmt == "json":
        return plan.to_json()
    template = {"text": "plan.txt.j2", "dot": "plan.dot.j2", "mermaid": "plan.mmd.j2"}[fmt]
    out: str = templates().get_template(template).render(**context(plan, include_delayed=include_delayed))
    return out
