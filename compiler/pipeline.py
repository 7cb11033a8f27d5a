"""The phases in order: load and check -> IR -> task graph / plan. Validation of a workspace ends
with the task-graph checks (PL701-703) of the compiler, so `ferryman validate` and `ferryman plan`
agree on the task ids: both come from `compiler.tasks.specs`.

This module is the only one that runs several phases; each phase imports only earlier ones.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable

from . import ir, taskgraph
from .diagnostics import Diagnostic
from .dialects import detect
from .loaded import LoadedWorkspace
from .loaders import read
from .validate import check_file, expand, load_workspace


@dataclasses.dataclass
class Report:
    """What validation found: every diagnostic, and how many files were checked."""

    diagnostics: list[Diagnostic]
    files: int

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


def graph_problems(ws: LoadedWorkspace) -> list[Diagnostic]:
    """The task-graph diagnostics of a valid workspace (located in its manifest)."""
    assert ws.manifest is not None
    shape = taskgraph.build(ir.build(ws))
    return taskgraph.diagnostics(ws.manifest, shape.problems) if shape.problems else []


def workspace_report(ws: LoadedWorkspace) -> Report:
    """Every diagnostic of a loaded workspace; the graph checks run once its files are valid."""
    diags = list(ws.diagnostics)
    if ws.ok and ws.manifest is not None:
        diags.extend(graph_problems(ws))
    return Report(diags, len(ws.files))


def validate_workspace(manifest: str) -> Report:
    """Every file of the workspace, then (when they are valid) the task graph they compile to."""
    return workspace_report(load_workspace(manifest))


def validate_paths(paths: Iterable[str], kind: str | None = None, *, skip_unknown: bool = False) -> Report:
    """Validate loose files and directories. A directory's unrecognized files are skipped; a
    `ferryman.toml` found in a directory is checked as a workspace, with the files it names."""
    found = list(expand(paths))
    diags: list[Diagnostic] = []
    files = 0
    seen: set[str] = set()
    if kind is None:
        for path, explicit in found:
            if not explicit and os.path.basename(path) == "ferryman.toml":
                ws = load_workspace(path)
                seen.update(os.path.realpath(f) for f in ws.files)
                report = workspace_report(ws)
                diags.extend(report.diagnostics)
                files += report.files
    cwd = os.getcwd()  # once for the run: messages show paths relative to it
    for path, explicit in found:
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        raw = None
        if (skip_unknown or not explicit) and kind is None:
            raw = read(path, path)
            if raw.text is None or detect(path, raw.text) is None:
                continue
        checked = check_file(path, kind, raw=raw, cwd=cwd)
        diags.extend(checked.diagnostics)
        files += 1
    return Report(diags, files)
