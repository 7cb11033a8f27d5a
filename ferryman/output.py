"""Result output formats of `validate`, `plan`, `gff-check` and `run`: `text`, `json`, `github`.

One module, so that every command's `--format` means the same (docs/validate.md, docs/gff.md,
docs/run.md):

* `text`: for people; the located lines of a finding, or the run summary.
* `json`: one JSON document on stdout, for programs.
* `github`: GitHub Actions workflow commands on stdout (`::error file=…,line=…,col=…::…`), which a
  workflow run shows as annotations on the lines of the pull request.

Findings are `Diagnostic`s (path, 1-based line and column, severity, code, message) whatever found
them: the compiler's checks, or the GFF checker's errors and warnings (`gff_findings`).
This module sits above the compiler and the runtime: it imports both, neither imports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ferryman.compiler.diagnostics import Diagnostic
    from ferryman.runtime.gff import GffResult
    from ferryman.runtime.journal import RunSummary

FORMATS = ("text", "json", "github")
"""The names `--format` accepts (plan adds its own views: dot, mermaid)."""

GFF_ERROR = "GFF001"  # the stream is not valid GFF (docs/gff.md, "What is valid")
GFF_WARNING = "GFF002"  # legal but unusual (docs/gff.md): a CDS on both strands
GFF_UNREADABLE = "GFF003"  # the file could not be read at all


# ------------------------------------------------------------------ GitHub workflow commands


def _escape_data(text: str) -> str:
    # GitHub's toolkit (actions/toolkit, command.ts escapeData): % first, then CR and LF
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # a property value also escapes the characters that separate properties (escapeProperty)
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(command: str, message: str, **properties: str | int) -> str:
    """One workflow command line, e.g. `::error file=a.json,line=3,col=5::message`, without the
    newline. `command` is error, warning or notice; properties keep the order given.

    Escaping follows GitHub's own toolkit: in the message `%`, CR and LF; in property values
    those and `:` and `,`.
    """
    props = ",".join(f"{name}={_escape_property(str(value))}" for name, value in properties.items())
    return f"::{command}{' ' + props if props else ''}::{_escape_data(message)}"


# ------------------------------------------------------------------ findings


def finding_json(d: Diagnostic) -> dict[str, object]:
    """A finding as the JSON object of `--format json` (docs/validate.md)."""
    from ferryman.compiler.diagnostics import format_json_path

    return {
        "path": d.path,
        "line": d.line,
        "col": d.col,
        "severity": d.severity.value,
        "code": d.code,
        "message": d.message,
        "json_path": format_json_path(d.json_path) if d.json_path else None,
        "hint": d.hint,
    }


def finding_github(d: Diagnostic) -> str:
    """A finding as one `::error` or `::warning` annotation on its line (line and column >= 1)."""
    message = f"[{d.code}] {d.message}"
    if d.hint:
        message += f" (hint: {d.hint})"
    return github_command("error" if d.is_error else "warning", message,
                          file=d.path, line=max(d.line, 1), col=max(d.col, 1))


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.col, d.code)


def render_findings(diagnostics: Sequence[Diagnostic], fmt: str, *, files_checked: int) -> str:
    """A batch of findings in format `fmt` (text, json or github), ordered by file and position.

    text: `Diagnostic.text()` per finding; json: one document with `valid`, `files` (how many were
    checked), `errors`, `warnings` and `diagnostics`; github: one annotation per finding.
    """
    ordered = sorted(diagnostics, key=_sort_key)
    if fmt == "json":
        errors = sum(1 for d in ordered if d.is_error)
        doc = {
            "valid": errors == 0,
            "files": files_checked,
            "errors": errors,
            "warnings": len(ordered) - errors,
            "diagnostics": [finding_json(d) for d in ordered],
        }
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "github":
        return "".join(finding_github(d) + "\n" for d in ordered)
    return "".join(d.text() + "\n" for d in ordered)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def summary_line(diagnostics: Iterable[Diagnostic], files_checked: int) -> str:
    """`ok: 3 files valid`, or `1 error, 2 warnings in 3 files` (text format, after the findings)."""
    ds = list(diagnostics)
    errors = sum(1 for d in ds if d.is_error)
    files = _plural(files_checked, "file")
    if not ds:
        return f"ok: {files} valid"
    return f"{_plural(errors, 'error')}, {_plural(len(ds) - errors, 'warning')} in {files}"


# ------------------------------------------------------------------ GFF files


class GffOutcome(NamedTuple):
    """One file given to `gff-check`: the path as shown, its result, or why it could not be read."""

    path: str
    result: GffResult | None
    read_error: str | None = None

    @property
    def valid(self) -> bool:
        return self.read_error is None and self.result is not None and self.result.valid


def gff_findings(outcome: GffOutcome) -> list[Diagnostic]:
    """The checker's errors (GFF001) and warnings (GFF002) of one file as located findings at
    column 1, by line, errors before warnings on the same line; an unreadable file is one GFF003
    at line 0 (it names no line)."""
    r = outcome.result
    if r is not None and not r.errors and not r.warnings:
        return []  # before the import: a valid file's check need not load the compiler (~20 ms)
    from ferryman.compiler.diagnostics import Diagnostic, Severity

    if r is None:
        return [Diagnostic(outcome.path, 0, 0, Severity.ERROR, GFF_UNREADABLE, outcome.read_error or "cannot read")]
    found = [(e.line, 0, e.message) for e in r.errors] + [(w.line, 1, w.message) for w in r.warnings]
    return [
        Diagnostic(outcome.path, line, 1, Severity.WARNING if warn else Severity.ERROR,
                   GFF_WARNING if warn else GFF_ERROR, message)
        for line, warn, message in sorted(found)
    ]


def _hidden(r: GffResult) -> int:
    return r.error_count - len(r.errors)


def _gff_text(outcome: GffOutcome, findings: list[Diagnostic], max_errors: int) -> str:
    # the short form of compilers and gt: `path:LINE: message`, `path:LINE: warning: message`
    if outcome.read_error is not None:
        return f"{outcome.path}: {outcome.read_error}\n"
    out = [f"{d.path}:{d.line}: {'' if d.is_error else 'warning: '}{d.message}\n" for d in findings]
    if outcome.result is not None and outcome.result.truncated:
        hidden = _hidden(outcome.result)
        out.append(f"{outcome.path}: {_plural(hidden, 'more error')} not shown (--max-errors {max_errors})\n")
    return "".join(out)


def _gff_json(outcome: GffOutcome) -> dict[str, object]:
    r = outcome.result
    if r is None:
        return {"path": outcome.path, "valid": False, "read_error": outcome.read_error}
    return {
        "path": outcome.path,
        "valid": r.valid,
        "version": r.version,
        "lines": r.lines,
        "error_count": r.error_count,
        "truncated": r.truncated,
        "errors": [{"line": e.line, "message": e.message} for e in r.errors],
        "warnings": [{"line": w.line, "message": w.message} for w in r.warnings],
    }


def _gff_github(outcome: GffOutcome, findings: list[Diagnostic], max_errors: int) -> str:
    if outcome.read_error is not None:
        return github_command("error", f"[{GFF_UNREADABLE}] {outcome.read_error}", file=outcome.path) + "\n"
    out = [finding_github(d) + "\n" for d in findings]
    if outcome.result is not None and outcome.result.truncated:
        hidden = _hidden(outcome.result)
        out.append(github_command("error", f"[{GFF_ERROR}] {_plural(hidden, 'more error')} not shown "
                                  f"(--max-errors {max_errors})", file=outcome.path) + "\n")
    return "".join(out)


def gff_summary_line(outcomes: Sequence[GffOutcome]) -> str:
    """`ok: 2 files valid`, or `3 errors in 1 of 2 files` (every error counted, shown or not)."""
    files = _plural(len(outcomes), "file")
    failed = sum(1 for o in outcomes if not o.valid)
    if not failed:
        return f"ok: {files} valid"
    errors = sum(o.result.error_count if o.result is not None else 1 for o in outcomes)
    return f"{_plural(errors, 'error')} in {failed} of {files}"


def render_gff(outcomes: Sequence[GffOutcome], fmt: str, *, max_errors: int) -> str:
    """The findings of `gff-check` in format `fmt` (docs/gff.md); text has no summary line
    (`gff_summary_line`). json: `{"valid": …, "files": [{path, valid, version, lines, error_count,
    truncated, errors, warnings} or {path, valid, read_error}]}`, errors and warnings as
    `{line, message}`; github: one annotation per finding, plus one per file for the errors
    `--max-errors` left out."""
    if fmt == "json":
        files = [_gff_json(o) for o in outcomes]
        return json.dumps({"valid": all(o.valid for o in outcomes), "files": files}, indent=2) + "\n"
    render = _gff_github if fmt == "github" else _gff_text
    return "".join(render(o, gff_findings(o), max_errors) for o in outcomes)


# ------------------------------------------------------------------ runs


def run_json(run: RunSummary) -> dict[str, Any]:
    """The result of a run as the JSON object of `run --format json` (docs/run.md): the run-end
    event (`event`, `run`, `status`, `counts`) with the workspace, the Unix times it started and
    ended, and per task its status, duration (seconds or null), warning, error, output and details.
    What it holds comes from the journal, which the run's redaction filter has already passed."""
    tasks = []
    for t in sorted(run.tasks.values(), key=lambda t: t.id):
        duration = t.duration_s
        tasks.append({
            "id": t.id,
            "status": str(t.status),
            "duration_s": round(duration, 6) if duration is not None else None,
            "message": t.message or None,
            "warning": t.warning,
            "error": t.error,
            "output": t.output,
            "details": [dict(d) for d in t.details],
        })
    return {"event": "run-end", "run": run.run_id, "status": run.status, "workspace": run.workspace,
            "started": run.started, "ended": run.ended, "counts": run.counts(), "tasks": tasks}


def run_github(run: RunSummary) -> str:
    """One `::error title=TASK::message` annotation per failed task (a task names no file line);
    the task's warning (a script's last stderr line) follows the error on a second line, as in
    the text summary. Skipped dependants are not annotated: the root cause is named once."""
    out = []
    for t in sorted((t for t in run.tasks.values() if t.status == "failed"), key=lambda t: t.id):
        message = (t.error or "failed") + (f"\nwarning: {t.warning}" if t.warning else "")
        out.append(github_command("error", message, title=t.id) + "\n")
    return "".join(out)


def render_run(run: RunSummary, fmt: str) -> str:
    """The result of a run in format `fmt`: text is the summary `runs show` prints too; json one
    line (the last line of the `--log-format json` event stream); github the failed tasks."""
    if fmt == "json":
        return json.dumps(run_json(run), ensure_ascii=False, sort_keys=True) + "\n"
    if fmt == "github":
        return run_github(run)
    from ferryman.runtime.report import render_summary

    return render_summary(run)
