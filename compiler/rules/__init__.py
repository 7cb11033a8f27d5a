"""Semantic rules, one module per dialect (zmap, styles, ndex, idtrack) plus the workspace.

Every code a rule can report is declared with `define()` at the top of its module, so the full
catalogue is `ferryman.compiler.document.CODES` once `all_codes()` has imported them all.
Rules run after the schema check and on the same data, so they must tolerate data that failed
the schema (check types before use) and report each problem once.
"""

from __future__ import annotations

import importlib

from ..document import CODES, Code

MODULES = ("workspace", "zmap", "styles", "ndex", "idtrack")


def all_codes() -> dict[str, Code]:
    """Every diagnostic code, loaders' and schema's included."""
    from .. import schemas  # noqa: F401  (defines SC100)
    from ..loaders import gkeyfile  # noqa: F401

    for m in MODULES:
        importlib.import_module(f"{__name__}.{m}")
    return dict(sorted(CODES.items()))
