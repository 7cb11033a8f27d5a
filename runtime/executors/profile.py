"""IDTrack profile tasks: flip the planned Include values of the template and write the output atomically."""

from __future__ import annotations

from ferryman.compiler.plan import Task
from ferryman.compiler.profiles import Flip, render_modified

from ..files import atomic_write
from ..scheduler import TaskOutcome
from . import RunContext


def run_profile(task: Task, ctx: RunContext) -> TaskOutcome:
    a = task.action
    try:
        with open(ctx.path(a["template"]), encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        return TaskOutcome(False, f"cannot read template {a['template']}: {exc.strerror}")
    flips = [Flip(f["form"], f["database"], f["assembly"], not f["include"], f["include"]) for f in a["flips"]]
    atomic_write(ctx.path(a["output"]), render_modified(text, flips, organism=a["organism"]))
    on = sum(1 for f in flips if f.after)
    return TaskOutcome(True, f"wrote {a['output']} ({on} on, {len(flips) - on} off)")
