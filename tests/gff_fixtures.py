"""Fixtures shared by the GFF tests: imported by each module that runs on both fast paths."""

from __future__ import annotations

import pytest

from ferryman.runtime.gff import native


@pytest.fixture(autouse=True, params=["compiled", "python"])
def gff_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs on both GFF3 fast paths: the compiled one and the pure-Python fallback."""
    if request.param == "compiled" and not native.AVAILABLE:
        pytest.fail(f"the compiled GFF path is not built: {native.REASON}")
    monkeypatch.setenv("FERRYMAN_GFF_NATIVE", "1" if request.param == "compiled" else "0")
    return str(request.param)
