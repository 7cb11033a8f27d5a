"""Validation: load every input, check it against its schema and rules, collect every diagnostic.

`load_workspace` is also the compiler's entry point: the IR is built only from what it returns.
The task-graph checks of a valid workspace come later, from the compiler (`compiler.pipeline`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from . import defaults, schemas
from .diagnostics import Diagnostic
from .dialects import DIALECTS, Dialect, detect, is_candidate
from .document import Document, Findings
from .loaded import Checked, LoadedWorkspace
from .loaders import IO_UNKNOWN_KIND, RawText, file_diagnostic, read
from .paths import below
from .rules import workspace


def display_path(path: str) -> str:
    """Paths in messages: relative to the current folder when below it, else as given."""
    return below(os.path.abspath(path), os.getcwd()) or path


def check_document(doc: Document, dialect: Dialect) -> list[Diagnostic]:
    """The diagnostics of `doc` against its dialect's schema, then its rules."""
    findings = Findings(doc)
    if dialect.schema:
        schemas.check(doc, dialect.schema, findings)
    dialect.check(doc, findings)
    return findings.items


def _full_and_display(path: str, cwd: str) -> tuple[str, str]:
    """`os.path.abspath(path)` taking `cwd` as the current folder, and `display_path(path)`.

    A plain path (no `.`/`..` part, no doubled or trailing slash: the common case of thousands of
    files found under a folder or named by a manifest) is already normalized: a relative one is
    joined to `cwd` and is its own display path, an absolute one is its own full path; anything
    else goes the general way."""
    plain = path and not path.endswith(os.sep) and os.sep * 2 not in path
    if plain and os.sep + "." not in os.sep + path:
        if path.startswith(os.sep):
            return path, below(path, cwd) or path
        return cwd.rstrip(os.sep) + os.sep + path, path
    full = os.path.normpath(os.path.join(cwd, path))
    return full, below(full, cwd) or path


def check_file(
    path: str, kind: str | Dialect | None = None, *, raw: RawText | None = None, cwd: str | None = None
) -> Checked:
    """Load and check one file (`raw`, when the caller has read it already). `cwd` is the current
    folder when the caller knows it (found once for a run of thousands of files, not once each)."""
    full, display = _full_and_display(path, os.getcwd() if cwd is None else cwd)
    if raw is None or raw.text is None:
        raw = read(path, display)
    text, diags = raw.text, raw.diagnostics
    if text is None:
        return Checked(None, None, diags)
    k = DIALECTS[kind] if isinstance(kind, str) else kind
    if k is None:
        k = detect(path, text)
    if k is None:
        msg = "cannot tell what kind of file this is"
        return Checked(None, None, [file_diagnostic(display, IO_UNKNOWN_KIND, msg)])
    result = k.load(text, display, k.name, full)
    doc = result.doc
    if doc is None:
        return Checked(k, None, result.diagnostics)
    doc.read_from = raw.data
    found = check_document(doc, k)
    return Checked(k, doc, result.diagnostics + found if result.diagnostics else found)


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


def load_workspace(manifest: str) -> LoadedWorkspace:
    """Load the manifest, then each input it names, with the cross-file rules of the workspace.
    When the manifest itself is valid its schema's defaults are filled in (`compiler.defaults`)."""
    cwd = os.getcwd()
    manifest = os.path.abspath(manifest)
    first = check_file(manifest, "manifest", cwd=cwd)
    ws = LoadedWorkspace(manifest, first.doc, {manifest: first}, list(first.diagnostics))
    if first.doc is None:
        return ws
    findings = Findings(first.doc)
    for ref in workspace.referenced_inputs(first.doc, findings):
        if ref.path in ws.files:
            continue
        checked = check_file(ref.path, ref.kind, cwd=cwd)
        ws.files[ref.path] = checked
        ws.diagnostics.extend(checked.diagnostics)
    workspace.check_cross_file(first.doc, ws, findings)
    ws.diagnostics.extend(findings.items)
    if first.ok:
        defaults.apply(first.doc.data, schemas.schema("workspace"))
    return ws
