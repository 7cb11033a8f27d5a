"""The compiled GFF3 fast path (runtime/gff/_scan.c) against the pure-Python paths.

Every error and warning, with its line and message, in the same order, must be the same from the
compiled path, the pure-Python fast path and the reference line-by-line path, on the corpus and
on real lines mutated the ways real and hostile files break (docs/gff.md, "Speed").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferryman.runtime.gff import GffChecker, GffResult, native

from .conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "gff"
FILES = sorted(CORPUS.glob("*.gff3")) + sorted((CORPUS / "design").glob("*.gff3"))
SEEDS = [p.read_bytes() for p in FILES]
REAL = (CORPUS / "valid_flybase_excerpt.gff3").read_bytes()
REAL_LINES = REAL.split(b"\n")

pytestmark = pytest.mark.skipif(
    not native.AVAILABLE and os.environ.get("CI") != "true", reason=f"not built: {native.REASON}"
)


def run(
    data: bytes, chunk: int, *, native_path: bool | None, fast: bool = True, max_errors: int | None = None
) -> GffResult:
    checker = GffChecker(max_errors, fast=fast, native=native_path)
    for pos in range(0, len(data), chunk):
        checker.feed(data[pos : pos + chunk])
    checker.close()
    return checker.result()


def assert_same(data: bytes, chunk: int = 1 << 18, max_errors: int | None = None) -> None:
    reference = run(data, chunk, native_path=False, fast=False, max_errors=max_errors)
    python = run(data, chunk, native_path=False, max_errors=max_errors)
    compiled = run(data, chunk, native_path=True, max_errors=max_errors)
    assert python == reference, data[:2000]
    assert compiled == reference, data[:2000]


def test_the_extension_is_built() -> None:
    """CI and `pip install -e .` build it; a missing compiler would silently slow the checker."""
    assert native.AVAILABLE, native.REASON
    assert native.loaded().__name__ == "ferryman.runtime.gff._scan"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
@pytest.mark.parametrize("chunk", [1, 7, 1 << 18])
def test_corpus_same_on_every_path(path: Path, chunk: int) -> None:
    assert_same(path.read_bytes(), chunk)


def test_environment_switch_and_report() -> None:
    code = "from ferryman.runtime.gff import GffChecker; print(GffChecker().native)"
    env = dict(os.environ)
    for value, expected in (("0", "False"), ("1", "True")):
        env["FERRYMAN_GFF_NATIVE"] = value
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == expected
    env["FERRYMAN_GFF_NATIVE"] = "0"
    out = subprocess.run(
        [sys.executable, "-m", "ferryman.runtime.gff"], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("GFF3 fast path: pure Python (FERRYMAN_GFF_NATIVE=0)")
    env["FERRYMAN_GFF_NATIVE"] = "1"
    out = subprocess.run(
        [sys.executable, "-m", "ferryman.runtime.gff"], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("GFF3 fast path: compiled (C extension ")


def test_id_table_behaves_as_the_dict_and_set_it_replaces() -> None:
    from ferryman.runtime.gff import _scan

    table = _scan.IdTable()
    records = {b"g%d" % i: i | (i % 7) << 40 | ((1 << 64) | (i * 2654435761)) << 72 for i in range(1, 5000)}
    records[b"none"] = 3 | 2 << 40  # no Parent
    records[b""] = 1
    for key, rec in records.items():
        table[key] = rec
    assert len(table) == len(records)
    assert all(table.get(k) == v and table[k] == v and k in table for k, v in records.items())
    assert table.get(b"missing") is None and b"missing" not in table
    assert dict(table.items()) == records and list(table) == list(records)
    other = _scan.IdTable()
    other[b"x"] = 1
    assert table.isdisjoint(other)
    other[b"g7"] = 1
    assert not table.isdisjoint(other) and not other.isdisjoint(table)
    other.update(table)
    assert len(other) == len(records) + 1 and other[b"g9"] == records[b"g9"] and other[b"g7"] == 1
    table.clear()
    assert len(table) == 0 and table.get(b"g1") is None
    with pytest.raises(TypeError):
        table["str"] = 1  # type: ignore[index]
    with pytest.raises(KeyError):
        table[b"gone"]


# ------------------------------------------------------------------ mutation fuzz

HUGE = [b"9" * 19, b"9" * 40, b"1" + b"0" * 25, b"18446744073709551617", b"1099511627776"]
ODD = [b"", b" ", b"\r", b"\x00", b"\xff\xfe", b"\xc3\xa9", b"%zz", b"%4", b";", b",", b"=", b"\t", b"#", b">"]


def _apply(lines: list[bytes], op: tuple[str, int, int, int]) -> None:
    kind, a, b, c = op
    i = 1 + a % max(1, len(lines) - 1)
    if i >= len(lines):
        return
    line = lines[i]
    cols = line.split(b"\t")
    if kind == "truncate":
        lines[i] = line[: b % (len(line) + 1)]
    elif kind == "swap_columns" and len(cols) > 1:
        j, k = b % len(cols), c % len(cols)
        cols[j], cols[k] = cols[k], cols[j]
        lines[i] = b"\t".join(cols)
    elif kind == "duplicate_line":
        lines.insert(1 + b % len(lines), line)
    elif kind == "duplicate_id":  # this line takes another line's ID (or Parent)
        other = lines[1 + b % max(1, len(lines) - 1)].split(b"\t")[-1]
        if len(cols) == 9:
            cols[8] = other if c % 2 else cols[8] + b";" + other
            lines[i] = b"\t".join(cols)
    elif kind == "phase" and len(cols) == 9:
        cols[7] = [b"0", b"1", b"2", b".", b"3", b"", b"00", b"-1"][b % 8]
        lines[i] = b"\t".join(cols)
    elif kind == "blank":
        lines.insert(i, [b"", b" ", b"\t", b"  \t "][b % 4])
    elif kind == "cr":
        k = b % (len(line) + 1)
        lines[i] = line[:k] + b"\r" + line[k:]
    elif kind == "nul":
        k = b % (len(line) + 1)
        lines[i] = line[:k] + b"\x00" + line[k:]
    elif kind == "huge" and len(cols) == 9:
        cols[[3, 4, 5][b % 3]] = HUGE[c % len(HUGE)]
        lines[i] = b"\t".join(cols)
    elif kind == "non_utf8":
        k = b % (len(line) + 1)
        lines[i] = line[:k] + [b"\xff", b"\xc3", b"\x80\x80", b"\xef\xbb\xbf"][c % 4] + line[k:]
    elif kind == "odd_byte":
        k = b % (len(line) + 1)
        lines[i] = line[:k] + ODD[c % len(ODD)] + line[k:]
    elif kind == "column" and len(cols) == 9:
        j = b % 9
        cols[j] = [b".", b"", b"0", b"1", b"CDS", b"?", b"+", b"x y", b"1e5", b"inf", b"-.5E+3", b"+"][c % 12]
        lines[i] = b"\t".join(cols)
    elif kind == "attribute" and len(cols) == 9:
        extra = [
            b"ID=x",
            b"Parent=x",
            b"Parent=a,a",
            b"Parent=a,",
            b" Parent=zz",
            b"Is_circular=true",
            b"ID=",
            b"=v",
            b"a=b=c",
            b"Name=ID",
            b";",
            b"Parent=" + cols[8][3:20],
        ][c % 12]
        pieces = cols[8].split(b";")
        pieces.insert(b % (len(pieces) + 1), extra)
        cols[8] = b";".join(pieces)
        lines[i] = b"\t".join(cols)
    elif kind == "directive":
        lines.insert(
            i,
            [
                b"###",
                b"##FASTA",
                b">seq",
                b"###x",
                b"##sequence-region 2L 1 100",
                b"##sequence-region 2L 1 99999999999999999999999",
                b"##gff-version 3",
                b"#x",
            ][b % 8],
        )
    elif kind == "swap_lines" and i > 1:
        lines[i], lines[i - 1] = lines[i - 1], lines[i]
    elif kind == "delete":
        del lines[i]


OPS = st.tuples(
    st.sampled_from(
        [
            "truncate",
            "swap_columns",
            "duplicate_line",
            "duplicate_id",
            "phase",
            "blank",
            "cr",
            "nul",
            "huge",
            "non_utf8",
            "odd_byte",
            "column",
            "attribute",
            "directive",
            "swap_lines",
            "delete",
        ]
    ),
    st.integers(0, 1 << 20),
    st.integers(0, 1 << 20),
    st.integers(0, 1 << 20),
)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, len(SEEDS)),
    start=st.integers(0, 700),
    ops=st.lists(OPS, min_size=1, max_size=8),
    crlf=st.booleans(),
    chunk=st.sampled_from([1 << 18, 1 << 18, 13, 4096]),
    max_errors=st.sampled_from([None, None, 1, 3]),
)
def test_mutated_real_lines_same_on_every_path(
    seed: int, start: int, ops: list[tuple[str, int, int, int]], crlf: bool, chunk: int, max_errors: int | None
) -> None:
    # a window of real FlyBase lines after the header, or a corpus file
    lines = REAL_LINES[:1] + REAL_LINES[3 + start : 3 + start + 60] if seed == len(SEEDS) else SEEDS[seed].split(b"\n")
    for op in ops:
        _apply(lines, op)
    data = b"\n".join(lines)
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    assert_same(data, chunk, max_errors)


def test_real_lines_whole_excerpt_same_on_every_path() -> None:
    assert_same(REAL)
    assert run(REAL, 1 << 18, native_path=True).valid
