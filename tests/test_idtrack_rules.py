"""IDTrack externals YAML: the shape check, the ID5xx rules, profile checks, and their speed."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ferryman.cli import main
from ferryman.compiler import dialects
from ferryman.compiler.document import Document, Findings
from ferryman.compiler.loaders import tomlfile, yamlfile
from ferryman.compiler.pipeline import validate_paths
from ferryman.compiler.rules.idtrack import check, check_profile, similar_names

from .conftest import ROOT, SAMPLE_IGNORE, SAMPLES, ferryman

TEMPLATE = SAMPLES / "idtrack" / "homo_sapiens_externals_template.yml"
SCHEMA = json.loads((ROOT / "schemas" / "externals.schema.json").read_text())

BASE = """\
homo_sapiens:
    gene:
        HGNC Symbol:
            Assembly:
                "38":
                    Ensembl release: 108,109,110
                    Include: false
            Database Index: 0
            Potential Synonymous: ""
"""
_REST = BASE.split("\n", 2)[2]  # the database entry, for building longer files


def _entry(name: str, releases: str, index: int) -> str:
    return (
        _REST.replace("HGNC Symbol", name)
        .replace("108,109,110", releases)
        .replace("Database Index: 0", f"Database Index: {index}")
    )


def _doc(text: str, name: str = "t.yml") -> Document:
    result = yamlfile.load_text(text, name, "externals")
    assert result.doc is not None, result.diagnostics
    return result.doc


def lines(text: str, name: str = "t.yml") -> list[str]:
    doc = _doc(text, name)
    findings = Findings(doc)
    check(doc, findings)
    return [line for d in sorted(findings.items) for line in d.text().split("\n")]


def _gen() -> Any:
    spec = importlib.util.spec_from_file_location("gen_externals", ROOT / "benchmarks" / "gen_externals.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the shape ----------------------------------------------------------------------------------

AT_BLOCK = '(at $.homo_sapiens.gene["HGNC Symbol"].Assembly["38"]'


@pytest.mark.parametrize(
    ("old", "new", "want"),
    [
        (
            "108,109,110",
            "110",
            [
                f"t.yml:6:38: error[SC100]: the release list is the number 110, not a string {AT_BLOCK}"
                '["Ensembl release"])',
                '  hint: quote it: Ensembl release: "110" (IDTrack splits the value on commas)',
            ],
        ),
        (
            "108,109,110",
            "[108, 109]",
            [
                f't.yml:6:38: error[SC100]: the release list is a list, not a string {AT_BLOCK}["Ensembl release"])',
                '  hint: write the releases as one string: "48,49,50"',
            ],
        ),
        (
            "Include: false",
            'Include: "false"',
            [
                "t.yml:7:30: error[SC100]: the Include value is the string 'false', not true or false "
                f"{AT_BLOCK}.Include)",
                "  hint: write true or false without quotes: IDTrack counts any non-empty string as true",
            ],
        ),
        (
            "Include: false",
            "include: false",
            [
                "t.yml:7:21: error[SC100]: unknown key 'include' in assembly '38' of gene database 'HGNC Symbol': "
                f"did you mean 'Include'? {AT_BLOCK}.include)"
            ],
        ),
        (
            "                    Include: false\n",
            "",
            [f"t.yml:5:17: error[SC100]: assembly '38' of gene database 'HGNC Symbol' has no Include {AT_BLOCK})"],
        ),
        (
            "    gene:",
            "    genes:",
            [
                "t.yml:2:5: error[SC100]: unknown form 'genes' in homo_sapiens: did you mean 'gene'? "
                "(at $.homo_sapiens.genes)"
            ],
        ),
        (
            "homo_sapiens:",
            "Homo sapiens:",
            [
                "t.yml:1:1: error[SC100]: organism 'Homo sapiens' is not an Ensembl organism name "
                '(at $["Homo sapiens"])',
                "  hint: lower case, words joined by underscores: homo_sapiens",
            ],
        ),
        (
            '"38":',
            "GRCh38:",
            [
                "t.yml:5:17: error[SC100]: assembly 'GRCh38' of gene database 'HGNC Symbol' is not a number "
                '(at $.homo_sapiens.gene["HGNC Symbol"].Assembly.GRCh38)',
                '  hint: IDTrack names assemblies by number, as quoted strings: "37", "38"',
            ],
        ),
        (
            "Database Index: 0",
            "Database Index: '0'",
            [
                "t.yml:8:29: error[SC100]: the Database Index is the string '0', not a whole number "
                '(at $.homo_sapiens.gene["HGNC Symbol"]["Database Index"])'
            ],
        ),
        (
            "Database Index: 0",
            "Databse Index: 0",
            [
                "t.yml:8:13: error[SC100]: unknown key 'Databse Index' in gene database 'HGNC Symbol': "
                'did you mean \'Database Index\'? (at $.homo_sapiens.gene["HGNC Symbol"]["Databse Index"])'
            ],
        ),
        (
            'Potential Synonymous: ""',
            "Potential Synonymous:",
            [
                "t.yml:9:13: error[SC100]: the Potential Synonymous value is empty (null), not a string "
                '(at $.homo_sapiens.gene["HGNC Symbol"]["Potential Synonymous"])',
                '  hint: IDTrack writes Potential Synonymous: ""',
            ],
        ),
        ("Database Index: 0", "Database Index: 3.0", []),  # jsonschema's integer takes 3.0 too
    ],
)
def test_shape_messages(old: str, new: str, want: list[str]) -> None:
    assert old in BASE
    assert lines(BASE.replace(old, new, 1)) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("- a\n- b\n", "t.yml:1:1: error[SC100]: the file is a list, not a mapping of organisms to forms"),
        ("{}\n", "t.yml:1:1: error[SC100]: the file names no organism"),
        (
            "homo_sapiens:\n",
            "t.yml:1:1: error[SC100]: organism 'homo_sapiens' is empty (null), not a mapping of forms "
            "(at $.homo_sapiens)",
        ),
        (
            "homo_sapiens:\n    gene:\n        X:\n",
            "t.yml:3:9: error[SC100]: gene database 'X' is empty (null), not a mapping with Assembly, Database Index "
            "and Potential Synonymous (at $.homo_sapiens.gene.X)",
        ),
        (
            "homo_sapiens:\n    gene:\n        X:\n            Assembly: {}\n",
            "t.yml:4:13: error[SC100]: the Assembly of gene database 'X' is empty (at $.homo_sapiens.gene.X.Assembly)",
        ),
    ],
)
def test_shape_of_the_outer_levels(text: str, want: str) -> None:
    assert lines(text) == [want]


def test_unquoted_keys() -> None:
    assert lines(BASE.replace('"38":', "38:")) == [
        "t.yml:5:17: error[ID501]: assembly 38 is not quoted: YAML reads it as a number, not a string "
        '(at $.homo_sapiens.gene["HGNC Symbol"].Assembly["38"])',
        '  hint: write it quoted: "38":',
    ]
    assert lines(BASE.replace("HGNC Symbol:", "yes:")) == [
        "t.yml:2:5: error[ID501]: gene database name true is not quoted: YAML reads it as a boolean, not a string "
        "(at $.homo_sapiens.gene.True)",
        "  hint: write the key in double quotes",
    ]


def test_release_lists() -> None:
    text = (
        BASE.replace("108,109,110", '"48,,49"')
        + _entry("A", "48-50", 1)
        + _entry("B", "abc", 2)
        + _entry("C", '""', 3)
        + _entry("D", "48, 49 ,50", 4)
        + _entry("E", "48,49,48,49,50", 5)
    )
    hint = '  hint: write the releases as numbers separated by commas, e.g. "48,49,50"'
    assert lines(text) == [
        "t.yml:6:38: error[ID502]: release list '48,,49' has an empty item "
        '(at $.homo_sapiens.gene["HGNC Symbol"].Assembly["38"]["Ensembl release"])',
        hint,
        "t.yml:13:38: error[ID502]: release list '48-50' has the range '48-50': list each release "
        '(at $.homo_sapiens.gene.A.Assembly["38"]["Ensembl release"])',
        hint,
        "t.yml:20:38: error[ID502]: release list 'abc' has 'abc', which is not a release number "
        '(at $.homo_sapiens.gene.B.Assembly["38"]["Ensembl release"])',
        hint,
        "t.yml:27:38: error[ID502]: the release list is empty "
        '(at $.homo_sapiens.gene.C.Assembly["38"]["Ensembl release"])',
        hint,
        "t.yml:41:38: warning[ID503]: releases 48, 49 are listed twice "
        '(at $.homo_sapiens.gene.E.Assembly["38"]["Ensembl release"])',
    ]


def test_database_index_identifies_one_name() -> None:
    text = (
        BASE
        + _entry("EntrezGene", "108", 0).replace("release: 108", 'release: "108"')
        + "    transcript:\n"
        + _entry("HGNC Symbol", "108,109", 7)
    )
    assert lines(text) == [
        "t.yml:15:29: warning[ID504]: Database Index 0 of 'EntrezGene' is also the index of gene database "
        "'HGNC Symbol' (at $.homo_sapiens.gene.EntrezGene[\"Database Index\"])",
        "  hint: IDTrack gives each database name one index, the same in every form",
        "t.yml:23:29: warning[ID504]: 'HGNC Symbol' has Database Index 7 here but 0 in gene "
        '(at $.homo_sapiens.transcript["HGNC Symbol"]["Database Index"])',
        "  hint: IDTrack gives each database name one index, the same in every form",
    ]


def test_template_with_include_true_and_file_names() -> None:
    on = BASE.replace("Include: false", "Include: true")
    text = on + _entry("X", "108", 1).replace("Include: false", "Include: true").replace(
        "release: 108", 'release: "108"'
    )
    assert lines(text, "homo_sapiens_externals_template.yml") == [
        "homo_sapiens_externals_template.yml:7:21: warning[ID505]: template homo_sapiens_externals_template.yml "
        'has Include: true here (and 1 more block) (at $.homo_sapiens.gene["HGNC Symbol"].Assembly["38"].Include)',
        "  hint: a template keeps every Include false; a profile's allowlist writes the modified file",
    ]
    assert lines(text, "homo_sapiens_externals_modified.yml") == []
    assert lines(BASE, "sus_scrofa_externals_modified.yaml") == [
        "sus_scrofa_externals_modified.yaml:1:1: warning[ID506]: the file name says sus_scrofa but the file holds "
        "homo_sapiens (at $.homo_sapiens)",
        "  hint: IDTrack finds the file by its name: <organism>_externals_modified.yml",
    ]


def test_sample_and_real_size_files_are_clean() -> None:
    assert lines(TEMPLATE.read_text(), TEMPLATE.name) == []
    gen = _gen()
    for organism in ("homo_sapiens", "mus_musculus", "sus_scrofa"):
        assert lines(gen.generate(organism), f"{organism}_externals_template.yml") == []


# --- the hand-written check says what the schema says ------------------------------------------


def _paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*at, k))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    if not path:
        return value
    node = out
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return out


def _mutations(data: Any) -> Iterator[tuple[str, Any]]:
    values: list[Any] = [
        None,
        0,
        -1,
        1.5,
        3.0,
        True,
        "",
        "x",
        "110",
        "48,49",
        " 48 , 49",
        "48-50",
        [],
        [1],
        {},
        {"k": 1},
    ]
    for path in _paths(data):
        for value in values:
            yield f"{path} = {value!r}", _set(data, path, value)
        node = data
        for k in path:
            node = node[k]
        if isinstance(node, dict):
            for key in node:
                without = {k: v for k, v in node.items() if k != key}
                yield f"{path} without {key!r}", _set(data, path, without)
                renamed = {(int(k) if isinstance(k, str) and k.isdigit() else f"{k}x"): v for k, v in node.items()}
                yield f"{path} keys renamed", _set(data, path, renamed)
            yield f"{path} + Extra", _set(data, path, {**node, "Extra": {}})
            yield f"{path} + 7", _set(data, path, {**node, 7: {}})


def test_shape_check_agrees_with_the_schema() -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(SCHEMA)
    base = yaml.safe_load(BASE + "    transcript:\n" + _entry("RefSeq_mRNA", '"110"', 1))
    assert validator.is_valid(base)
    checked = 0
    for label, data in _mutations(base):
        doc = Document("t.yml", "externals", data, "")
        findings = Findings(doc)
        check(doc, findings)
        says_invalid = any(d.is_error and d.code in ("SC100", "ID502") for d in findings.items)
        assert says_invalid == (not validator.is_valid(data)), label
        checked += 1
    assert checked > 300


def test_schema_accepts_the_sample_and_real_size_files() -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(SCHEMA)
    assert validator.is_valid(yaml.safe_load(TEMPLATE.read_text()))
    assert validator.is_valid(yaml.safe_load(_gen().generate("sus_scrofa")))
    assert SCHEMA["$id"] == "https://ferryman.dev/schemas/externals.schema.json"


# --- profiles -----------------------------------------------------------------------------------

MANIFEST = """\
[workspace]
name = "x"

[[profiles]]
name = "p"
organism = "homo_sapiens"
template = "homo_sapiens_externals_template.yml"
release = 110
output = "out.yml"
"""


def profile_lines(
    allow: str, *, release: int = 110, organism: str = "homo_sapiens", template: str | None = None
) -> list[str]:
    text = MANIFEST.replace("release = 110", f"release = {release}\nallow = {allow}").replace(
        '"homo_sapiens"', json.dumps(organism)
    )
    result = tomlfile.load_text(text, "ferryman.toml", "manifest")
    assert result.doc is not None
    externals = _doc(template or TEMPLATE.read_text(), "homo_sapiens_externals_template.yml")
    findings = Findings(result.doc)
    check_profile(result.doc.data["profiles"][0], ("profiles", 0), externals, findings)
    return [line for d in sorted(findings.items) for line in d.text().split("\n")]


def test_the_seed_allowlist() -> None:
    assert profile_lines('["HGNC Symbol", "EntrezGene", "UniProtKB", "RefSeq_mRNA"]') == [
        "ferryman.toml:9:39: warning[ID510]: 'UniProtKB' matches no database of homo_sapiens "
        "(similar: 'Uniprot_gn', 'Uniprot/SPTREMBL', 'Uniprot/Varsplic', 'Uniprot/SWISSPROT') "
        "(at $.profiles[0].allow[2])",
        "  hint: names are exact and case-sensitive, as the template writes them",
    ]


def test_strict_profile_is_clean() -> None:
    assert profile_lines('["HGNC Symbol", "EntrezGene", "RefSeq_mRNA", "Uniprot/SWISSPROT"]') == []


def test_unmatched_names() -> None:
    got = [line.split(": ", 2)[2] for line in profile_lines('["entrezgene", "Zebrafish Atlas"]') if "ID510" in line]
    assert sorted(got) == [
        "'Zebrafish Atlas' matches no database of homo_sapiens (at $.profiles[0].allow[1])",
        "'entrezgene' matches no database of homo_sapiens (similar: 'EntrezGene') (at $.profiles[0].allow[0])",
    ]
    assert similar_names("RefSeq mRNA", ["RefSeq_mRNA", "RefSeq_mRNA_predicted", "CCDS"]) == [
        "RefSeq_mRNA",
        "RefSeq_mRNA_predicted",
    ]


def test_structured_allowlist() -> None:
    got = profile_lines(
        '{ protein = { EMBL = ["38"] }, gene = { "RefSeq_mRNA" = ["38"], "HGNC Symbl" = ["38"], '
        '"HGNC Symbol" = ["36", "39"] } }'
    )
    assert [g.split(": ", 2)[2] for g in got if not g.startswith("  hint")] == [
        "form 'protein' is not in homo_sapiens_externals_template.yml (it has gene, transcript, translation) "
        "(at $.profiles[0].allow.protein)",
        "'HGNC Symbl' is not a gene database of homo_sapiens (similar: 'HGNC Symbol') "
        '(at $.profiles[0].allow.gene["HGNC Symbl"])',
        "'RefSeq_mRNA' is not a gene database of homo_sapiens (it is a transcript database) "
        "(at $.profiles[0].allow.gene.RefSeq_mRNA)",
        "gene database 'HGNC Symbol' has no assembly '39' in homo_sapiens_externals_template.yml "
        "(it has '36', '37', '38') (at $.profiles[0].allow.gene[\"HGNC Symbol\"][1])",
    ]
    assert all(": error[ID511]: " in g for g in got if not g.startswith("  hint"))


def test_release_and_organism() -> None:
    assert profile_lines('["HGNC Symbol"]', release=47) == [
        "ferryman.toml:8:1: error[ID512]: release 47 is not included in any homo_sapiens entry of "
        "homo_sapiens_externals_template.yml (it lists releases 48 to 115) (at $.profiles[0].release)",
        "  hint: use a release the template lists, or regenerate the template with IDTrack",
    ]
    assert profile_lines('["HGNC Symbol"]', organism="sus_scrofa") == [
        "ferryman.toml:6:1: error[ID513]: organism 'sus_scrofa' is not in homo_sapiens_externals_template.yml, "
        "which holds homo_sapiens (at $.profiles[0].organism)",
        "  hint: set organism to the one the template holds, or point template at that organism's file",
    ]
    # a list that does not parse may hold the release: the template's own ID502 says enough
    assert profile_lines('["HGNC Symbol"]', template=BASE.replace("108,109,110", "abc")) == []
    empty = "homo_sapiens:\n    gene: {}\n"
    assert profile_lines('["HGNC Symbol"]', template=empty)[0].endswith(
        "(it lists no release) (at $.profiles[0].release)"
    )


def test_malformed_profiles_and_templates_are_tolerated() -> None:
    manifest = tomlfile.load_text(MANIFEST, "ferryman.toml", "manifest").doc
    assert manifest is not None
    findings = Findings(manifest)
    good = _doc(TEMPLATE.read_text())
    for profile in (
        {},
        {"organism": 3, "allow": 5, "release": "110"},
        {"allow": [1, None], "release": True},
        {"allow": {"gene": 3, "transcript": {"RefSeq_mRNA": "38"}}},
    ):
        check_profile(profile, ("profiles", 0), good, findings)
    templates: list[Any] = [[], None, {"homo_sapiens": None}, {"homo_sapiens": {"gene": [1]}}]
    for data in templates:
        check_profile(
            {"organism": "homo_sapiens", "allow": ["x"], "release": 1},
            ("profiles", 0),
            Document("t.yml", "externals", data, ""),
            findings,
        )
    # only the last template has forms to look in: release 1 is in none, and 'x' names nothing
    assert [d.code for d in findings.items] == ["ID512", "ID510"]


# --- through the CLI ----------------------------------------------------------------------------


def test_cli_profile_sample_output() -> None:
    proc = ferryman("validate", "samples/invalid/ID510")
    assert proc.returncode == 0
    assert proc.stderr == (
        "samples/invalid/ID510/ferryman.toml:9:25: warning[ID510]: 'UniProtKB' matches no database of homo_sapiens "
        "(similar: 'Uniprot/SPTREMBL', 'Uniprot/SWISSPROT') (at $.profiles[0].allow[1])\n"
        "  hint: names are exact and case-sensitive, as the template writes them\n"
        "0 errors, 1 warning in 2 files\n"
    )


@pytest.mark.parametrize(
    "code", ["ID501", "ID502", "ID503", "ID504", "ID505", "ID506", "ID511", "ID512", "ID513", "ID514", "ID515", "ID516"]
)
def test_cli_sample_prints_exactly_its_line(code: str) -> None:
    if code == "ID502" and dialects.DIALECTS["externals"].schema is not None:
        pytest.skip("jsonschema still checks externals and reports the release pattern too (SC100)")
    sample = next(p for p in sorted((SAMPLES / "invalid").glob(f"{code}*")) if p.suffix != ".expected")
    proc = ferryman("validate", str(sample.relative_to(ROOT)))
    expected = (SAMPLES / "invalid" / f"{code}.expected").read_text().rstrip("\n")
    diagnostics = [line for line in proc.stderr.splitlines() if not line.startswith(("  hint:", "0 errors", "1 error"))]
    assert diagnostics == [expected], proc.stderr
    assert proc.returncode == (1 if "error[" in expected else 0)


def test_cli_sample_template_is_valid() -> None:
    proc = ferryman("validate", "samples/idtrack/homo_sapiens_externals_template.yml")
    assert (proc.returncode, proc.stderr) == (0, "ok: 1 file valid\n")


def _shape_in_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The configuration this module is built for: the externals kind runs no jsonschema."""
    externals = dataclasses.replace(dialects.DIALECTS["externals"], schema=None)
    monkeypatch.setitem(dialects.DIALECTS, "externals", externals)


def test_cli_reports_an_unquoted_release_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _shape_in_rules(monkeypatch)
    (tmp_path / "homo_sapiens_externals_modified.yml").write_text(BASE.replace("108,109,110", "110"))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "homo_sapiens_externals_modified.yml"]) == 1
    assert capsys.readouterr().err == (
        "homo_sapiens_externals_modified.yml:6:38: error[SC100]: the release list is the number 110, not a string "
        '(at $.homo_sapiens.gene["HGNC Symbol"].Assembly["38"]["Ensembl release"])\n'
        '  hint: quote it: Ensembl release: "110" (IDTrack splits the value on commas)\n'
        "1 error, 0 warnings in 1 file\n"
    )


# --- speed (DESIGN 8: validate within 3x of the bare parse) ---------------------------------------


def test_three_real_size_files_validate_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real-size files validate without a finding (their speed is measured by
    benchmarks/validate_bench.py, not by timed assertions here)."""
    _shape_in_rules(monkeypatch)
    gen = _gen()
    files = []
    for organism in ("homo_sapiens", "mus_musculus", "sus_scrofa"):
        path = tmp_path / f"{organism}_externals_template.yml"
        path.write_text(gen.generate(organism))
        files.append(str(path))
    texts = [Path(f).read_text() for f in files]
    docs = [_doc(t, Path(f).name) for t, f in zip(texts, files, strict=True)]

    def rules() -> None:
        for doc in docs:
            findings = Findings(doc)
            check(doc, findings)
            assert not findings.items

    rules()
    report = validate_paths(files)
    assert (report.files, report.diagnostics) == (3, [])


# --- a profile's output is never an input -------------------------------------------------------


def _demo(tmp_path: Path, output: str, extra: str = "") -> Path:
    """The sample workspace in `tmp_path`, its profile writing to `output`."""
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=SAMPLE_IGNORE)
    manifest = ws / "ferryman.toml"
    text = manifest.read_text()
    old = 'output = "idtrack/homo_sapiens_externals_modified.yml"'
    assert text.count(old) == 1
    manifest.write_text(text.replace(old, f"output = {json.dumps(output)}") + extra)
    return ws


SECOND = """
[[profiles]]
name = "mouse"
organism = "homo_sapiens"
template = "idtrack/second_externals_template.yml"
allow = ["HGNC Symbol"]
release = 110
output = "idtrack/second.yml"
"""


@pytest.mark.parametrize(
    ("output", "role"),
    [
        ("ferryman.toml", "the manifest"),
        ("./idtrack/../ferryman.toml", "the manifest"),
        ("idtrack/homo_sapiens_externals_template.yml", "the profile's own template"),
        ("idtrack/second_externals_template.yml", "a profile's template"),
        ("zmap/ZMap", "the ZMap config"),
        ("copy-plans/human-nets.json", "a copy plan"),
        ("copy-plans/new.json", "a copy plan (a *.json file in the plans folder)"),
        ("zmap/styles.ini", "a stylesfile of the ZMap config"),
        ("zmap/scripts/getgff.py", "the pipe script of source 'havana'"),
        ("link.yml", "the profile's own template"),
        ("hardlink.yml", "the profile's own template"),
    ],
)
def test_profile_output_onto_an_input_is_refused(tmp_path: Path, output: str, role: str) -> None:
    ws = _demo(tmp_path, output, SECOND)
    (ws / "idtrack" / "second_externals_template.yml").write_bytes(TEMPLATE.read_bytes())
    (ws / "link.yml").symlink_to("idtrack/homo_sapiens_externals_template.yml")
    (ws / "hardlink.yml").hardlink_to(ws / "idtrack" / "homo_sapiens_externals_template.yml")
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    proc = ferryman("validate", cwd=ws)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[:2] == [
        f"ferryman.toml:28:1: error[ID514]: output {output} is {role}, an input of the workspace: "
        "a run would overwrite it (at $.profiles[0].output)",
        "  hint: write the modified YAML to a file of its own, e.g. <organism>_externals_modified.yml",
    ]
    proc = ferryman("run", "--progress", "none", cwd=ws)
    assert proc.returncode == 1 and "error[ID514]" in proc.stderr
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before


def test_profile_output_elsewhere_is_fine(tmp_path: Path) -> None:
    ws = _demo(tmp_path, "out/modified.json")  # a .json outside the plans folder is no copy plan
    proc = ferryman("validate", cwd=ws)
    assert (proc.returncode, proc.stderr) == (0, "ok: 5 files valid\n")


@pytest.mark.parametrize(
    ("output", "message"),
    [("", "output is empty"), (" ", "output is empty"), ("idtrack", "output idtrack is a folder"),
     ("fifo", "output fifo is not a regular file")],
)
def test_profile_output_must_be_a_regular_file(tmp_path: Path, output: str, message: str) -> None:
    import os

    ws = _demo(tmp_path, output)
    os.mkfifo(ws / "fifo")
    proc = ferryman("validate", cwd=ws, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == f"ferryman.toml:28:1: error[ID515]: {message} (at $.profiles[0].output)"


def test_recognized_in_flow_style_and_with_a_misspelt_form_but_not_its_schema() -> None:
    flow = '{homo_sapiens: {Gene: {HGNC Symbol: {Assembly: {"38": {Ensembl release: "110", Include: false}}}}}}\n'
    as_json = json.dumps(yaml.safe_load(flow.replace("Gene", "translation")))
    for text in (flow, as_json, BASE.replace("    gene:", "    GENE:")):
        kind = dialects.detect("x.yml", text)
        assert kind is not None and kind.name == "externals", text
    schema = (ROOT / "schemas" / "externals.schema.json").read_text()
    assert dialects.detect("externals.schema.json", schema) is None
