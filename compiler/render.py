"""Views of a Plan: text (for people), DOT and Mermaid (for drawings). Layout lives in templates/."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any, NamedTuple

from . import packagedata, tasks
from .plan import Plan

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


def _line(label: str, text: str) -> str:
    """A detail line of the text plan: `$ cmd`, `from   route`, or a continuation."""
    if not label:
        return text
    return f"{label} {text}" if len(label) == 1 else f"{label:<6} {text}"


class _Row(NamedTuple):
    """A task as the templates show it (attributes, not dict keys: Jinja tries getattr first, and a
    miss costs an exception; a named tuple: a plan has thousands)."""

    n: int
    id: str
    kind: str
    after: tuple[str, ...]
    groups: tuple[str, ...]
    hosts: tuple[str, ...]
    delayed: bool
    skipped: bool
    lines: list[str]


def context(plan: Plan, *, include_delayed: bool | None = None) -> dict[str, Any]:
    include = plan.include_delayed if include_delayed is None else include_delayed
    order = plan.run_order()
    registry = tasks.registry()
    counts = Counter(t.kind for t in plan.tasks)
    delayed = [t for t in plan.tasks if t.delayed]
    root = plan.root
    rows = [
        _Row(
            i,
            t.id,
            t.kind,
            t.after,
            t.groups,
            t.hosts,
            t.delayed,
            t.delayed and not include,
            [_line(label, text) for label, text in registry[t.kind].details(t.action, root)]
            if t.kind in registry
            else [],
        )
        for i, t in enumerate(order, 1)
    ]
    groups = plan.groups
    # DOT/Mermaid clusters: a task in several groups is drawn inside its first group's cluster
    first_group = {r.id: r.groups[:1] for r in rows}
    clusters = [(g, [m for m in g.members if first_group[m] == (g.name,)]) for g in groups]
    ranked = sorted(counts, key=lambda k: (registry[k].rank if k in registry else 99, k))
    return {
        "plan": plan,
        "digest": plan.digest,
        "kinds": [(k, counts[k]) for k in ranked],
        "total": len(plan.tasks),
        "delayed": len(delayed),
        "include_delayed": include,
        "tasks": rows,
        "groups": groups,
        "hosts": [r for r in plan.resources if r.kind == "host"],
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
