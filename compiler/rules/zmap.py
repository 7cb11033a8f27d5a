"""Semantic rules for the zmap dialect (DESIGN 2.x)."""

from __future__ import annotations

from ..document import Document, Findings


def check(doc: Document, findings: Findings) -> None:
    """Report every rule violation in `doc`."""
