"""The run summary, rendered from a journal (after a run, and by `ferryman runs show`). Text from
scripts and inputs is shown with control characters escaped (`progress.printable`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .journal import RunSummary
from .progress import printable

ORDER = ("failed", "cancelled", "skipped", "succeeded", "running", "pending")


def item_line(d: Mapping[str, Any]) -> str:
    """One per-item record of a task (an NDEx network's decision) as one line."""
    if "decision" in d:
        target = f" -> {d['target_id']}" if d.get("target_id") else ""
        error = f" ({d['error']})" if d.get("error") else ""
        return f"{d.get('outcome', '?'):<9} {d.get('name') or '(no name)'} {d.get('source_id', '')}{target}: " \
               f"{d.get('reason', '')}{error}"
    return ", ".join(f"{k}={v}" for k, v in sorted(d.items()))


def render_summary(run: RunSummary) -> str:
    from ferryman.compiler.render import templates

    tasks = sorted(run.tasks.values(), key=lambda t: (ORDER.index(t.status) if t.status in ORDER else 9, t.id))
    rows: list[dict[str, Any]] = []
    causes: list[str] = []
    skipped_by: dict[str, list[str]] = {}
    for t in tasks:
        if t.status == "skipped" and t.error and t.error.startswith("because "):
            cause = t.error.removeprefix("because ").removesuffix(" failed")
            skipped_by.setdefault(cause, []).append(t.id)
    for t in tasks:
        if t.status == "succeeded":
            detail = " ".join(x for x in (t.output, t.message) if x)
        elif t.status == "skipped" and t.error and t.error.startswith("because "):
            detail = t.error  # the root cause is named once, below
        else:
            detail = t.error or ""
        rows.append({"id": printable(t.id), "status": t.status, "duration_s": t.duration_s, "detail": printable(detail),
                     "warning": printable(t.warning) if t.warning else None,
                     "items": [printable(item_line(d)) for d in t.details]})
        if t.status == "failed":
            line = f"{t.id}: {t.error or 'failed'}"
            if t.id in skipped_by:
                line += f" (skipped because of it: {', '.join(sorted(skipped_by[t.id]))})"
            causes.append(printable(line))
    counts = run.counts()
    count_line = ", ".join(f"{counts[s]} {s}" for s in ORDER if counts.get(s))
    duration = run.ended - run.started if run.ended is not None and run.started is not None else None
    out: str = templates().get_template("run.txt.j2").render(
        run=run, tasks=rows, width=max((len(r["id"]) for r in rows), default=4), counts=count_line or "no tasks",
        causes=causes, duration=duration,
    )
    return out
