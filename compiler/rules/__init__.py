"""Semantic rules, one module per dialect (zmap, styles, ndex, idtrack) plus the workspace.

Every code a rule can report is declared with `define()` at the top of its module, so the full
catalogue is `ferryman.compiler.document.CODES` once `ferryman.compiler.codes.all_codes()` has
imported them all.
Rules run after the schema check and on the same data, so they must tolerate data that failed
the schema (check types before use) and report each problem once.
"""

from __future__ import annotations

MODULES = ("workspace", "zmap", "styles", "ndex", "idtrack")
