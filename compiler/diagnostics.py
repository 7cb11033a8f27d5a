"""Diagnostics: one located finding and its line of text.

The output formats that print a batch of them (text, json, github) are in ferryman/output.py.
"""

from __future__ import annotations

import dataclasses
import enum
import json

from .secrets import mask_text

JsonPath = tuple[str | int, ...]


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


def format_json_path(path: JsonPath) -> str:
    """`("a", 0, "b-c")` -> `$.a[0]['b-c']`, the form printed after `(at …)`. A key holding a
    URL with a password (a YAML or JSON key is input too) has it masked, as messages do."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif "@" in part or "…" in part:
            out.append("[" + json.dumps(mask_text(part, query=False)) + "]")
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
        """`path:LINE:COL: error[CODE]: message (at $.json.path)`, then `  hint: …` on a second line."""
        where = f"{self.path}:{self.line}:{self.col}"
        line = f"{where}: {self.severity.value}[{self.code}]: {self.message}"
        if self.json_path:
            line += f" (at {format_json_path(self.json_path)})"
        if self.hint:
            line += f"\n  hint: {self.hint}"
        return line
