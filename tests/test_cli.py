"""The CLI contract: exit codes, output streams, formats, usage errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from ferryman import __version__

from .conftest import ROOT, SAMPLES, ferryman


def test_version_is_fast_path() -> None:
    proc = ferryman("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"ferryman {__version__}\n"


def test_help_lists_commands() -> None:
    proc = ferryman("--help")
    assert proc.returncode == 0
    for name in ("validate", "schema", "plan", "run", "gff-check"):
        assert f"  {name}" in proc.stdout


def test_unknown_command_is_usage_error() -> None:
    proc = ferryman("frobnicate")
    assert proc.returncode == 2
    assert "unknown command 'frobnicate'" in proc.stderr


def test_unknown_option_is_usage_error() -> None:
    proc = ferryman("validate", "--bogus")
    assert proc.returncode == 2
    assert "unrecognized arguments: --bogus" in proc.stderr


def test_validate_missing_path_is_usage_error() -> None:
    proc = ferryman("validate", "no/such/file.json")
    assert proc.returncode == 2
    assert proc.stderr == "ferryman: error: no such file or folder: no/such/file.json\n"


def test_validate_without_workspace_in_cwd(tmp_path: Path) -> None:
    proc = ferryman("validate", cwd=tmp_path)
    assert proc.returncode == 2
    assert "no ferryman.toml in the current folder" in proc.stderr


def test_sample_workspace_is_clean() -> None:
    proc = ferryman("validate", cwd=SAMPLES)
    assert proc.stderr.endswith("valid\n"), proc.stderr
    assert proc.returncode == 0
    assert proc.stdout == ""


def test_sample_workspace_strict_is_clean() -> None:
    proc = ferryman("validate", "--strict", "--workspace", "samples/ferryman.toml")
    assert proc.returncode == 0, proc.stderr


def test_json_and_github_formats(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{\n  "planType": "IdCopyPlan",\n  "idList": "x\n}\n')
    proc = ferryman("validate", "--format", "json", str(bad))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["valid"] is False and doc["errors"] == 1
    d = doc["diagnostics"][0]
    assert (d["line"], d["col"], d["code"]) == (3, 13, "IO103")
    proc = ferryman("validate", "--format", "github", str(bad))
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"::error file={bad},line=3,col=13::[IO103] ")


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    plan = json.loads((SAMPLES / "copy-plans" / "human-nets.json").read_text())
    plan["source"]["password"] = "literal-secret-value"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(plan, indent=2))
    assert ferryman("validate", str(path)).returncode == 0
    strict = ferryman("validate", "--strict", str(path))
    assert strict.returncode == 1
    assert "literal-secret-value" not in strict.stderr + strict.stdout


def test_schema_lists_and_prints() -> None:
    proc = ferryman("schema")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert {"workspace", "zmap", "copy-plan", "externals"} <= set(names)
    one = ferryman("schema", "copy-plan")
    assert json.loads(one.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert ferryman("schema", "nope").returncode == 2


def test_directory_search_finds_known_files(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES / "copy-plans", tmp_path / "plans")
    (tmp_path / "notes.txt").write_text("not a config")
    # unrelated JSON outside a plans folder is skipped (any .json inside one is a plan attempt:
    # docs/formats.md, "How a file's kind is found")
    (tmp_path / "other.json").write_text('{"some": "json"}')
    proc = ferryman("validate", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("2 files valid")


def test_pre_commit_hook_manifest() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "id: ferryman-validate" in text
    assert "entry: ferryman validate --skip-unknown" in text


def test_module_entry_point_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "ferryman", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
