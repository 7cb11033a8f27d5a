"""IDTrack profile tasks: flip the planned Include values of the template and write the output atomically.

The output is checked again here although validate refuses the same workspaces (docs/formats.md,
"Profile outputs"): a saved plan run with --force-stale, or a symlink or hard link made after the
plan, must still never make a profile overwrite one of the workspace's inputs.
"""

from __future__ import annotations

import os
import stat

from ferryman.compiler.plan import Task
from ferryman.compiler.profiles import Flip, ProfileError, render_modified

from ..files import atomic_write
from ..scheduler import TaskOutcome
from . import RunContext


def run_profile(task: Task, ctx: RunContext) -> TaskOutcome:
    """Write the profile's output: the template with the planned flips applied, nothing else changed.

    Fails the task (never raises) when the output is an input of the workspace or not a regular
    file, when the template cannot be read or no longer matches the plan, or when the write fails.
    """
    a = task.action
    template, output = ctx.path(a["template"]), ctx.path(a["output"])
    clash = ctx.plan.input_at(output)  # the check `plan --out` and `export` use too
    if clash is not None:
        return TaskOutcome(False, f"refusing to write {a['output']}: it is {clash}, an input of the workspace")
    try:
        mode = os.stat(output).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        return TaskOutcome(False, f"refusing to write {a['output']}: it is {what}")
    try:
        # newline="": the text is rewritten in place, so CRLF line endings must reach it untranslated
        with open(template, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except OSError as exc:
        return TaskOutcome(False, f"cannot read template {a['template']}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        return TaskOutcome(False, f"cannot read template {a['template']}: it is not UTF-8 text")
    flips = [Flip(f["form"], f["database"], f["assembly"], not f["include"], f["include"]) for f in a["flips"]]
    try:
        modified = render_modified(text, flips, organism=a["organism"])
    except ProfileError as exc:
        return TaskOutcome(False, f"cannot apply the profile to {a['template']}: {exc} (compile the plan again)")
    try:
        atomic_write(output, modified)
    except OSError as exc:
        return TaskOutcome(False, f"cannot write {a['output']}: {exc.strerror or exc}")
    on = sum(1 for f in flips if f.after)
    return TaskOutcome(True, f"Include flips: {on} on, {len(flips) - on} off")  # the output is the task's
