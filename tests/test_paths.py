"""`below`: the cheap relative path used by plans and messages agrees with os.path.relpath."""

from __future__ import annotations

import os

import pytest

from ferryman.compiler.paths import below, file_name


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


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("havana", "havana"),
        ("Havana genes", "Havana genes"),
        ("../../../escaped", "%2E.%2F..%2F..%2Fescaped"),
        ("a/b", "a%2Fb"),
        (".hidden", "%2Ehidden"),
        ("..", "%2E."),
        ("", "%00"),
        ("100%", "100%25"),
        ("tab\there", "tab%09here"),
        ("back\\slash", "back%5Cslash"),
    ],
)
def test_file_name_is_one_safe_component(name: str, expected: str) -> None:
    got = file_name(name)
    assert got == expected
    assert "/" not in got and got not in (".", "..") and not got.startswith(".")
    folder = "/state/gff"
    assert os.path.dirname(os.path.normpath(os.path.join(folder, got + ".gff"))) == folder
