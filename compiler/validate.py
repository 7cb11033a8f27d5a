"""Validation: load every input, check it against its schema and rules, collect every diagnostic.

`load_workspace` is also the compiler's entry point: the IR is built only from what it returns.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from typing import Any

from . import schemas
from .diagnostics import Diagnostic
from .document import Document, Findings
from .kinds import KINDS, Kind, detect, is_candidate
from .loaders import IO_UNKNOWN_KIND, RawText, file_diagnostic, read
from .paths import below


def display_path(path: str) -> str:
    """Paths in messages: relative to the current folder when below it, else as given."""
    return below(os.path.abspath(path), os.getcwd()) or path


@dataclasses.dataclass
class Checked:
    """One file after loading and checking."""

    kind: Kind | None
    doc: Document | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.doc is not None and not any(d.is_error for d in self.diagnostics)


def check_document(doc: Document, kind: Kind) -> list[Diagnostic]:
    findings = Findings(doc)
    if kind.schema:
        schemas.check(doc, kind.schema, findings)
    kind.check(doc, findings)
    return findings.items


def check_file(path: str, kind: str | Kind | None = None, *, raw: RawText | None = None) -> Checked:
    """Load and check one file (`raw`, when the caller has read it already)."""
    display = display_path(path)
    if raw is None or raw.text is None:
        raw = read(path, display)
    text, diags = raw.text, raw.diagnostics
    if text is None:
        return Checked(None, None, diags)
    k = KINDS[kind] if isinstance(kind, str) else kind
    if k is None:
        k = detect(path, text)
    if k is None:
        msg = "cannot tell what kind of file this is"
        return Checked(None, None, [file_diagnostic(display, IO_UNKNOWN_KIND, msg)])
    result = k.load(text, display, os.path.abspath(path))
    if result.doc is not None:
        result.doc.sha256 = raw.sha256
    if result.doc is None:
        return Checked(k, None, result.diagnostics)
    return Checked(k, result.doc, result.diagnostics + check_document(result.doc, k))


def expand(paths: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Files named directly (True) and candidate files found under directories (False)."""
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    full = os.path.join(root, f)
                    if is_candidate(full):
                        yield full, False
        else:
            yield p, True


@dataclasses.dataclass
class Report:
    diagnostics: list[Diagnostic]
    files: int

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


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
        checked = check_file(path, kind, raw=raw)
        diags.extend(checked.diagnostics)
        files += 1
    return Report(diags, files)


def validate_workspace(manifest: str) -> Report:
    """Every file of the workspace, then (when they are valid) the task graph they compile to."""
    return workspace_report(load_workspace(manifest))


def workspace_report(ws: LoadedWorkspace) -> Report:
    from .rules.workspace import graph_check

    diags = list(ws.diagnostics)
    if ws.ok:
        diags.extend(graph_check(ws))
    return Report(diags, len(ws.files))


@dataclasses.dataclass
class LoadedWorkspace:
    """A manifest and every file it points at, loaded and checked."""

    manifest_path: str
    manifest: Document | None
    files: dict[str, Checked]  # absolute path -> result, in manifest order
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def root(self) -> str:
        return os.path.dirname(os.path.abspath(self.manifest_path))

    def data(self, path: str) -> Any:
        c = self.files.get(path)
        return c.doc.data if c and c.doc else None


def load_workspace(manifest: str) -> LoadedWorkspace:
    """Load the manifest, then each input it names, with the cross-file rules of the workspace."""
    from .rules import workspace

    manifest = os.path.abspath(manifest)
    first = check_file(manifest, "manifest")
    ws = LoadedWorkspace(manifest, first.doc, {manifest: first}, list(first.diagnostics))
    if first.doc is None:
        return ws
    findings = Findings(first.doc)
    for ref in workspace.referenced_inputs(first.doc, findings):
        if ref.path in ws.files:
            continue
        checked = check_file(ref.path, ref.kind)
        ws.files[ref.path] = checked
        ws.diagnostics.extend(checked.diagnostics)
    workspace.check_cross_file(first.doc, ws, findings)
    ws.diagnostics.extend(findings.items)
    return ws
