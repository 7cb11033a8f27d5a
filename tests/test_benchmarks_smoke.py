"""The validate and plan benchmarks run end to end on a tiny workspace (`--scale 0.01`).

The figures of a tiny run mean little; what is checked is that every measure is taken (no ERROR
row), that the table and the JSON report say the same, and that the generated workspace and the
bare-parse peer are what the benchmarks claim they are.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import common  # noqa: E402
import real_shaped  # noqa: E402
import validate_bench  # noqa: E402

from .conftest import ferryman  # noqa: E402


def _run(script: str, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / f"{script}.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--scale", "0.01", "--repeat", "1", "--json", str(out),
         "--data-dir", str(tmp_path / "data"), *extra],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, json.loads(out.read_text())


def _check_rows(report: dict[str, Any], stdout: str, measures: list[str]) -> None:
    assert [r["measure"] for r in report["rows"]] == measures
    for row in report["rows"]:
        assert row["error"] is None
        assert row["status"] in ("ok", "MISS")
        assert len(row["ferryman_samples_s"]) == len(row["peer_samples_s"]) == 1
        assert row["ferryman_median_s"] > 0 and row["peer_median_s"] > 0
        assert math.isclose(row["ratio"], row["ferryman_median_s"] / row["peer_median_s"], rel_tol=1e-3)
        # the table shows the same figures, and MISS exactly where the JSON says the target was missed
        line = next(li for li in stdout.splitlines() if li.startswith(f"{row['measure']} vs {row['peer']}"))
        assert line.split()[-1] == row["status"]
        assert f"{row['ratio']:.2f}x" in line
    assert ("all targets met" in stdout) == report["all_ok"]


def test_validate_bench_smoke(tmp_path: Path) -> None:
    proc, report = _run("validate_bench.py", tmp_path)
    _check_rows(
        report,
        proc.stdout,
        ["(a) validate 20 plans", "(a') validate 20 plans (seed form)", "(b) validate --workspace",
         "(b') validate --workspace, real-shaped", "(c) ferryman --version"],
    )
    assert report["workspace"]["plans"] == 20 and report["workspace"]["sources"] == 100
    # (b') ran on the real-shaped workspace at the same scale, found clean, and says what its externals are
    real = report["rows"][3]
    assert real["note"].startswith("20 copy plans, 100 sources (")
    assert "externals: IDTrack 0.0.5's own templates" in real["note"] or "externals: FALLBACK" in real["note"]
    assert real["note"].endswith("ferryman said: ok: 25 files valid")
    assert (tmp_path / "data" / "realws-s0_01-v2" / ".complete").is_file()
    # the seed form (documented strings) is as clean as ours: no warning for "10" or "false"
    assert [r["note"] for r in report["rows"][:2]] == ["ferryman said: ok: 20 files valid"] * 2
    assert proc.stdout.splitlines()[0] == "ferryman validate benchmark"


def test_plan_bench_smoke(tmp_path: Path) -> None:
    proc, report = _run("plan_bench.py", tmp_path)
    _check_rows(
        report,
        proc.stdout,
        ["(1) compile (API, in-process)", "(2) plan --format json", "(3) plan --format text"],
    )
    assert [r["target"] for r in report["rows"]] == [1.5, 2.0, 2.0]
    # 100 pipe sources + 20 copy plans + 3 profiles
    assert "123 tasks compiled" in report["rows"][0]["note"]


def test_pipe_bench_smoke(tmp_path: Path) -> None:
    # 20 scripts per measure: both sides run, every output is written, the table and the JSON agree
    out = tmp_path / "pipe.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "pipe_bench.py"), "--tasks", "20", "--repeat", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    _check_rows(report, proc.stdout, ["(a) run 20 tiny scripts", "(b) run 20 FlyBase-excerpt scripts"])
    assert [r["target"] for r in report["rows"]] == [2.0, 2.0]
    assert "throughput ratio" in proc.stdout


@pytest.mark.slow
def test_ndex_bench_smoke(tmp_path: Path) -> None:
    # a 1 MB network and 6 small ones, copied between real local servers by ferryman run and by curl
    out = tmp_path / "ndex.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "ndex_bench.py"), "--size-mb", "1", "--networks", "6", "--json", str(out),
         "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    rows = {r["measure"].split()[0]: r for r in report["rows"]}
    assert list(rows) == ["(1a)", "(1b)", "(1c)", "(2)"]
    for key, row in rows.items():
        assert row["error"] is None, row
        line = next(li for li in proc.stdout.splitlines() if li.startswith(key))
        if key != "(2)":  # the three measures with a target say ok or MISS, as the JSON does
            assert row["status"] in ("ok", "MISS") and line.split()[-1] == row["status"]
    for key in ("(1a)", "(1b)"):
        f = rows[key]["figures"]
        assert f["ferryman_s"] > 0 and f["raw_s"] > 0
        assert math.isclose(f["throughput_ratio"], f["raw_s"] / f["ferryman_s"])
    # the transfer ends before the target's load does, on both sides
    assert rows["(1b)"]["figures"]["ferryman_s"] < rows["(1a)"]["figures"]["ferryman_s"]
    assert rows["(1b)"]["figures"]["raw_s"] < rows["(1a)"]["figures"]["raw_s"]
    assert 10 < rows["(1c)"]["figures"]["max_rss_mb"] < 1000
    assert rows["(2)"]["figures"]["speedup"] > 0
    size = int(proc.stdout.split("large network: ", 1)[1].split(" MB (", 1)[1].split(" bytes", 1)[0].replace(",", ""))
    assert 0.8e6 < size < 1.1e6 and "; small networks: 6" in proc.stdout
    assert "load during the run: mean" in proc.stdout
    assert ("all targets met" in proc.stdout) == report["all_ok"]
    # the servers' data went away with the run; only the cached CX file stays
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["ndex-network-1mb-v1.cx"]


def test_generated_workspace_is_deterministic_and_complete(tmp_path: Path) -> None:
    a = common.workspace(0.01, data=tmp_path / "a")
    b = common.workspace(0.01, data=tmp_path / "b")
    files_a = sorted(p.relative_to(a.root) for p in a.root.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b.root) for p in b.root.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a.root / rel).read_bytes() == (b.root / rel).read_bytes(), rel
    assert len(a.plan_files()) == 20
    zmap = a.zmap.read_text()
    assert zmap.count("url = pipe:///") == 100
    groups = zmap.split("[Server-groups]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [g.split(" = ")[0] for g in groups] == ["grp_001", "grp_002"]
    for script in common.SCRIPTS:
        path = a.root / "zmap" / "scripts" / script
        assert path.read_text().startswith("#!") and path.stat().st_mode & 0o111
    plans = [json.loads(p.read_text()) for p in a.plan_files()]
    assert {p["planType"] for p in plans} == {"IdCopyPlan", "QueryCopyPlan"}
    assert all(p[side]["password"].startswith("${env:") for p in plans for side in ("source", "target"))


def _validates_clean(ws: common.Workspace) -> None:
    """`ferryman validate --workspace` says ok with no warning, and `ferryman plan` compiles it."""
    checked = ferryman("validate", "--workspace", "ferryman.toml", cwd=ws.root)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "warning" not in checked.stdout + checked.stderr
    assert checked.stderr.strip().splitlines()[-1] == f"ok: {len(ws.plan_files()) + 5} files valid"
    planned = ferryman("plan", "--workspace", "ferryman.toml", "--format", "json", cwd=ws.root)
    assert planned.returncode == 0, planned.stderr
    tasks = json.loads(planned.stdout)["tasks"]
    ids = {t["id"] for t in tasks}
    assert {f"profile:{o.split('_')[0]}-strict" for o in common.ORGANISMS} <= ids
    assert sum(i.startswith("ndex:") for i in ids) == len(ws.plan_files())
    zmap = ws.zmap.read_text()
    assert sum(i.startswith("pipe:") for i in ids) == zmap.count("url=pipe:") + zmap.count("url = pipe:")


def test_real_shaped_workspace_validates_clean(tmp_path: Path) -> None:
    # IDTrack's own templates from its wheel; when the registry cannot be had, the fallback, said aloud
    ws = real_shaped.workspace(0.01, data=tmp_path)
    if "FALLBACK" in ws.note:
        import warnings

        warnings.warn(f"real-shaped workspace without the idtrack wheel: {ws.note}", stacklevel=1)
    else:
        assert ws.note == "externals: IDTrack 0.0.5's own templates (from its wheel)"
        template = (ws.root / "idtrack" / "homo_sapiens_externals_template.yml").read_bytes()
        assert hashlib.sha256(template).hexdigest() == hashlib.sha256(
            zipfile.ZipFile(tmp_path / real_shaped.IDTRACK_WHEEL).read(
                "idtrack/default_config/homo_sapiens_externals_template.yml")).hexdigest()
    _validates_clean(ws)


def test_real_shaped_fallback_externals_validate_clean(tmp_path: Path) -> None:
    ws = real_shaped.workspace(0.01, data=tmp_path, externals="generated")
    assert ws.note.startswith("externals: FALLBACK to gen_externals.py templates")
    _validates_clean(ws)
    # the wheel was not asked for
    assert not (tmp_path / real_shaped.IDTRACK_WHEEL).exists()


def test_real_shaped_workspace_is_deterministic_and_real_shaped(tmp_path: Path) -> None:
    a = real_shaped.workspace(0.02, data=tmp_path / "a", externals="generated")
    b = real_shaped.workspace(0.02, data=tmp_path / "b", externals="generated")
    files = sorted(p.relative_to(a.root) for p in a.root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b.root) for p in b.root.rglob("*") if p.is_file())
    for rel in files:
        assert (a.root / rel).read_bytes() == (b.root / rel).read_bytes(), rel
    text = a.zmap.read_text()
    lines = text.splitlines()
    urls = [li.split("=", 1)[1].strip() for li in lines if li.startswith("url")]
    assert len(urls) == 200
    assert {u.split(":", 1)[0] for u in urls} >= {"pipe", "file", "ensembl", "http"}
    # otter's filter_get with a long argument list, and otter's bam_get / bigwig_get
    otter = [u for u in urls if u.startswith("pipe:///filter_get?")]
    assert otter and min(u.count("&") for u in otter) >= 15 and "server_script=get_gff%2F" in otter[0]
    assert any(u.startswith(("pipe:///bam_get?", "pipe:///bigwig_get?")) for u in urls)
    # ZMap's display stanzas, comments, both key spellings, several stylesfiles
    for stanza in ("[ZMapWindow]", "[columns]", "[featureset-description]", "[featureset-related]", "[glyphs]",
                   "[featureset-style]", "[Server-groups]"):
        assert stanza in lines, stanza
    assert sum(li.startswith("#") for li in lines) > 10
    assert any(li.startswith("url=") for li in lines) and any(li.startswith("url = ") for li in lines)
    assert "stylesfile=styles-rnaseq.ini" in lines or "stylesfile = styles-rnaseq.ini" in lines
    # a partial [featureset-style]: most featuresets are drawn in their own name's style
    mapped = text.split("[featureset-style]\n", 1)[1].split("\n\n", 1)[0].count("\n") + 1
    featuresets = {f.strip() for li in lines if li.startswith("featuresets")
                   for f in li.split("=", 1)[1].split(";") if f.strip()}
    assert 0 < mapped < len(featuresets) / 2
    styles = (a.root / "zmap" / "styles.ini").read_text()
    assert styles.count("\n[") >= 300 and styles.count("parent-style") >= 290
    plans = [p.read_text() for p in a.plan_files()]
    assert any('"planType" : "QueryCopyPlan"' in p for p in plans)  # the seed's own look
    assert any('"queryLimit": "' in p or '"queryLimit" : "' in p for p in plans)  # the seed's string form
    loaded = [json.loads(p) for p in plans]
    assert {p["planType"] for p in loaded} == {"IdCopyPlan", "QueryCopyPlan"}
    assert all(p[side]["password"].startswith("${env:") for p in loaded for side in ("source", "target"))
    assert len({p["source"]["route"] for p in loaded}) >= 4


def test_bare_parse_reads_every_stylesfile(tmp_path: Path) -> None:
    ws = real_shaped.workspace(0.01, data=tmp_path, externals="generated")
    ok = subprocess.run([sys.executable, "-c", validate_bench.BARE_PARSE, "ferryman.toml"], cwd=ws.root,
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    # a key before any group: only a source's own stylesfile holds it, and the bare parse trips on it
    rnaseq = ws.root / "zmap" / "styles-rnaseq.ini"
    rnaseq.write_text("mode=graph\n" + rnaseq.read_text())
    bad = subprocess.run([sys.executable, "-c", validate_bench.BARE_PARSE, "ferryman.toml"], cwd=ws.root,
                         capture_output=True, text=True, check=False)
    assert bad.returncode != 0 and "TypeError" in bad.stderr


def test_sizes_at_full_scale_are_design_8() -> None:
    s = common.Sizes.at(1)
    assert (s.plans, s.sources, s.groups, s.databases, s.assembly_blocks) == (2000, 10000, 200, 270, 470)


def test_bare_parse_reads_every_file(tmp_path: Path) -> None:
    ws = common.workspace(0.01, data=tmp_path)
    ok = subprocess.run([sys.executable, "-c", validate_bench.BARE_PARSE, "ferryman.toml"], cwd=ws.root,
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    # a broken plan and a broken template each make it fail: it really parses them
    plan = ws.plan_files()[-1]
    plan.write_text("{")
    bad = subprocess.run([sys.executable, "-c", validate_bench.BARE_PARSE, "ferryman.toml"], cwd=ws.root,
                         capture_output=True, text=True, check=False)
    assert "JSONDecodeError" in bad.stderr
    plan.write_text("{}")
    (ws.root / "idtrack" / "sus_scrofa_externals_template.yml").write_text("a: [")
    bad = subprocess.run([sys.executable, "-c", validate_bench.BARE_PARSE, "ferryman.toml"], cwd=ws.root,
                         capture_output=True, text=True, check=False)
    assert "yaml" in bad.stderr and "ParserError" in bad.stderr


def test_table_marks_misses() -> None:
    rows = [
        common.Row("fast", "peer", [1.0, 2.0, 3.0], [4.0, 4.0, 4.0], 0.7),
        common.Row("slow", "peer", [3.0], [1.0], 1.5),
        common.Row.failed("broken", "peer", 2.0, "boom"),
    ]
    assert common.table(rows) == (
        "measure         ferryman s  peer s  ratio   target\n"
        "--------------------------------------------------\n"
        "fast vs peer         2.000   4.000  0.50x  <= 0.7x  ok\n"
        "slow vs peer         3.000   1.000  3.00x  <= 1.5x  MISS\n"
        "broken vs peer           -       -      -    <= 2x  ERROR\n"
    )


@pytest.mark.parametrize("argv", [["--repeat", "0"], ["--scale", "0"]])
def test_bad_options_are_usage_errors(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, str(BENCH / "validate_bench.py"), *argv],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "must be" in proc.stderr
