"""A loaded input file, the catalogue of diagnostic codes, and the collector rules report into.

Loaders parse with the fast parser and hand back a `Document` whose `locate` recovers the
file position of any value only when something is reported about it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from .diagnostics import Diagnostic, JsonPath, Severity

Locator = Callable[[JsonPath], tuple[int, int]]


@dataclasses.dataclass(frozen=True)
class Code:
    """A stable diagnostic code: what it means and the default hint that comes with it."""

    code: str
    severity: Severity
    title: str
    hint: str | None = None


CODES: dict[str, Code] = {}


def define(code: str, severity: str, title: str, hint: str | None = None) -> Code:
    """Register a code once, at import time of the module that owns the rule."""
    if code in CODES:
        raise ValueError(f"diagnostic code {code} defined twice")
    c = Code(code, Severity(severity), title, hint)
    CODES[code] = c
    return c


@dataclasses.dataclass
class Document:
    """One input file after loading: its data in normalized form and a way back to positions."""

    path: str  # as displayed in messages
    kind: str
    data: Any
    text: str
    locator: Locator | None = None
    fs_path: str | None = None  # real path on disk, for rules that look at neighbouring files
    # the bytes the text was decoded from (None when not read from a file), for `sha256`
    read_from: bytes | None = dataclasses.field(default=None, repr=False, compare=False)
    # what later phases read from `data` once per document (e.g. `zmapconfig.sources`); `data`
    # does not change after loading, except a manifest's filled-in defaults
    cache: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @functools.cached_property
    def sha256(self) -> str:
        """The sha256 of the bytes the data was read from, in hex ("" when not read from a file).

        The plan records it (`compiler.ir`); validation alone never asks, so it is computed when
        first asked, from the bytes kept in `read_from` (docs/formats.md, "Checking thousands of
        plans")."""
        import hashlib  # not imported by validation, which hashes nothing

        return "" if self.read_from is None else hashlib.sha256(self.read_from).hexdigest()

    def locate(self, path: JsonPath) -> tuple[int, int]:
        if self.locator is None:
            return (1, 1)
        try:
            return self.locator(path)
        except (KeyError, IndexError, ValueError, TypeError):
            return (1, 1)


class Findings:
    """Collects the diagnostics for one document; positions are resolved when reported."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.items: list[Diagnostic] = []

    def report(
        self,
        code: Code,
        message: str,
        at: JsonPath | Position = (),
        *,
        hint: str | None = None,
        json_path: JsonPath | None = None,
        severity: Severity | None = None,
    ) -> None:
        """Report `code` at a JSON path of the document, or at an explicit `Position`."""
        if isinstance(at, Position):
            line, col = at
            jp = json_path
        else:
            line, col = self.doc.locate(at)
            jp = json_path if json_path is not None else (at or None)
        self.items.append(
            Diagnostic(
                path=self.doc.path,
                line=line,
                col=col,
                severity=severity or code.severity,
                code=code.code,
                message=message,
                json_path=jp,
                hint=hint if hint is not None else code.hint,
            )
        )


class Position(tuple[int, int]):
    """An explicit (line, col) for `Findings.report`, as opposed to a JSON path of two indexes."""

    __slots__ = ()

    def __new__(cls, line: int, col: int) -> Position:
        return super().__new__(cls, (line, col))


def strings(root: Any) -> list[tuple[JsonPath, str]]:
    """Every string value under `root` with its path, in document order."""
    out: list[tuple[JsonPath, str]] = []
    stack: list[tuple[JsonPath, Any]] = [((), root)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            out.append((path, value))
        elif isinstance(value, dict):
            stack.extend(((*path, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(value))))
    return out
