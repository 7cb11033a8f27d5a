"""Diagnostics: one located finding, and the reporters that print a batch of them."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable, Sequence

from .secrets import mask_text

JsonPath = tuple[str | int, ...]


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


def format_json_path(path: JsonPath) -> str:
    """`("a", 0, "b-c")` -> `$.a[0]['b-c']`, the form printed after `(at …)`."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.replace("_", "a").isalnum() and not part[:1].isdigit():
            out.append(f".{part}")
        else:
            out.append("[" + json.dumps(part) + "]")
    return "".join(out)


@dataclasses.dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding. Ordered by file position so reports read top to bottom."""

    path: str
    line: int
    col: int
    severity: Severity = dataclasses.field(compare=False)
    code: str
    message: str
    json_path: JsonPath | None = dataclasses.field(default=None, compare=False)
    hint: str | None = dataclasses.field(default=None, compare=False)

    def __post_init__(self) -> None:
        # the last line of defence: whatever a rule quoted, no URL password reaches any output
        # (docs/formats.md, "Secrets in messages"); cheap when the text holds no `@` or `…`
        for name in ("message", "hint"):
            value = getattr(self, name)
            if value and ("@" in value or "…" in value):
                object.__setattr__(self, name, mask_text(value, query=False))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def text(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        line = f"{where}: {self.severity.value}[{self.code}]: {self.message}"
        if self.json_path:
            line += f" (at {format_json_path(self.json_path)})"
        if self.hint:
            line += f"\n  hint: {self.hint}"
        return line

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "json_path": format_json_path(self.json_path) if self.json_path else None,
            "hint": self.hint,
        }

    def github(self) -> str:
        kind = "error" if self.is_error else "warning"
        msg = f"[{self.code}] {self.message}"
        if self.hint:
            msg += f" (hint: {self.hint})"
        # GitHub workflow commands: %, CR and LF must be escaped in the message
        msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = (self.path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
                .replace(",", "%2C").replace(":", "%3A"))
        return f"::{kind} file={path},line={max(self.line, 1)},col={max(self.col, 1)}::{msg}"


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.col, d.code)


def render(diagnostics: Sequence[Diagnostic], fmt: str, *, files_checked: int) -> str:
    """Render a batch in one of the output formats (`text`, `json`, `github`)."""
    ordered = sorted(diagnostics, key=sort_key)
    errors = sum(1 for d in ordered if d.is_error)
    warnings = len(ordered) - errors
    if fmt == "json":
        doc = {
            "valid": errors == 0,
            "files": files_checked,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": [d.as_dict() for d in ordered],
        }
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "github":
        return "".join(d.github() + "\n" for d in ordered)
    return "".join(d.text() + "\n" for d in ordered)


def summary_line(diagnostics: Iterable[Diagnostic], files_checked: int) -> str:
    ds = list(diagnostics)
    errors = sum(1 for d in ds if d.is_error)
    warnings = len(ds) - errors
    files = f"{files_checked} file{'s' if files_checked != 1 else ''}"
    if not ds:
        return f"ok: {files} valid"
    return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''} in {files}"
