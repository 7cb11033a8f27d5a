"""The HTML run report: one self-contained file rendered from a run's journal (docs/report.md).

`render(run)` lays the run out as a timeline with one lane per resource the run's tasks hold
(server groups, then hosts, as the run-start event recorded them) and one lane for the tasks that
hold none; each task is a bar in every lane it holds, placed by its start and end time and coloured
by its status. Below are the summary table and one folding block per task (its plan lines — the
command line of a pipe task —, duration, output, warning, error, and per-item details such as the
NDEx copy decisions). Layout is computed here; templates/report.html.j2 only draws it.

The file needs nothing else when opened: CSS and the few lines of script are inline, and its
Content-Security-Policy forbids every fetch. The journal is redacted when written (runtime/services.py
`Redactor`); every string from it is escaped again here by Jinja's HTML autoescaping.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from typing import Any

from .journal import RunSummary, summarize
from .status import TaskRecord

REPORT_NAME = "report.html"  # beside journal.jsonl in <state_dir>/runs/<run-id>/
NO_RESOURCE = ""  # the lane id of tasks that hold no resource
MIN_WIDTH_PCT = 0.4  # a bar never thinner than this share of the timeline, so instant tasks show
STATUS_ORDER = ("failed", "cancelled", "skipped", "succeeded", "running", "pending")


@dataclasses.dataclass(frozen=True)
class Bar:
    """One task drawn in one lane: left and width in percent of the run's time span, `row` the
    sub-row of the lane (bars that overlap in time sit on different rows)."""

    task: str
    anchor: str
    status: str
    left: float
    width: float
    row: int
    tip: str
    ran: bool  # False: never started (skipped, cancelled, pending) — drawn as a thin mark


@dataclasses.dataclass(frozen=True)
class Lane:
    id: str  # a resource id (`group:NAME`, `host:NAME`) or "" for tasks holding none
    kind: str  # group | host | none
    label: str
    rows: int
    bars: tuple[Bar, ...]


@dataclasses.dataclass(frozen=True)
class TaskView:
    id: str
    anchor: str
    status: str
    started: str
    duration: str
    resources: tuple[str, ...]
    lines: tuple[tuple[str, str], ...]
    output: str
    message: str  # what the executor said ("16 lines of GFF3", "3 copied, 2 skipped")
    warning: str
    error: str
    detail_columns: tuple[str, ...]
    detail_rows: tuple[tuple[str, ...], ...]


def _clock(t: float | None) -> str:
    if t is None:
        return ""
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def duration_text(seconds: float | None) -> str:
    """`0.42 s`, `12.3 s`, `4 min 05 s`, `2 h 03 min`; "" when unknown."""
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(round(seconds), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


def _lane_of(rid: str) -> tuple[str, str]:
    kind, _, name = rid.partition(":")
    if kind in ("group", "host") and name:
        return kind, f"{kind} {name}"
    return "other", rid


def _span(run: RunSummary) -> tuple[float, float]:
    times = [x for t in run.tasks.values() for x in (t.started, t.ended) if x is not None]
    t0 = min([run.started, *times] if run.started is not None else times, default=0.0)
    t1 = max([run.ended, *times] if run.ended is not None else times, default=t0)
    return t0, max(t1 - t0, 1e-3)


def _place(t: TaskRecord, t0: float, span: float, end_of_run: float) -> tuple[float, float, bool]:
    """(left %, width %, ran) of a task's bar."""
    if t.started is not None:
        end = t.ended if t.ended is not None else end_of_run
        left = (t.started - t0) / span * 100
        width = max((end - t.started) / span * 100, MIN_WIDTH_PCT)
        ran = True
    else:  # decided without running: a mark where it was decided
        at = t.ended if t.ended is not None else t0
        left, width, ran = (at - t0) / span * 100, MIN_WIDTH_PCT, False
    left = min(max(left, 0.0), 100.0 - MIN_WIDTH_PCT)
    return left, min(width, 100.0 - left), ran


def layout(run: RunSummary) -> tuple[list[Lane], list[TaskView]]:
    """The lanes of the timeline and the per-task views, in the order the report shows them."""
    t0, span = _span(run)
    ordered = sorted(run.tasks.values(), key=lambda t: (t.started if t.started is not None else float("inf"), t.id))
    anchors = {tid: f"task-{i}" for i, tid in enumerate(sorted(run.tasks), 1)}
    held = {tid: tuple(run.resources.get(tid, ())) for tid in run.tasks}
    lane_ids = sorted({r for rs in held.values() for r in rs}, key=lambda r: (_lane_of(r)[0] != "group", r))
    if any(not rs for rs in held.values()) or not lane_ids:
        lane_ids.append(NO_RESOURCE)
    lanes: list[Lane] = []
    for lid in lane_ids:
        members = [t for t in ordered if (lid in held[t.id]) or (lid == NO_RESOURCE and not held[t.id])]
        row_end: list[float] = []  # right edge (%) of the last bar on each row
        bars = []
        for t in members:
            left, width, ran = _place(t, t0, span, t0 + span)
            row = next((i for i, edge in enumerate(row_end) if edge <= left + 1e-9), len(row_end))
            if row == len(row_end):
                row_end.append(0.0)
            row_end[row] = left + width
            tip = f"{t.id} — {t.status}"
            if t.duration_s is not None:
                tip += f", {duration_text(t.duration_s)}"
            if t.warning:
                tip += f"\nwarning: {t.warning}"
            if t.error and t.status != "succeeded":
                tip += f"\n{t.error}"
            bars.append(Bar(t.id, anchors[t.id], str(t.status), round(left, 3), round(width, 3), row, tip, ran))
        kind, label = ("none", "no resource") if lid == NO_RESOURCE else _lane_of(lid)
        lanes.append(Lane(lid, kind, label, max(len(row_end), 1), tuple(bars)))
    views = []
    for t in sorted(run.tasks.values(), key=lambda t: (_status_rank(t.status), t.id)):
        columns: list[str] = []
        for d in t.details:
            columns += [str(k) for k in d if str(k) not in columns]
        rows = tuple(tuple(_cell(d.get(c)) for c in columns) for d in t.details)
        views.append(TaskView(
            id=t.id, anchor=anchors[t.id], status=str(t.status), started=_clock(t.started),
            duration=duration_text(t.duration_s), resources=held[t.id],
            lines=tuple(run.lines.get(t.id, ())), output=_cell(t.output), message=t.message or "",
            warning=t.warning or "",
            error=t.error or "", detail_columns=tuple(columns), detail_rows=rows,
        ))
    return lanes, views


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def _ticks(span: float, n: int = 5) -> list[tuple[float, str]]:
    return [(i * 100 / (n - 1), duration_text(span * i / (n - 1)) if i else "0 s") for i in range(n)]


@functools.cache
def _environment() -> Any:
    import jinja2

    from ferryman.compiler import packagedata

    def load(name: str) -> str:
        return packagedata.read_text("ferryman.templates", name)

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=True,  # every string from the journal is HTML-escaped, in text and attributes
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(run: RunSummary) -> str:
    """The report of one run as one HTML document (str)."""
    lanes, views = layout(run)
    t0, span = _span(run)
    counts = run.counts()
    total = run.ended - run.started if run.ended is not None and run.started is not None else None
    out: str = _environment().get_template("report.html.j2").render(
        run=run, lanes=lanes, tasks=views, ticks=_ticks(span), started=_clock(run.started or t0),
        duration=duration_text(total), counts=[(s, counts[s]) for s in sorted(counts, key=_status_rank)],
        statuses=STATUS_ORDER,
    )
    return out


def write_report(run_dir: str, path: str | None = None, *, summary: RunSummary | None = None) -> str | None:
    """Render the run in `run_dir` to `path` (default `<run_dir>/report.html`), atomically;
    `summary`: the run's journal already read (`journal.summarize(run_dir)`), else it is read here.

    Returns the path written, or None when there is no journal or the file could not be written
    (a full disk, a folder in the way): a report never changes how a run ended."""
    from .files import atomic_write

    target = path or os.path.join(run_dir, REPORT_NAME)
    if not os.path.isfile(os.path.join(run_dir, "journal.jsonl")):
        return None
    try:
        atomic_write(target, render(summary if summary is not None else summarize(run_dir)))
    except OSError:
        return None
    return target
