"""The GKeyFile fast path gives exactly what the reference `parse` gives, or nothing.

`fast_parse` answers only for a clean file; whenever it answers, the reference must read the same
groups, keys and raw values in the same order and report no problem at all, and `load_text` must
give the same data and diagnostics as the reference path. Documents from the fast path locate
paths where the reference does. Real files: every GKeyFile in tests/ and samples/, the benchmark
config, and mutations of real configs (hypothesis).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ferryman.compiler.loaders import gkeyfile
from ferryman.compiler.loaders.gkeyfile import fast_parse, load_text, locator, normalize, parse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import common  # noqa: E402

KINDS = ("zmap", "styles")


def _gkeyfiles() -> list[Path]:
    """Every ZMap config and styles file kept in tests/ and samples/."""
    found = []
    for base in (ROOT / "tests" / "data", ROOT / "samples"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and (path.suffix == ".ini" or path.name == "ZMap" or "styles" in path.name):
                found.append(path)
    return found


GKEYFILES = _gkeyfiles()
SEEDS = [
    p.read_text(encoding="utf-8") for p in (ROOT / "samples/zmap/ZMap", ROOT / "tests/data/zmap/ensembl-example/ZMap")
]


def _raw(kf: gkeyfile.KeyFile) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(name, [(k, e.raw) for k, e in g.entries.items()]) for name, g in kf.groups.items()]


def _reference(text: str, kind: str) -> tuple[Any, list[str]]:
    """What `load_text` gave before the fast path: the reference parse and normalize alone."""
    kf = parse(text)
    data, value_problems = normalize(kf, kind)
    every = dataclasses.replace(kf, problems=kf.problems + value_problems)
    shown = [d.text() for d in gkeyfile.diagnostics(every, "ZMap")]
    return (None if not every.ok else data), shown


def _loaded(text: str, kind: str) -> tuple[Any, list[str]]:
    result = load_text(text, "ZMap", kind)
    return (None if result.doc is None else result.doc.data), [d.text() for d in result.diagnostics]


def _assert_same(text: str) -> bool:
    """The fast path agrees with the reference on `text`; whether it answered."""
    fast = fast_parse(text)
    if fast is not None:
        kf = parse(text)
        assert kf.problems == []
        assert [(name, list(group.items())) for name, group in fast.items()] == _raw(kf)
    for kind in KINDS:
        assert _loaded(text, kind) == _reference(text, kind), kind
    return fast is not None


@pytest.mark.parametrize("path", GKEYFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_kept_gkeyfile_loads_as_the_reference_reads_it(path: Path) -> None:
    _assert_same(path.read_text(encoding="utf-8", errors="replace"))  # IO102 is not UTF-8


def test_the_clean_kept_files_take_the_fast_path() -> None:
    answered = {
        p.relative_to(ROOT).as_posix() for p in GKEYFILES if fast_parse(p.read_bytes().decode("utf-8", "replace"))
    }
    assert {"samples/zmap/ZMap", "samples/zmap/styles.ini", "tests/data/zmap/ensembl-example/ZMap"} <= answered
    # each of these has a syntax problem or a warning: the reference alone reports it
    for code in ("GK201", "GK202", "GK203", "GK204", "GK208", "GK209", "GK210"):
        assert f"samples/invalid/{code}.ini" not in answered


@pytest.mark.slow
def test_the_benchmark_config_takes_the_fast_path_and_agrees(tmp_path: Path) -> None:
    text = common.workspace(1.0, data=tmp_path).zmap.read_text(encoding="utf-8")
    assert text.count("\n[") > 10_000
    assert _assert_same(text)


# -- what the fast path answers, and what it leaves to the reference --------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "# only a comment",
        "[g]",
        "[g]\nk=v",
        "[g]\r\nk = v\r\n\r\n[h]\r\nk=\r\n",  # CRLF
        "[g]\nk = v  \t\n  k2\t=\t  a = b = c \n",  # trailing blanks, the first = splits
        "  [ spaced name ]  \n  key with  spaces  =  value with  spaces \n",
        "[g]\n#k = v\n   # indented comment \x0b with a control character\nk = ;a;; b ;\n",
        "[g]\nk = x&\n\ny = 1\n",  # a value ending in & before a blank line
        "[ZMap]\nsources = a ; b\n[a]\ndelayed = true\ntimeout = -7\nurl = pipe:///x?a=1&\n",
        "[g]\nk = \\\\s \\t\n",  # escapes are decoded by the shared core
        "[g]\nk = \x0b a\x1cb\rc \x0c\r\n",  # control characters: inside a value kept, around it stripped
    ],
)
def test_the_fast_path_answers_clean_text_exactly(text: str) -> None:
    assert _assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "k = v\n[g]\n",  # key before the first group
        "[g]\nk = 1\nk = 2\n",  # repeated key
        "[g]\n[h]\n[g]\n",  # repeated group
        "[g]\nname[de] = x\n",  # locale key
        "[g]\nk\x0b = v\n",  # a control character outside a value
        "[g]\nurl = x&\x0b\n  b=2\n",  # continued: the value ends in & once stripped
        "[g]\nk = caf\u00e9\n",  # not ASCII
        "[g]\nk = \u00a0v\n",  # a blank that str.strip removes
        "[g]\rk = v\n",  # a lone CR outside a value
        "[g]\nurl = pipe:///x?a=1&\n  b=2\n",  # continued value
        "[g]\nurl = pipe:///x?a=1&\n  [h]\n",  # an indented line after & is the reference's to read
        "[g]\nnot a pair\n",
        "[]\n",
        "[a]b]\n",
        "[g]\n= v\n",
        "[g] x\n",
        "[g\tx]\n",
    ],
)
def test_the_fast_path_leaves_everything_else_to_the_reference(text: str) -> None:
    assert fast_parse(text) is None
    _assert_same(text)


@pytest.mark.parametrize(
    ("text", "code", "line", "col"),
    [
        ("[ZMap]\nsources = a\n\n[a]\nurl = pipe:///x\ndelayed = maybe\n", "GK206", 6, 11),
        ("[ZMap]\nsources = a\n\n[a]\ntimeout = soon\n", "GK207", 5, 11),
        ("[ZMap]\nsources = a\n\n[a]\nurl = pipe:///x\\q\n", "GK205", 5, 16),
        ("[ZMap]\nsources = a ; b\\x\n", "GK205", 2, 16),
    ],
)
def test_a_value_problem_on_the_fast_path_is_located_by_the_reference(
    text: str, code: str, line: int, col: int
) -> None:
    assert fast_parse(text) is not None
    result = load_text(text, "ZMap", "zmap")
    assert result.doc is None
    [d] = result.diagnostics
    assert (d.code, d.line, d.col) == (code, line, col)
    assert _loaded(text, "zmap") == _reference(text, "zmap")


# -- positions ------------------------------------------------------------------------------


def _paths(data: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = [(), ("no such group",)]
    for name, group in data.items():
        paths += [(name,), (name, "no such key")]
        for key, value in group.items():
            paths.append((name, key))
            if isinstance(value, list):
                paths += [(name, key, i) for i in range(len(value) + 1)]
    return paths


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_a_fast_path_document_locates_as_a_reference_document(seed: int) -> None:
    text = SEEDS[seed].replace("\n", "\r\n").replace("= ", "=  \t")  # moves every column
    assert fast_parse(text) is not None
    doc = load_text(text, "ZMap", "zmap").doc
    assert doc is not None
    reference = locator(parse(text))
    paths = _paths(doc.data)
    assert len(paths) > 50
    assert [doc.locate(p) for p in paths] == [reference(p) for p in paths]
    assert doc.locate(("ZMap", "sources", 1)) != doc.locate(("ZMap", "sources", 0))


def test_the_fast_path_parses_for_positions_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = gkeyfile.parse

    def counted(text: str) -> gkeyfile.KeyFile:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(gkeyfile, "parse", counted)
    doc = load_text(SEEDS[0], "ZMap", "zmap").doc
    assert doc is not None and calls == []
    first = doc.locate(("ZMap", "sources", 0))
    assert doc.locate(("ZMap", "sources", 0)) == first and first != (1, 1)
    assert len(calls) == 1


# -- mutations of real configs --------------------------------------------------------------

_CHARS = st.sampled_from([*"[]=[]=#;\\ \t\r\n&é\x0b\x1c", "\r\n", "\u00a0", "[de]", "a b"])


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    lines = text.split("\n")
    start = draw(st.integers(0, max(0, len(lines) - 12)))
    lines = lines[start : start + 12]  # a window keeps the search quick and the changes dense
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["insert"] * 4 + ["delete", "duplicate", "indent", "crlf", "header", "continue"]))
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        # where the syntax is: the ends of the line and the two sides of its first =, else anywhere
        eq = line.find("=")
        spots = [0, 1, len(line), eq, eq + 1, draw(st.integers(0, len(line)))] if eq >= 0 else [0, 1, len(line)]
        at = min(max(draw(st.sampled_from(spots)), 0), len(line))
        if op == "insert":
            lines[i] = line[:at] + draw(_CHARS) + line[at:]
        elif op == "delete" and line:
            at = min(at, len(line) - 1)
            lines[i] = line[:at] + line[at + 1 :]
        elif op == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), line)
        elif op == "indent":
            lines[i] = draw(st.sampled_from([" ", "\t", "  \t"])) + line
        elif op == "crlf":
            lines = [x + "\r" for x in lines]
        elif op == "header":
            lines.insert(i, "[ZMap]")
        elif op == "continue":  # a value ending in & and an indented line after it
            lines[i] = line + draw(st.sampled_from(["&", "& ", "&\r"]))
            lines.insert(i + 1, draw(st.sampled_from([" b=2", "\tb=2", "  [h]", "  b = 2", " # c", "  "])))
    return "\n".join(lines)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_configs_the_fast_path_answers_are_the_references(text: str) -> None:
    event("fast path" if _assert_same(text) else "reference")
