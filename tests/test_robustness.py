"""Bad input of any kind: a located message and exit 0/1, never a traceback."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferryman.compiler.pipeline import validate_paths

from .conftest import SAMPLES, ferryman

LOCATED = re.compile(r"^[^\n]+:\d+:\d+: (error|warning)\[[A-Z]{2}\d{3}\]: \S")

SEEDS = {
    "zmap": (SAMPLES / "zmap" / "ZMap").read_bytes(),
    "copy-plan": (SAMPLES / "copy-plans" / "human-nets.json").read_bytes(),
    "externals": (SAMPLES / "idtrack" / "homo_sapiens_externals_template.yml").read_bytes(),
    "manifest": (SAMPLES / "ferryman.toml").read_bytes(),
}
SUFFIX = {"zmap": ".ini", "copy-plan": ".json", "externals": ".yml", "manifest": ".toml"}


def mutate(data: bytes, ops: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, pos, blob in ops:
        if not out:
            out.extend(blob)
            continue
        i = pos % len(out)
        if kind == 0:  # delete a span
            del out[i : i + len(blob) + 1]
        elif kind == 1:  # insert bytes
            out[i:i] = blob
        elif kind == 2:  # overwrite
            out[i : i + len(blob)] = blob
        else:  # truncate
            del out[i:]
    return bytes(out)


INTERESTING = st.sampled_from(
    [b"", b"\n", b"\"", b"{", b"}", b"[", b"]", b":", b",", b"=", b";", b"\\", b"\\x", b"&", b"\t", b"#",
     b"*a", b"&a", b"- ", b"\xff\xfe", b"\x00", b"${env:", b"true", b"1e999", b"pipe://", b"../", b"[ZMap]"]
)
OPS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 10_000), INTERESTING | st.binary(max_size=8)),
    min_size=1, max_size=6,
)


@pytest.mark.parametrize("kind", sorted(SEEDS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_mutated_inputs_never_crash(kind: str, ops: list[tuple[int, int, bytes]], tmp_path: Path) -> None:
    path = tmp_path / f"input{SUFFIX[kind]}"
    path.write_bytes(mutate(SEEDS[kind], ops))
    for forced in (kind, None):
        report = validate_paths([str(path)], forced)
        for d in report.diagnostics:
            assert d.line >= 1 and d.col >= 1, d
            assert LOCATED.match(d.text()), d.text()


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_mutated_input_through_cli(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"input{SUFFIX[kind]}"
    path.write_bytes(SEEDS[kind][: len(SEEDS[kind]) // 2] + b"\xff\x00{[\"")
    proc = ferryman("validate", "--kind", kind, str(path))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert LOCATED.match(proc.stderr.splitlines()[0]), proc.stderr


def _first_line(proc) -> str:  # type: ignore[no-untyped-def]
    assert "Traceback" not in proc.stderr
    return proc.stderr.splitlines()[0]


@pytest.mark.parametrize("suffix", [".json", ".yml", ".toml", ".ini"])
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    proc = ferryman("validate", str(path))
    assert proc.returncode == 1
    assert _first_line(proc) == f"{path}:1:1: error[IO109]: file is empty"


def test_truncated_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(SEEDS["copy-plan"][:40])
    proc = ferryman("validate", "--kind", "copy-plan", str(path))
    assert proc.returncode == 1
    assert ": error[IO103]: " in _first_line(proc)


def test_non_utf8_located(tmp_path: Path) -> None:
    path = tmp_path / "ZMap"
    path.write_bytes(b"[ZMap]\nsources = a\n\n[a]\nurl = pipe:///caf\xe9.pl\n")
    proc = ferryman("validate", "--kind", "zmap", str(path))
    assert proc.returncode == 1
    assert _first_line(proc) == f"{path}:5:18: error[IO102]: byte 0xe9 is not valid UTF-8"


def test_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "junk.json"
    path.write_bytes(os.urandom(4096))
    proc = ferryman("validate", str(path))
    assert proc.returncode == 1
    assert LOCATED.match(_first_line(proc))


def test_binary_junk_is_unknown_kind_when_valid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x01\x02 hello \x03" * 100)
    proc = ferryman("validate", str(path))
    assert proc.returncode == 1
    assert _first_line(proc) == f"{path}:1:1: error[IO106]: cannot tell what kind of file this is"


def test_json_nested_10000_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"planType": "IdCopyPlan", "x": ' + "[" * 10_000 + "]" * 10_000 + "}")
    proc = ferryman("validate", str(path))
    assert proc.returncode == 1
    assert _first_line(proc) == f"{path}:1:532: error[IO107]: JSON nested deeper than 500 levels"


def test_yaml_alias_bomb(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    lines.append("homo_sapiens:\n  gene:\n    X:\n      Assembly: *a9")
    path = tmp_path / "bomb.yml"
    path.write_text("\n".join(lines) + "\n")
    proc = ferryman("validate", "--kind", "externals", str(path))
    assert proc.returncode == 1
    first = _first_line(proc)
    assert first.startswith(f"{path}:1:5: error[IO108]: aliases expand to more than 1,000,000 nodes"), first


@pytest.mark.slow
def test_fifty_megabyte_file(tmp_path: Path) -> None:
    plan = json.loads(SEEDS["copy-plan"])
    plan["comment"] = "x" * (50 * 1024 * 1024)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(plan))
    assert path.stat().st_size > 50_000_000
    proc = ferryman("validate", str(path))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr[:500]
    assert ": warning[" in proc.stderr  # the unknown field is reported, not the 50 MB value
    assert len(proc.stderr) < 2000


def _hostile_inputs(folder: Path) -> dict[str, str]:
    """Things a user (or a hostile tester) may pass where a manifest or input file is expected."""
    (folder / "binary.toml").write_bytes(os.urandom(3000))
    (folder / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (folder / "huge.toml").write_text("x = " + "9" * 5000 + "\n")
    (folder / "nl\nname.toml").write_text("[workspace\n")
    (folder / "utf16.toml").write_bytes('[workspace]\nname = "x"\n'.encode("utf-16"))
    os.symlink("loop-b", folder / "loop-a")
    os.symlink("loop-a", folder / "loop-b")
    os.mkfifo(folder / "fifo.toml")
    (folder / "folder").mkdir()
    names = ["binary.toml", "deep.toml", "huge.toml", "nl\nname.toml", "utf16.toml", "loop-a", "fifo.toml", "folder",
             "/dev/zero", "/dev/null", "missing.toml"]
    return {n: n for n in names}


COMMANDS = [["validate", "{}"], ["plan", "--workspace", "{}"], ["run", "--workspace", "{}"], ["run", "{}"],
            ["runs", "--workspace", "{}"], ["doctor", "--workspace", "{}"], ["tunnel", "--workspace", "{}"],
            ["plan", "--out", "{}"], ["gff-check", "{}"]]


@pytest.mark.slow
def test_every_command_on_hostile_inputs(tmp_path: Path) -> None:
    """No command prints a traceback or "internal error" for bad input: a located or one-line error,
    exit 1 or 2 (doctor reports 1). FERRYMAN_DEBUG=1 (conftest) turns an internal error into a
    traceback, so both are caught."""
    inputs = _hostile_inputs(tmp_path)
    (tmp_path / "ferryman.toml").write_bytes(SEEDS["manifest"])  # for `plan --out`
    bad = []
    for name in inputs:
        for template in COMMANDS:
            if template[0] == "gff-check" and name in ("fifo.toml", "/dev/zero"):
                continue  # a stream checker reads pipes (`gff-check <(script)`) until they end, by design
            args = [a.replace("{}", name) for a in template]
            proc = ferryman(*args, cwd=tmp_path, timeout=60)
            text = proc.stdout + proc.stderr
            if "Traceback" in text or "internal error" in text or proc.returncode not in (0, 1, 2):
                bad.append(f"{args!r}: exit {proc.returncode}: {text[-300:]}")
    assert bad == []
