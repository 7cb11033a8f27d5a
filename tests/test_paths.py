"""`below`: the cheap relative path used by plans and messages agrees with os.path.relpath."""

from __future__ import annotations

import os

import pytest

from ferryman.compiler.paths import below


@pytest.mark.parametrize(
    ("path", "folder", "expected"),
    [
        ("/ws/zmap/scripts/get.py", "/ws", "zmap/scripts/get.py"),
        ("/ws/zmap/scripts/get.py", "/ws/", "zmap/scripts/get.py"),
        ("/ws2/x", "/ws", None),  # a sibling with the same prefix is not below
        ("/ws", "/ws", None),
        ("/other/x", "/ws", None),
        ("/ws/.ferryman/gff/a.gff", "/ws", ".ferryman/gff/a.gff"),  # a dot folder: the relpath path
        ("/ws/a/../b", "/ws", "b"),
        ("/ws/a/../../x", "/ws", None),
    ],
)
def test_below(path: str, folder: str, expected: str | None) -> None:
    assert below(path, folder) == expected
    rel = os.path.relpath(path, folder)
    assert expected == (None if rel == os.pardir or rel.startswith(os.pardir + os.sep) or rel == "." else rel)


def test_validate_reads_the_same_task_ids_as_the_compiler() -> None:
    """The graph check reads task ids from the inputs (no IR); they must be the compiler's ids."""
    from ferryman.compiler.ir import build
    from ferryman.compiler.plan import task_kinds
    from ferryman.compiler.rules.workspace import _task_kinds
    from ferryman.compiler.validate import load_workspace

    from .conftest import SAMPLES

    ws = load_workspace(str(SAMPLES / "ferryman.toml"))
    assert ws.manifest is not None
    assert _task_kinds(ws.manifest, ws)[0] == task_kinds(build(ws))
