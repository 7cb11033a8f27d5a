"""Whether the compiled fast path (`_scan`, runtime/gff/_scan.c) is in use, and why not.

The extension is built by `pip install` (setup.py). It is used unless it failed to build or
import, or the environment sets `FERRYMAN_GFF_NATIVE=0` (the pure-Python path, for comparison
and debugging; docs/gff.md, "Speed"). `python -m ferryman.runtime.gff` prints the path in use.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["AVAILABLE", "REASON", "loaded", "module", "path_in_use"]

_module: ModuleType | None
try:
    from . import _scan
except ImportError as exc:  # not built (no C compiler at install time) or built for another Python
    _module = None
    REASON = f"the C extension ferryman.runtime.gff._scan cannot be imported ({exc})"
else:
    from .gff3 import parent_sign

    _scan.configure(parent_sign)  # multi-Parent signs must be the reference's
    _module = _scan
    REASON = ""

AVAILABLE = _module is not None


def _why_not() -> str:
    if _module is None:
        return REASON
    return "FERRYMAN_GFF_NATIVE=0" if os.environ.get("FERRYMAN_GFF_NATIVE", "") == "0" else ""


def module() -> ModuleType | None:
    """The extension module when it is to be used by default (read at each checker's start), else None."""
    return None if _why_not() else _module


def loaded() -> ModuleType:
    """The extension module whatever the environment says; ImportError when it is not built."""
    if _module is None:
        raise ImportError(REASON)
    return _module


def path_in_use() -> str:
    """One line naming the GFF3 fast path a default `GffChecker` uses."""
    why = _why_not()
    if _module is not None and not why:
        return f"compiled (C extension {_module.__file__})"
    return f"pure Python ({why})"
