"""Profiles on IDTrack's own files: the externals YAMLs idtrack 0.0.5 ships (default_config), read
back by IDTrack's own reader (`ExternalDatabases.give_list_for_case`, run from the same wheel).

The wheel comes from the package registry through pip and is cached (~/.cache/ferryman-tests, or
$FERRYMAN_TEST_CACHE). The tests skip only when the registry cannot be reached; any other pip
failure, or a wheel whose hash differs from the one these values were taken from, fails them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from ferryman.compiler.profiles import blocks, flips, in_effect, render_modified

from .conftest import ferryman

REQUIREMENT = "idtrack==0.0.5"
WHEEL = "idtrack-0.0.5-py3-none-any.whl"
WHEEL_SHA256 = "be6c5dc6fca2a98d0be696ba0f17ae401d282ee68805e69a750f5fa08920d354"
ORGANISMS = ("homo_sapiens", "mus_musculus", "sus_scrofa")
SHIPPED = tuple(f"{o}_externals_{k}.yml" for o in ORGANISMS for k in ("template", "modified"))
ASSEMBLIES = {"homo_sapiens": ("36", "37", "38"), "mus_musculus": ("37", "38", "39"), "sus_scrofa": ("9", "102", "111")}
NEWEST = {"homo_sapiens": "38", "mus_musculus": "39", "sus_scrofa": "111"}
RELEASE = 115  # the newest release the shipped files list
STRICT = ["HGNC Symbol", "EntrezGene", "UniProtKB", "RefSeq_mRNA"]  # the seed's allowlist (docs/formats.md, IDTrack)

# what pip prints (with -vv) when it cannot reach an index (urllib3 / requests / socket errors)
UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution"
    r"|Name or service not known|nodename nor servname|Network is unreachable|No route to host"
    r"|Connection refused|ProxyError|ConnectTimeout|Read timed out|Max retries exceeded|connection broken by"
    r"|Could not fetch URL \S+: connection error",
    re.I,
)


def registry_unreachable(pip_output: str) -> bool:
    """Whether a failed `pip download` failed for want of the network (skip), not for another reason (fail)."""
    return bool(UNREACHABLE.search(pip_output))


def _cache_dir() -> Path:
    if os.environ.get("FERRYMAN_TEST_CACHE"):
        return Path(os.environ["FERRYMAN_TEST_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ferryman-tests"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def idtrack_wheel() -> Path:
    cache = _cache_dir() / "idtrack-0.0.5"
    wheel = cache / WHEEL
    if wheel.is_file() and _sha256(wheel) == WHEEL_SHA256:
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", REQUIREMENT, "--no-deps", "--only-binary=:all:",
               "--dest", tmp, "--timeout", "30", "--retries", "2", "--no-input", "--disable-pip-version-check", "-vv"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            pytest.skip("the package registry cannot be reached: pip download timed out")
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            if registry_unreachable(output):
                pytest.skip(f"the package registry cannot be reached: {output.strip().splitlines()[-1]}")
            errors = "\n".join(line for line in output.splitlines() if line.startswith("ERROR"))
            pytest.fail(f"pip download {REQUIREMENT} failed, and not for want of the network:\n{errors}")
        got = Path(tmp) / WHEEL
        assert got.is_file(), f"pip download gave {sorted(os.listdir(tmp))}"
        assert _sha256(got) == WHEEL_SHA256, "the registry's idtrack 0.0.5 wheel is not the one these tests know"
        os.replace(got, wheel)
    return wheel


@pytest.fixture(scope="session")
def idtrack(idtrack_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The unpacked wheel (its `idtrack/` package folder), fresh for the session."""
    root = tmp_path_factory.mktemp("idtrack-wheel")
    with zipfile.ZipFile(idtrack_wheel) as zf:
        zf.extractall(root)
    return root / "idtrack"


@pytest.fixture(scope="session")
def shipped(idtrack: Path) -> dict[str, Path]:
    folder = idtrack / "default_config"
    assert sorted(p.name for p in folder.glob("*.yml")) == sorted(SHIPPED)
    return {name: folder / name for name in SHIPPED}


# IDTrack's reader, run from the wheel. numpy and pandas are only used to build templates
# (create_template_yaml), so empty stand-ins keep them out of the test environment.
READER = textwrap.dedent(
    """
    import importlib.util, json, os, sys, types
    for name in ("numpy", "pandas"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["pandas"].DataFrame = object  # named in an annotation only
    import yaml  # the same safe loader in C: IDTrack reloads the file for every lookup
    yaml.safe_load = lambda stream: yaml.load(stream, Loader=yaml.CSafeLoader)
    module_file, repo, organism, release, assemblies = sys.argv[1:6]
    spec = importlib.util.spec_from_file_location("idtrack_external_databases", module_file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert os.access(os.path.join(repo, organism + "_externals_modified.yml"), os.R_OK)  # never the default
    out = {}
    for form in ("gene", "transcript", "translation"):
        for asm in assemblies.split(","):
            edb = mod.ExternalDatabases(organism, int(release), form, repo, int(asm))
            try:
                out.setdefault(form, {})[asm] = sorted(edb.give_list_for_case("db"))
            except Exception as exc:  # ValueError: release not listed; KeyError: a form missing
                print(json.dumps({"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}))
                sys.exit(0)
    print(json.dumps(out))
    """
)


def idtrack_reads(idtrack: Path, modified: Path, organism: str, release: int) -> Any:
    """What IDTrack's own reader makes of `modified`: {form: {assembly: [database, …]}} in effect
    for `release`, or {"error": "<exception>: <first line>"} when IDTrack fails on the file."""
    repo = modified.parent
    assert modified.name == f"{organism}_externals_modified.yml"
    proc = subprocess.run(
        [sys.executable, "-c", READER, str(idtrack / "_external_databases.py"), str(repo), organism, str(release),
         ",".join(ASSEMBLIES[organism])],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _in_effect_by_form(data: Any, organism: str, release: int) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {f: {a: [] for a in ASSEMBLIES[organism]} for f in
                                            ("gene", "transcript", "translation")}
    for form, database, assembly in in_effect(data, release, organism=organism):
        out[form][assembly].append(database)
    return {f: {a: sorted(dbs) for a, dbs in by.items()} for f, by in out.items()}


def _structured(data: Any) -> dict[str, dict[str, list[str]]]:
    """A file's own Include: true blocks as a structured allowlist."""
    out: dict[str, dict[str, list[str]]] = {}
    for b in blocks(data):
        if b.include:
            out.setdefault(b.form, {}).setdefault(b.database, []).append(b.assembly)
    return out


def _toml_allow(allow: list[str] | dict[str, dict[str, list[str]]]) -> str:
    if isinstance(allow, list):
        return f"allow = {json.dumps(allow)}\n"
    out = ""
    for form, dbs in allow.items():
        out += f"\n[profiles.allow.{json.dumps(form)}]\n"
        out += "".join(f"{json.dumps(db)} = {json.dumps(a)}\n" for db, a in dbs.items())
    return out


def _workspace(folder: Path, organism: str, template: str, allow: Any, output: str, release: int = RELEASE) -> Path:
    manifest = folder / "ferryman.toml"
    manifest.write_text(
        f'[workspace]\nname = "real"\n\n[[profiles]]\nname = "p"\norganism = "{organism}"\n'
        f'template = "{template}"\nrelease = {release}\noutput = "{output}"\n' + _toml_allow(allow),
        encoding="utf-8",
    )
    return manifest


def _load(path: Path) -> Any:
    return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


# --- every shipped file validates --------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_file_validates(shipped: dict[str, Path], name: str) -> None:
    proc = ferryman("validate", str(shipped[name]))
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "ok: 1 file valid\n", "")


def test_ferryman_and_idtrack_agree_on_the_shipped_modified_files(
    shipped: dict[str, Path], idtrack: Path, tmp_path: Path
) -> None:
    for organism in ORGANISMS:
        modified = shipped[f"{organism}_externals_modified.yml"]
        for release in (RELEASE, 100, 76):
            assert idtrack_reads(idtrack, modified, organism, release) == _in_effect_by_form(
                _load(modified), organism, release
            ), (organism, release)
        assert idtrack_reads(idtrack, modified, organism, 999)["error"] == (
            "ValueError: The Ensembl release 999 is not included in any entry of the YAML config file."
        )


# --- the strict and broad profiles across every form and assembly -------------------------------

STRICT_ON = {
    "homo_sapiens": {
        "gene": {"EntrezGene": ["37", "38"], "HGNC Symbol": ["36", "37", "38"]},
        "transcript": {"HGNC Symbol": ["36", "37"], "RefSeq_mRNA": ["37", "38"]},
        "translation": {"EntrezGene": ["36", "37"]},
    },
    "mus_musculus": {
        "gene": {"EntrezGene": ["37", "38", "39"], "HGNC Symbol": ["38", "39"]},
        "transcript": {"RefSeq_mRNA": ["37", "38", "39"]},
        "translation": {"EntrezGene": ["37"]},
    },
    "sus_scrofa": {
        "gene": {"EntrezGene": ["102", "111", "9"], "HGNC Symbol": ["102", "111", "9"]},
        "transcript": {"RefSeq_mRNA": ["102", "111", "9"]},
        "translation": {"EntrezGene": ["9"]},
    },
}


@pytest.mark.parametrize("organism", ORGANISMS)
def test_strict_profile_applies_across_every_form_and_assembly(
    shipped: dict[str, Path], idtrack: Path, tmp_path: Path, organism: str
) -> None:
    template = shipped[f"{organism}_externals_template.yml"]
    (tmp_path / template.name).write_bytes(template.read_bytes())
    _workspace(tmp_path, organism, template.name, STRICT, f"{organism}_externals_modified.yml")
    proc = ferryman("validate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # UniProtKB is a database of none of the three files: a warning, with the names it may mean
    assert proc.stderr.splitlines()[0] == (
        f"ferryman.toml:10:39: warning[ID510]: 'UniProtKB' matches no database of {organism} (similar: "
        "'UniProtKB/TrEMBL', 'Uniprot_gn', 'UniProtKB isoform', 'UniProtKB Gene Name', 'UniProtKB/Swiss-Prot') "
        "(at $.profiles[0].allow[2])"
    )
    proc = ferryman("run", "--progress", "none", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / f"{organism}_externals_modified.yml"
    assert _structured(_load(out)) == STRICT_ON[organism]
    # only Include values changed, and IDTrack reads the strict selection at every form and assembly
    changed = [a for a, b in zip(template.read_text().split("\n"), out.read_text().split("\n"), strict=True) if a != b]
    assert {line.strip() for line in changed} == {"Include: false"}
    assert len(changed) == sum(len(a) for dbs in STRICT_ON[organism].values() for a in dbs.values())
    read = idtrack_reads(idtrack, out, organism, RELEASE)
    want = _in_effect_by_form(_load(out), organism, RELEASE)
    assert read == want
    assert read["gene"][NEWEST[organism]] == ["EntrezGene", "HGNC Symbol"]


@pytest.mark.parametrize("organism", ORGANISMS)
def test_broad_profile_is_idtracks_own_selection(shipped: dict[str, Path], organism: str) -> None:
    text = shipped[f"{organism}_externals_template.yml"].read_text(encoding="utf-8")
    shipped_modified = shipped[f"{organism}_externals_modified.yml"].read_text(encoding="utf-8")
    data, chosen = _load(shipped[f"{organism}_externals_template.yml"]), _load(
        shipped[f"{organism}_externals_modified.yml"]
    )
    # broad: every database IDTrack's modified file uses, as plain names -> every form and assembly
    names = sorted({b.database for b in blocks(chosen) if b.include})
    broad = _load_text(render_modified(text, flips(data, names, RELEASE)))
    assert {b.key for b in blocks(broad) if b.include} == {b.key for b in blocks(data) if b.database in names}
    assert {b.form for b in blocks(broad) if b.include} == {"gene", "transcript", "translation"}
    assert {b.assembly for b in blocks(broad) if b.include} == set(ASSEMBLIES[organism])
    # the same choice as a structured allowlist is exact: it gives IDTrack's file byte for byte
    exact = flips(data, _structured(chosen), RELEASE)
    assert render_modified(text, exact) == shipped_modified
    assert len(exact) == sum(1 for b in blocks(chosen) if b.include)


def _load_text(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


# --- a file's own Include values reproduce it; CRLF stays CRLF ----------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_own_include_values_reproduce_the_file(shipped: dict[str, Path], name: str) -> None:
    text = shipped[name].read_text(encoding="utf-8")
    data = _load(shipped[name])
    assert flips(data, _structured(data), RELEASE) == []
    # and from the other side: from all-false to the file's own values and back
    off = flips(data, [], RELEASE)
    cleared = render_modified(text, off)
    assert not any(b.include for b in blocks(_load_text(cleared)))
    assert render_modified(cleared, flips(_load_text(cleared), _structured(data), RELEASE)) == text


@pytest.mark.parametrize("organism", ORGANISMS)
def test_run_with_a_modified_files_own_values_writes_it_byte_for_byte(
    shipped: dict[str, Path], tmp_path: Path, organism: str
) -> None:
    source = shipped[f"{organism}_externals_modified.yml"]
    (tmp_path / "in.yml").write_bytes(source.read_bytes())
    _workspace(tmp_path, organism, "in.yml", _structured(_load(source)), "out.yml")
    proc = ferryman("run", "--progress", "none", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.yml").read_bytes() == source.read_bytes()


def test_crlf_copy_validates_and_keeps_its_line_endings(shipped: dict[str, Path], tmp_path: Path) -> None:
    lf = shipped["homo_sapiens_externals_template.yml"].read_bytes()
    crlf = lf.replace(b"\n", b"\r\n")
    (tmp_path / "homo_sapiens_externals_template.yml").write_bytes(crlf)
    proc = ferryman("validate", "homo_sapiens_externals_template.yml", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "ok: 1 file valid\n")
    _workspace(tmp_path, "homo_sapiens", "homo_sapiens_externals_template.yml", STRICT[:2] + STRICT[3:], "out.yml")
    proc = ferryman("run", "--progress", "none", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = (tmp_path / "out.yml").read_bytes()
    assert out.count(b"\r\n") == crlf.count(b"\r\n") == lf.count(b"\n") and b"\n" not in out.replace(b"\r\n", b"")
    want = render_modified(lf.decode(), flips(_load_text(lf.decode()), STRICT, RELEASE))
    assert out == want.encode().replace(b"\n", b"\r\n")


# --- the odd files of docs/formats.md, IDTrack, against IDTrack's own reader ----------------------------------


def test_quoted_false_counts_as_true_in_idtrack_so_ferryman_refuses_it(
    shipped: dict[str, Path], idtrack: Path, tmp_path: Path
) -> None:
    text = shipped["sus_scrofa_externals_template.yml"].read_text(encoding="utf-8")
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip() == "Include: false")
    lines[first] = lines[first].replace("Include: false", "Include: 'false'")
    odd = tmp_path / "sus_scrofa_externals_modified.yml"
    odd.write_text("\n".join(lines), encoding="utf-8")
    data = _load(odd)
    form, database, assembly = _first_block(data)  # the block with the quoted 'false'; IDTrack turns it on
    releases = data["sus_scrofa"][form][database]["Assembly"][assembly]["Ensembl release"].split(",")
    read = idtrack_reads(idtrack, odd, "sus_scrofa", int(releases[-1]))
    assert database in read[form][assembly]
    proc = ferryman("validate", str(odd))
    assert proc.returncode == 1
    assert f"{odd.name}:{first + 1}:30: error[SC100]: the Include value is the string 'false', not true or false" in (
        proc.stderr
    )
    assert "hint: write true or false without quotes: IDTrack counts any non-empty string as true" in proc.stderr


def _first_block(data: Any) -> tuple[str, str, str]:
    for form, dbs in data["sus_scrofa"].items():
        for db, entry in dbs.items():
            for asm in entry["Assembly"]:
                return form, db, asm
    raise AssertionError("no block")


def test_flow_style_copy_is_valid_and_profiles_apply(shipped: dict[str, Path], idtrack: Path, tmp_path: Path) -> None:
    data = _load(shipped["sus_scrofa_externals_template.yml"])
    flow = tmp_path / "sus_scrofa_externals_template.yml"
    flow.write_text(yaml.safe_dump(data, default_flow_style=True, width=100000, sort_keys=False), encoding="utf-8")
    assert flow.read_text().count("\n") == 1  # one line: every mapping in flow style
    proc = ferryman("validate", "--skip-unknown", str(flow))
    assert (proc.returncode, proc.stderr, proc.stdout) == (0, "ok: 1 file valid\n", "")
    _workspace(tmp_path, "sus_scrofa", flow.name, ["EntrezGene"], "sus_scrofa_externals_modified.yml")
    proc = ferryman("run", "--progress", "none", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "sus_scrofa_externals_modified.yml"
    assert _structured(_load(out)) == {
        "gene": {"EntrezGene": ["102", "111", "9"]},
        "translation": {"EntrezGene": ["9"]},
    }
    assert idtrack_reads(idtrack, out, "sus_scrofa", RELEASE)["gene"]["111"] == ["EntrezGene"]


def test_a_form_spelled_Gene_is_an_error_never_skipped(shipped: dict[str, Path], idtrack: Path, tmp_path: Path) -> None:
    text = shipped["mus_musculus_externals_modified.yml"].read_text(encoding="utf-8")
    odd = tmp_path / "mus_musculus_externals_modified.yml"
    odd.write_text(text.replace("\n    gene:\n", "\n    Gene:\n", 1), encoding="utf-8")
    # IDTrack's reader fails on it: the release check skips a missing form, the lookup does not
    assert idtrack_reads(idtrack, odd, "mus_musculus", RELEASE) == {"error": "KeyError: 'gene'"}
    only = tmp_path / "genes" / "mus_musculus_externals_modified.yml"  # no other form to recognize it by
    only.parent.mkdir()
    only.write_text(odd.read_text().split("\n    transcript:\n")[0] + "\n", encoding="utf-8")
    for args in ((str(odd),), ("--skip-unknown", str(odd)), (str(tmp_path),), ("--skip-unknown", str(only))):
        proc = ferryman("validate", *args)
        assert proc.returncode == 1, args
        assert "mus_musculus_externals_modified.yml:2:5: error[SC100]: unknown form 'Gene' in mus_musculus: " \
               "did you mean 'gene'? (at $.mus_musculus.Gene)" in proc.stderr, args


# --- the registry check itself ------------------------------------------------------------------


def test_unreachable_registry_is_told_from_other_pip_failures(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "pip", "download", REQUIREMENT, "--no-deps", "--isolated", "--dest", str(tmp_path),
            "--retries", "0", "--timeout", "3", "--disable-pip-version-check", "-vv"]
    closed = subprocess.run([*base, "--index-url", "http://127.0.0.1:9/simple/"], capture_output=True, text=True,
                            timeout=120)
    assert closed.returncode != 0 and registry_unreachable(closed.stdout + closed.stderr), closed.stderr
    (tmp_path / "index").mkdir()
    empty = subprocess.run([*base, "--index-url", (tmp_path / "index").as_uri()], capture_output=True, text=True,
                           timeout=120)
    assert empty.returncode != 0 and not registry_unreachable(empty.stdout + empty.stderr), empty.stderr
