"""Profiles: which blocks an allowlist flips, which are in effect, and the rewritten YAML text."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from ferryman.compiler.profiles import (
    Flip,
    ProfileError,
    apply,
    flips,
    in_effect,
    parse_releases,
    render_modified,
)

from .conftest import ROOT, SAMPLE_IGNORE, SAMPLES, ferryman

TEMPLATE = SAMPLES / "idtrack" / "homo_sapiens_externals_template.yml"
STRICT = ["HGNC Symbol", "EntrezGene", "RefSeq_mRNA", "Uniprot/SWISSPROT"]


def _load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_externals", ROOT / "benchmarks" / "gen_externals.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changed_lines(before: str, after: str) -> list[str]:
    """The lines that differ, as `diff` prints them (`-old`, `+new`); rewriting never adds or drops lines."""
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new)
    return [line for a, b in zip(old, new, strict=True) if a != b for line in (f"-{a}", f"+{b}")]


SMALL = """\
# two forms share a database name; the seed's helper only edited the first form
homo_sapiens:
    gene:
        Shared:
            Assembly:
                "37":
                    Ensembl release: 79,80
                    Include: false
                "38":
                    Ensembl release: "110"
                    Include: true   # switched on by hand
            Database Index: 0
            Potential Synonymous: ""
        Other:
            Assembly:
                "38":
                    Ensembl release: 109,110
                    Include: true  # kept on in 2023
            Database Index: 1
            Potential Synonymous: ""
    transcript:
        Shared:
            Assembly:
                "38": {Ensembl release: "110", Include: false}
            Database Index: 0
            Potential Synonymous: ''
"""


def test_parse_releases() -> None:
    assert parse_releases("48,49,50") == (48, 49, 50)
    assert parse_releases(" 48, 49 ") == (48, 49)
    assert parse_releases("110") == (110,)
    for bad in ("", "48,,49", "48-50", "abc", "48;49", "48,", "٣", 110, None):
        assert parse_releases(bad) is None, bad


def test_strict_profile_on_the_sample_template() -> None:
    data = _load(TEMPLATE.read_text())
    got = flips(data, STRICT, 110)
    want = [
        Flip(form, db, asm, False, True)
        for form, db in (
            ("gene", "EntrezGene"),
            ("gene", "HGNC Symbol"),
            ("transcript", "RefSeq_mRNA"),
            ("translation", "Uniprot/SWISSPROT"),
        )
        for asm in ("36", "37", "38")
    ]
    assert got == want
    assert str(got[0]) == "gene/EntrezGene/36: Include false -> true"


def test_plain_names_apply_to_every_form_and_assembly() -> None:
    got = flips(_load(SMALL), ["Shared"], 110)
    assert got == [
        Flip("gene", "Shared", "37", False, True),
        Flip("gene", "Other", "38", True, False),  # not allowed: switched off
        Flip("transcript", "Shared", "38", False, True),
    ]


def test_structured_allowlist_is_exact() -> None:
    got = flips(_load(SMALL), {"transcript": {"Shared": ["38"]}, "gene": {"Other": ["38"]}}, 110)
    assert got == [
        Flip("gene", "Shared", "38", True, False),
        Flip("transcript", "Shared", "38", False, True),
    ]


def test_release_must_be_covered() -> None:
    with pytest.raises(ProfileError, match="release 120 is not included in any entry of the YAML"):
        flips(_load(SMALL), ["Shared"], 120)


def test_in_effect_needs_release_and_include() -> None:
    data = _load(SMALL)
    assert in_effect(data, 110) == {("gene", "Shared", "38"), ("gene", "Other", "38")}
    assert in_effect(data, 79) == set()  # listed, but Include false
    modified = apply(data, flips(data, ["Shared"], 110))
    assert in_effect(modified, 110) == {("gene", "Shared", "38"), ("transcript", "Shared", "38")}
    assert in_effect(modified, 79) == {("gene", "Shared", "37")}


def test_in_effect_after_strict_profile() -> None:
    data = _load(TEMPLATE.read_text())
    modified = apply(data, flips(data, STRICT, 110))
    assert in_effect(data, 110) == set()
    assert in_effect(modified, 110) == {
        ("gene", "EntrezGene", "38"),
        ("gene", "HGNC Symbol", "38"),
        ("transcript", "RefSeq_mRNA", "38"),
        ("translation", "Uniprot/SWISSPROT", "38"),
    }
    assert {k[2] for k in in_effect(modified, 50)} == {"36"}


def test_render_changes_only_include_lines(tmp_path: Path) -> None:
    text = TEMPLATE.read_text()
    data = _load(text)
    changes = flips(data, STRICT, 110)
    out = render_modified(text, changes)
    assert _load(out) == apply(data, changes)
    changed = _changed_lines(text, out)
    assert len(changed) == 2 * len(changes)
    assert {line[0] + line[1:].strip() for line in changed} == {"-Include: false", "+Include: true"}
    if shutil.which("diff"):
        (tmp_path / "a.yml").write_text(text)
        (tmp_path / "b.yml").write_text(out)
        proc = subprocess.run(["diff", "a.yml", "b.yml"], cwd=tmp_path, capture_output=True, text=True)
        body = [line for line in proc.stdout.splitlines() if line[:1] in "<>"]
        assert len(body) == 2 * len(changes)
        assert {line[:2] + line[2:].strip() for line in body} == {"< Include: false", "> Include: true"}
    assert out.startswith("# IDTrack external databases for homo_sapiens")
    # undoing the flips gives the template back, byte for byte
    undo = [Flip(f.form, f.database, f.assembly, f.after, f.before) for f in changes]
    assert render_modified(out, undo) == text


def test_render_keeps_comments_flow_style_quoting_and_crlf() -> None:
    text = SMALL.replace("\n", "\r\n")
    data = _load(text)
    changes = flips(data, ["Shared"], 110)
    out = render_modified(text, changes)
    assert _load(out) == apply(data, changes)
    assert out.count("\r\n") == text.count("\r\n") and "\n" not in out.replace("\r\n", "")
    assert _changed_lines(text, out) == [
        "-                    Include: false\r",
        "+                    Include: true\r",
        "-                    Include: true  # kept on in 2023\r",
        "+                    Include: false  # kept on in 2023\r",
        '-                "38": {Ensembl release: "110", Include: false}\r',
        '+                "38": {Ensembl release: "110", Include: true}\r',
    ]
    assert "Include: true   # switched on by hand\r\n" in out  # allowed and already on: untouched
    assert "Potential Synonymous: ''" in out


def test_render_keeps_a_byte_order_mark() -> None:
    text = "\ufeff" + TEMPLATE.read_text()
    changes = flips(_load(text), STRICT, 110)
    assert render_modified(text, changes) == "\ufeff" + render_modified(text[1:], changes)


def test_render_with_non_ascii_text_before_the_block() -> None:
    text = (
        'homo_sapiens:\n    gene:\n        "Ensembl Gène ☃":\n            Assembly:\n'
        '                "38":\n                    Ensembl release: "110"\n                    Include: false\n'
    )
    out = render_modified(text, [Flip("gene", "Ensembl Gène ☃", "38", False, True)])
    assert out == text.replace("Include: false", "Include: true")


def test_render_refuses_what_it_cannot_change_alone() -> None:
    shared = (
        "homo_sapiens:\n  gene:\n    A:\n      Assembly:\n        '38': &blk {Ensembl release: '110', Include: false}\n"
        "    B:\n      Assembly:\n        '38': *blk\n"
    )
    with pytest.raises(ProfileError, match="shared through a YAML alias"):
        render_modified(shared, [Flip("gene", "A", "38", False, True)])
    merged = (
        "homo_sapiens:\n  gene:\n    A:\n      Assembly:\n        '38':\n          <<: {Include: false}\n"
        "          Ensembl release: '110'\n"
    )
    with pytest.raises(ProfileError, match="merge key"):
        render_modified(merged, [Flip("gene", "A", "38", False, True)])
    with pytest.raises(ProfileError, match="has Include 'false', not true"):
        render_modified(TEMPLATE.read_text(), [Flip("gene", "EntrezGene", "38", True, False)])
    with pytest.raises(ProfileError, match="homo_sapiens/gene has no 'UniProtKB'"):
        render_modified(TEMPLATE.read_text(), [Flip("gene", "UniProtKB", "38", False, True)])


def test_organism_must_be_named_when_the_file_holds_several() -> None:
    two = SMALL + SMALL.replace("homo_sapiens:", "mus_musculus:").split("\n", 1)[1]
    data = _load(two)
    with pytest.raises(ProfileError, match="name the organism: the YAML holds homo_sapiens, mus_musculus"):
        flips(data, ["Shared"], 110)
    got = flips(data, ["Other"], 110, organism="mus_musculus")
    assert got[0] == Flip("gene", "Shared", "38", True, False)
    out = render_modified(two, got, organism="mus_musculus")
    assert _load(out)["homo_sapiens"] == data["homo_sapiens"]
    assert _load(out)["mus_musculus"] == apply(data, got, organism="mus_musculus")["mus_musculus"]


def test_no_flips_returns_the_text_unchanged() -> None:
    assert render_modified("not: [yaml", []) == "not: [yaml"
    with pytest.raises(ProfileError, match="the YAML does not parse"):
        render_modified("not: [yaml", [Flip("gene", "A", "38", False, True)])
    with pytest.raises(ProfileError, match="gene/A/38 is not a block of the YAML"):
        apply(_load(SMALL), [Flip("gene", "A", "38", False, True)])


def test_generator_is_deterministic_and_real_size() -> None:
    gen = _gen()
    text = gen.generate("sus_scrofa")
    assert text == gen.generate("sus_scrofa")
    assert text != gen.generate("sus_scrofa", seed=1)
    forms = _load(text)["sus_scrofa"]
    assert sum(len(dbs) for dbs in forms.values()) == 270
    blocks = [b for dbs in forms.values() for db in dbs.values() for b in db["Assembly"].items()]
    assert len(blocks) == 470
    assert {a for a, _ in blocks} == {"9", "102", "111"}
    assert all(isinstance(b["Ensembl release"], str) and b["Include"] is False for _, b in blocks)
    with pytest.raises(ValueError, match="cannot be spread"):
        gen.generate("homo_sapiens", databases=10, assembly_blocks=31)


def test_generated_file_round_trips_through_a_profile(tmp_path: Path) -> None:
    text = _gen().generate("mus_musculus", databases=40, assembly_blocks=70)
    data = _load(text)
    names = sorted(data["mus_musculus"]["gene"])[:3]
    changes = flips(data, names, 110)
    out = render_modified(text, changes)
    assert _load(out) == apply(data, changes)
    assert len(_changed_lines(text, out)) == 2 * len(changes) > 0


# --- the profile task: never onto an input, atomic, with the file modes a plain write gives ------


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=SAMPLE_IGNORE)
    return ws


def _ferryman_umask(umask: int, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    return subprocess.run(
        [sys.executable, "-m", "ferryman", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "FERRYMAN_DEBUG": "1"}, preexec_fn=lambda: os.umask(umask) and None,
    )


OUTPUT = "idtrack/homo_sapiens_externals_modified.yml"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_new_outputs_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    ws = _workspace(tmp_path)
    proc = _ferryman_umask(umask, "run", "--only", "profile:strict", "--progress", "none", cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert (ws / OUTPUT).stat().st_mode & 0o777 == mode
    proc = _ferryman_umask(umask, "plan", "--out", "plan.json", cwd=ws)
    assert proc.returncode == 0, proc.stderr
    assert (ws / "plan.json").stat().st_mode & 0o777 == mode
    assert [p.name for p in (ws / "idtrack").iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("mode", [0o664, 0o600, 0o640])
def test_an_existing_output_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    ws = _workspace(tmp_path)
    for name in (OUTPUT, "plan.json"):
        (ws / name).write_text("old\n")
        (ws / name).chmod(mode)
    assert _ferryman_umask(0o077, "plan", "--out", "plan.json", cwd=ws).returncode == 0
    proc = _ferryman_umask(0o022, "run", "plan.json", "--only", "profile:strict", "--progress", "none", cwd=ws)
    assert proc.returncode == 0, proc.stderr
    for name in (OUTPUT, "plan.json"):
        assert (ws / name).stat().st_mode & 0o777 == mode, name
    assert (ws / OUTPUT).read_text().startswith("# IDTrack external databases for homo_sapiens")


@pytest.mark.parametrize(
    ("link", "target"),
    [("symlink", "ferryman.toml"), ("hardlink", "ferryman.toml"), ("symlink", "zmap/scripts/getgff.py")],
)
def test_the_task_refuses_to_write_onto_an_input(tmp_path: Path, link: str, target: str) -> None:
    """Validate refuses such a workspace (ID514); a link made after the plan is caught by the task."""
    ws = _workspace(tmp_path)
    assert ferryman("plan", "--out", "plan.json", cwd=ws).returncode == 0
    before = (ws / target).read_bytes()
    (ws / OUTPUT).unlink(missing_ok=True)
    if link == "symlink":
        (ws / OUTPUT).symlink_to(ws / target)
    else:
        (ws / OUTPUT).hardlink_to(ws / target)
    proc = ferryman("run", "plan.json", "--only", "profile:strict", "--progress", "plain", cwd=ws)
    assert proc.returncode == 1
    shown = target if target == "ferryman.toml" else str(ws / target)  # scripts: the plan's absolute path
    message = f"refusing to write {OUTPUT}: it is {shown}, an input of the workspace"
    assert f"  profile:strict: {message}" in proc.stdout.splitlines(), proc.stdout
    assert (ws / target).read_bytes() == before


def test_a_template_changed_under_a_saved_plan_fails_the_task_cleanly(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert ferryman("plan", "--out", "plan.json", cwd=ws).returncode == 0
    template = ws / "idtrack" / "homo_sapiens_externals_template.yml"
    template.write_text(template.read_text().replace("Include: false", "Include: true"))
    proc = ferryman("run", "plan.json", "--force-stale", "--only", "profile:strict", "--progress", "none", cwd=ws)
    assert proc.returncode == 1
    assert "internal error" not in proc.stdout + proc.stderr
    assert "  profile:strict: cannot apply the profile to idtrack/homo_sapiens_externals_template.yml: homo_sapiens/" \
           "gene/EntrezGene/36 has Include 'true', not false (compile the plan again)" in proc.stdout.splitlines()
    assert not (ws / OUTPUT).exists()


def test_atomic_write_keeps_a_mode_given_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    from ferryman.runtime.files import atomic_write

    target = tmp_path / "out.txt"
    atomic_write(str(target), "a\r\nb\n", mode=0o640)
    assert (target.read_bytes(), target.stat().st_mode & 0o777) == (b"a\r\nb\n", 0o640)
    with pytest.raises(IsADirectoryError):
        atomic_write(str(tmp_path), "x")
    (tmp_path / "sub").mkdir()
    with pytest.raises(OSError):
        atomic_write(str(tmp_path / "sub"), b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "sub"]
