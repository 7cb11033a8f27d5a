"""Issue 8 points 8-11 (copy plans as ndex-sync reads them, secrets in messages, huge numbers,
sniffing), each example a test through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SOURCE = {"route": "http://127.0.0.1:8765/v2", "username": "curator", "password": "${env:NDEX_SOURCE_PASSWORD}"}
TARGET = {"route": "http://127.0.0.1:8765/v2", "username": "mirror", "password": "${env:NDEX_TARGET_PASSWORD}"}


def ferryman(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ferryman", *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def query_plan(**fields: Any) -> dict[str, Any]:
    plan = {"planType": "QueryCopyPlan", "source": SOURCE, "target": TARGET, "queryString": "*", "queryLimit": 5}
    return {**plan, **fields}


def write(folder: Path, name: str, plan: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")


def lines_of(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if not line.startswith("  hint:")]


# --- point 8: documented forms silent, Jackson's other forms warn -------------------------------------

INTEGERS = "0 is read as false and any other integer as true"


def test_the_ndex_sync_documentation_plan_passes_strict(tmp_path: Path) -> None:
    write(tmp_path, "doc.json", query_plan(queryLimit="10", updateTargetNetwork="false", updateReadOnlyNetwork="false"))
    proc = ferryman("validate", "--strict", "doc.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "ok: 1 file valid\n")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("updateTargetNetwork", "True", 'updateTargetNetwork "True" is read as true'),
        ("updateTargetNetwork", 1, f"updateTargetNetwork 1 is read as true; {INTEGERS}"),
        ("updateReadOnlyNetwork", 0, f"updateReadOnlyNetwork 0 is read as false; {INTEGERS}"),
        ("queryLimit", " 10", 'queryLimit " 10" is read as 10; blanks around it are ignored'),
        ("queryLimit", "010", 'queryLimit "010" is read as 10; leading zeros are ignored (it is not octal)'),
        ("queryLimit", 10.0, "queryLimit 10.0 is read as 10"),
    ],
)
def test_other_jackson_forms_are_warnings(tmp_path: Path, field: str, value: Any, message: str) -> None:
    write(tmp_path, "plan.json", query_plan(**{field: value}))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [line, summary] = lines_of(proc)
    assert line.endswith(f": warning[ND405]: {message} (at $.{field})"), line
    assert summary == "0 errors, 1 warning in 1 file"


@pytest.mark.parametrize(("value", "shown"), [("TRUE", '"TRUE"'), ("yes", '"yes"'), (1.5, "1.5")])
def test_forms_jackson_refuses_are_errors(tmp_path: Path, value: Any, shown: str) -> None:
    write(tmp_path, "plan.json", query_plan(updateTargetNetwork=value))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert f"error[ND414]: updateTargetNetwork {shown} is not a boolean ndex-sync reads" in proc.stderr


def test_update_target_is_honoured_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "plan.json", query_plan(updateTarget=True))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 0
    assert lines_of(proc)[0] == (
        "plan.json:15:3: warning[ND416]: updateTarget is read as updateTargetNetwork (ndex-sync's setter name)"
        " (at $.updateTarget)"
    )
    # honoured: updateReadOnlyNetwork beside it has an effect (no ND413)
    write(tmp_path, "plan.json", query_plan(updateTarget="true", updateReadOnlyNetwork=True))
    assert "ND413" not in ferryman("validate", "plan.json", cwd=tmp_path).stderr


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (2**31, "queryLimit 2147483648 is over 2147483647 (2^31-1), the largest int ndex-sync reads"),
        ("2147483648", 'queryLimit "2147483648" is over 2147483647 (2^31-1), the largest int ndex-sync reads'),
        (0, "queryLimit 0 is read as 0: a plan selects at least 1 network"),
        (-5, "queryLimit -5 is read as -5: a plan selects at least 1 network"),
    ],
)
def test_query_limit_out_of_range_is_an_error(tmp_path: Path, limit: Any, message: str) -> None:
    write(tmp_path, "plan.json", query_plan(queryLimit=limit))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc)[0] == f"plan.json:14:3: error[ND415]: {message} (at $.queryLimit)"
    assert proc.stderr.count("error[") == 1


@pytest.mark.parametrize("port", ["0", "65536", "99999999999999999999"])
def test_route_port_outside_1_65535_is_an_error(tmp_path: Path, port: str) -> None:
    write(tmp_path, "plan.json", query_plan(source={**SOURCE, "route": f"http://127.0.0.1:{port}/v2"}))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc)[0] == (
        f'plan.json:4:5: error[ND404]: source route "http://127.0.0.1:{port}/v2" has port {port}: a port is 1-65535'
        " (at $.source.route)"
    )


def test_a_key_given_twice_is_an_error_at_the_second(tmp_path: Path) -> None:
    text = json.dumps(query_plan(), indent=2).replace('"queryLimit": 5', '"queryLimit": 5,\n  "queryLimit": 500')
    (tmp_path / "plan.json").write_text(text, encoding="utf-8")
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc) == [
        'plan.json:15:3: error[IO110]: key "queryLimit" is given twice in one object (first at line 14)',
        "1 error, 0 warnings in 1 file",
    ]


def test_update_target_beside_update_target_network_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "plan.json", query_plan(updateTargetNetwork=True, updateTarget=False))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error[ND417]: updateTarget and updateTargetNetwork are both given" in proc.stderr


# --- point 9: no password or route query string in any diagnostic ------------------------------------

PASSWORD = "Sup3rS3cretPw"


@pytest.mark.parametrize(
    "source",
    [
        f"https://curator:{PASSWORD}@ndex.example.org/v2",  # the example: a schema error quotes it
        f"https://curator:{PASSWORD}@ndex.example.org/v2?token={PASSWORD}",
        f"curator:{PASSWORD}@ndex.example.org/v2",  # no scheme
        f"https://curator:{PASSWORD}{'x' * 80}@ndex.example.org/v2",  # long enough to be shortened
        ["https://curator:" + PASSWORD + "@ndex.example.org/v2"],
    ],
)
def test_source_as_a_url_string_never_shows_its_password(tmp_path: Path, source: Any) -> None:
    write(tmp_path, "plan.json", query_plan(source=source))
    for fmt in ("text", "json", "github"):
        proc = ferryman("validate", "--format", fmt, "plan.json", cwd=tmp_path)
        assert proc.returncode == 1
        out = proc.stdout + proc.stderr
        assert "SC100" in out
        assert PASSWORD not in out and PASSWORD[:8] not in out


def test_the_schema_error_still_says_which_value(tmp_path: Path) -> None:
    write(tmp_path, "plan.json", query_plan(source=f"https://curator:{PASSWORD}@ndex.example.org/v2?key=k"))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert lines_of(proc)[0] == (
        'plan.json:3:3: error[SC100]: "https://curator:***@ndex.example.org/v2?***" is not of type object'
        " (at $.source)"
    )


@pytest.mark.parametrize(
    "route",
    [
        f"http://bob:{PASSWORD}@127.0.0.1:8765/rest?token={PASSWORD}",
        f"http://127.0.0.1:8765/v1?apikey={PASSWORD}",
        f"ftp://bob:{PASSWORD}@host/v2",
        f"http://bob:{PASSWORD}@127.0.0.1:99999/v2",
    ],
)
def test_rule_messages_about_routes_mask_password_and_query(tmp_path: Path, route: str) -> None:
    write(tmp_path, "plan.json", query_plan(target={**TARGET, "route": route}))
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert "error[ND40" in proc.stderr
    assert PASSWORD not in proc.stderr


# --- point 10: numbers Python cannot convert, NaN and infinities --------------------------------------


def test_a_5000_digit_query_limit_is_a_located_error(tmp_path: Path) -> None:
    text = json.dumps(query_plan(), indent=2).replace('"queryLimit": 5', '"queryLimit": ' + "7" * 5000)
    (tmp_path / "plan.json").write_text(text, encoding="utf-8")
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc)[0] == (
        "plan.json:14:17: error[IO111]: integer of 5,000 digits is too long (at most 4,300 digits)"
    )
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("NaN", "NaN is not a JSON number (JSON has no NaN or infinities)"),
        ("-Infinity", "-Infinity is not a JSON number (JSON has no NaN or infinities)"),
        ("1e400", "number 1e400 is too large (beyond a float's range)"),
    ],
)
def test_nan_and_infinities_are_located_errors(tmp_path: Path, written: str, message: str) -> None:
    text = json.dumps(query_plan(), indent=2).replace('"queryLimit": 5', f'"queryLimit": {written}')
    (tmp_path / "plan.json").write_text(text, encoding="utf-8")
    proc = ferryman("validate", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc)[0] == f"plan.json:14:17: error[IO111]: {message}"


def test_a_5000_digit_number_in_yaml_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "homo_sapiens_externals_template.yml"
    path.write_text(
        "homo_sapiens:\n  gene:\n    EntrezGene:\n      Assembly:\n        '38':\n"
        "          Ensembl release: '110'\n          Include: false\n"
        f"      Database Index: {'3' * 5000}\n",
        encoding="utf-8",
    )
    proc = ferryman("validate", path.name, cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc)[0] == (
        f"{path.name}:8:23: error[IO111]: integer of 5,000 digits is too long (at most 4,300 digits)"
    )


def test_a_5000_digit_number_in_toml_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "ferryman.toml").write_text(f'[workspace]\nname = "w"\nmax_parallel = {"4" * 5000}\n')
    proc = ferryman("validate", "ferryman.toml", cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc)[0] == (
        "ferryman.toml:3:16: error[IO111]: integer of 5,000 digits is too long (at most 4,300 digits)"
    )


# --- point 11: a plan that starts with a comment is a malformed plan, not an unknown file -------------


@pytest.mark.parametrize("flag", [[], ["--skip-unknown"]])
def test_a_plan_starting_with_a_comment_is_malformed_json_at_line_1(tmp_path: Path, flag: list[str]) -> None:
    plans = tmp_path / "copy-plans"
    plans.mkdir()
    (plans / "mirror.json").write_text("// nightly mirror\n" + json.dumps(query_plan(), indent=2), encoding="utf-8")
    proc = ferryman("validate", *flag, "copy-plans/mirror.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert lines_of(proc)[0] == "copy-plans/mirror.json:1:1: error[IO103]: expecting value"
    # found in a folder walk too
    proc = ferryman("validate", "copy-plans", cwd=tmp_path)
    assert "copy-plans/mirror.json:1:1: error[IO103]" in proc.stderr


def test_any_json_in_a_plans_folder_is_a_plan_attempt(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "empty.json").write_text("{}\n")
    proc = ferryman("validate", "--skip-unknown", "plans/empty.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert "'planType' is a required property" in proc.stderr


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffhomo_sapiens: {gene: {EntrezGene: {Assembly: {'38': {Ensembl release: '110', Include: true}}}}}\n",
        "homo_sapiens:\n  Gene:\n    EntrezGene:\n      Assembly:\n        '38': {Ensembl release: '110'}\n",
    ],
)
def test_externals_in_flow_style_or_misspelled_are_not_unknown(tmp_path: Path, text: str) -> None:
    (tmp_path / "odd.yml").write_text(text, encoding="utf-8")
    proc = ferryman("validate", "--skip-unknown", "odd.yml", cwd=tmp_path)
    assert "IO106" not in proc.stderr
    assert "file valid" in proc.stderr or "unknown form 'Gene'" in proc.stderr, proc.stderr
