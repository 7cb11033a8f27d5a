"""Hostile review of the `ferryman validate` speed work (65b472a..41731b6): inputs that the fast
paths might take differently from the reference behaviour. Real files, the real CLI.

The review found two defects, both fixed, each pinned by a test below: a profile output that
resolves onto an input through a missing folder (`nothere/../X`, `X/`) was no longer reported
(ID514), and a `[Server-groups]` key named like a secret had its value quoted (ZM303). The other
tests pin what held.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest

from ferryman.compiler.loaders import gkeyfile

from .conftest import SAMPLE_IGNORE, SAMPLES, ferryman

TEMPLATE = "idtrack/homo_sapiens_externals_template.yml"


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=SAMPLE_IGNORE)
    return ws


def _set_output(ws: Path, output: str) -> None:
    manifest = ws / "ferryman.toml"
    lines = manifest.read_text().splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if line.startswith("output = ")]
    assert len(at) == 1, "the sample manifest has one profile output"
    lines[at[0]] = f"output = {json.dumps(output)}\n"
    manifest.write_text("".join(lines))


def test_sample_output_is_valid(tmp_path: Path) -> None:
    """The control for the ID514 cases below: the sample's own output is fine."""
    ws = _workspace(tmp_path)
    proc = ferryman("validate", cwd=ws)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "output",
    [
        TEMPLATE,  # the plain case: still reported
        "idtrack/../" + TEMPLATE,  # `..` after an existing folder: stat works
    ],
)
def test_output_on_an_input_is_reported(tmp_path: Path, output: str) -> None:
    ws = _workspace(tmp_path)
    _set_output(ws, output)
    proc = ferryman("validate", cwd=ws)
    assert proc.returncode == 1, proc.stderr
    assert "error[ID514]" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "output",
    [
        "nothere/../" + TEMPLATE,  # a missing folder, then `..`
        TEMPLATE + "/",  # a trailing slash after a file
        "ferryman.toml/../" + TEMPLATE,  # a file used as a folder, then `..`
        "nothere/../zmap/ZMap",  # the ZMap config
        "nothere/../ferryman.toml",  # the manifest itself
    ],
)
def test_output_on_an_input_through_a_missing_folder_is_reported(tmp_path: Path, output: str) -> None:
    ws = _workspace(tmp_path)
    _set_output(ws, output)
    proc = ferryman("validate", cwd=ws)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert "error[ID514]" in proc.stderr


def test_server_group_password_value_is_not_shown(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "styles.ini").write_text("[a]\nmode = basic\n")
    script = tmp_path / "scripts" / "s.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (tmp_path / "ZMap").write_text(
        "[ZMap]\nsources = a\nscript-dir = scripts\nstylesfile = styles.ini\n\n"
        "[Server-groups]\npassword = hunter2\n\n[a]\nurl = pipe:///s.sh\nfeaturesets = a\n"
    )
    for fmt in ("text", "json", "github"):
        proc = ferryman("validate", "--kind", "zmap", "--format", fmt, "ZMap", cwd=tmp_path)
        assert proc.returncode == 1
        assert "hunter2" not in proc.stdout + proc.stderr


# -- what held: kept as guards -------------------------------------------------------------------

_ODD = [
    "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\r", "\x00", "\t", "\ufeff", " ",
    "[", "]", "=", "#", "&", ";", "\\", "\\s", "\\;", "\n", "\r\n", "\n  ", "\n\t", "é", "k[de]",
    "[src]", "\n[src]\n", "\nk=v\n", "delayed", "true", "timeout", "12", "sources", "featuresets",
]


def test_gkeyfile_fast_path_never_disagrees_with_the_reference() -> None:
    """Random texts of odd whitespace, brackets, escapes and line ends: whenever the fast path
    answers (and its values are readable) the reference parse reports nothing and reads the same."""
    rnd = random.Random(20261129)
    answered = 0
    for _ in range(20000):
        text = "[src]\n" * rnd.randint(0, 1) + "".join(rnd.choice(_ODD) for _ in range(rnd.randint(0, 25)))
        for kind in ("zmap", "styles"):
            raw = gkeyfile.fast_parse(text)
            if raw is None:
                continue
            data, found = gkeyfile.normalize_values(json.loads(json.dumps(raw)), kind, escapes="\\" in text)
            if found:
                continue  # the loader goes the reference way
            answered += 1
            kf = gkeyfile.parse(text)
            ref, problems = gkeyfile.normalize(kf, kind)
            assert not kf.problems and not problems, repr(text)
            assert data == ref, repr(text)
    assert answered > 1000  # the generator does reach the fast path


def test_plan_records_the_sha256_of_the_bytes(tmp_path: Path) -> None:
    """BOM and CRLF in the ZMap config, a hard link, a symlink and a name with a newline among
    the plans: `plan --out` records the sha256 of each file's bytes."""
    ws = _workspace(tmp_path)
    zmap = ws / "zmap" / "ZMap"
    zmap.write_bytes(b"\xef\xbb\xbf" + zmap.read_bytes().replace(b"\n", b"\r\n"))
    plans = ws / "copy-plans"
    (plans / "hard.json").hardlink_to(plans / "human-nets.json")
    (plans / "link.json").symlink_to("human-nets.json")
    shutil.copy(plans / "pathways-query.json", plans / "new\nline.json")
    proc = ferryman("plan", "--out", str(tmp_path / "plan.json"), cwd=ws)
    assert proc.returncode == 0, proc.stderr
    inputs = json.loads((tmp_path / "plan.json").read_text())["inputs"]
    files = {i["path"]: i["sha256"] for i in inputs if not i["path"].endswith("/")}
    assert "copy-plans/new\nline.json" in files and "zmap/ZMap" in files
    for path, digest in files.items():
        assert digest == hashlib.sha256((ws / path).read_bytes()).hexdigest(), path
