"""The records of loading: one checked file, and a workspace with every file it names.

They sit in their own module so that every later phase (the IR, the plan) can take them without
importing the phase that makes them (`validate`).
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic
from .document import Document

if TYPE_CHECKING:
    from .dialects import Dialect


@dataclasses.dataclass
class Checked:
    """One file after loading and checking."""

    dialect: Dialect | None
    doc: Document | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.doc is not None and not any(d.is_error for d in self.diagnostics)


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
