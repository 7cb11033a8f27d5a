"""NDEx copy plans: the schema, the ND4xx rules and the demo plans, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ferryman.compiler import copyplan
from ferryman.compiler.copyplan import as_bool, as_int, is_uuid, route_base
from ferryman.compiler.document import Findings
from ferryman.compiler.loaders.jsonfile import load_text
from ferryman.compiler.rules import ndex

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schemas" / "copy-plan.schema.json"

SOURCE = {"route": "http://127.0.0.1:8765/v2", "username": "curator", "password": "${env:NDEX_SOURCE_PASSWORD}"}
TARGET = {"route": "http://127.0.0.1:8765/v2", "username": "mirror", "password": "${env:NDEX_TARGET_PASSWORD}"}
ID_1 = "5bca3218-28ca-11e4-9032-90b11c72aefa"
ID_2 = "d0a24e26-28ca-11e4-9032-90b11c72aefa"


def validate(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m ferryman validate ARGS` as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ferryman", "validate", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_plan(folder: Path, name: str, plan: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    return path


def id_plan(**fields: Any) -> dict[str, Any]:
    return {"planType": "IdCopyPlan", "source": SOURCE, "target": TARGET, "idList": [ID_1, ID_2], **fields}


def query_plan(**fields: Any) -> dict[str, Any]:
    plan = {"planType": "QueryCopyPlan", "source": SOURCE, "target": TARGET, "queryString": "*", "queryLimit": 5}
    return {**plan, **fields}


# --- demo plans ---------------------------------------------------------------------------------


def test_demo_plans_are_clean_even_with_strict() -> None:
    proc = validate("--strict", "samples/copy-plans/human-nets.json", "samples/copy-plans/pathways-query.json")
    assert proc.stderr == "ok: 2 files valid\n"
    assert proc.returncode == 0


def test_demo_plans_use_the_local_server_and_env_passwords() -> None:
    human = json.loads((ROOT / "samples/copy-plans/human-nets.json").read_text())
    query = json.loads((ROOT / "samples/copy-plans/pathways-query.json").read_text())
    assert human["planType"] == "IdCopyPlan" and 2 <= len(human["idList"]) <= 3
    assert query["planType"] == "QueryCopyPlan" and query["queryLimit"] == 5 and query["updateTargetNetwork"] is True
    for plan in (human, query):
        assert (plan["source"]["route"], plan["target"]["route"]) == ("http://127.0.0.1:8765/v2", "http://127.0.0.1:8766/v2")
        assert plan["source"]["password"] == "${env:NDEX_SOURCE_PASSWORD}"
        assert plan["target"]["password"] == "${env:NDEX_TARGET_PASSWORD}"


# --- exact lines --------------------------------------------------------------------------------


def test_many_problems_are_all_reported_in_one_run_sorted_by_position(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(
        """{
  "planType": "IdCopyPlan",
  "source": {
    "route": "http://ndex.example.org/rest",
    "username": "curator",
    "password": "${env:NDEX_SOURCE_PASSWORD}"
  },
  "target": {
    "route": "http://ndex.example.org/v2/",
    "username": "mirror",
    "password": "${env:NDEX_TARGET_PASSWORD"
  },
  "idList": [
    "5bca3218-28ca-11e4-9032-90b11c72aefa",
    "5bca3218-28ca-11e4-9032-90b11c72aefa",
    "d0a24e26"
  ],
  "updateTargetNetwork": "True",
  "updateTargetNetwrok": true
}
""",
        encoding="utf-8",
    )
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr == (
        'plan.json:4:5: error[ND403]: source route "http://ndex.example.org/rest" does not end in /v2'
        " (at $.source.route)\n"
        "  hint: /rest is an NDEx v1 route and the v1 API is not supported: use the v2 route,"
        " e.g. http://ndex.example.org/v2\n"
        "plan.json:11:5: error[ND407]: target password holds a malformed ${env:…} reference"
        " (not quoted: it may be secret) (at $.target.password)\n"
        "  hint: write ${env:NAME}: NAME is letters, digits and _, not starting with a digit\n"
        'plan.json:15:5: error[ND402]: network id "5bca3218-28ca-11e4-9032-90b11c72aefa" is already listed'
        " at idList[0] (at $.idList[1])\n"
        "  hint: list each network once\n"
        'plan.json:16:5: error[ND401]: "d0a24e26" is not a network UUID (at $.idList[2])\n'
        "  hint: NDEx network ids are UUIDs such as 5bca3218-28ca-11e4-9032-90b11c72aefa\n"
        'plan.json:18:3: warning[ND405]: updateTargetNetwork "True" is read as true (at $.updateTargetNetwork)\n'
        "  hint: write true\n"
        'plan.json:19:3: warning[ND408]: unknown field "updateTargetNetwrok" (at $.updateTargetNetwrok)\n'
        '  hint: did you mean "updateTargetNetwork"? (the original tool ignores unknown fields)\n'
        "4 errors, 2 warnings in 1 file\n"
    )
    assert proc.returncode == 1


def test_unterminated_string_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(
        '{\n  "planType": "IdCopyPlan",\n  "source": {\n    "route": "http://127.0.0.1:8765/v2,\n'
        '    "username": "curator"\n  }\n}\n',
        encoding="utf-8",
    )
    proc = validate("plan.json", cwd=tmp_path)
    # reported at the opening quote of the string that runs off the end of line 4
    assert proc.stderr.splitlines() == [
        "plan.json:4:14: error[IO103]: string is missing its closing quote",
        "1 error, 0 warnings in 1 file",
    ]
    assert proc.returncode == 1


def test_malformed_reference_points_at_the_fragment_and_suggests_the_fix(tmp_path: Path) -> None:
    write_plan(tmp_path, "plan.json", query_plan(queryString="${ENV:Q} or $env:R or ${env:9Z}"))
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr.splitlines() == [
        'plan.json:13:19: error[ND407]: "${ENV:Q}" is not a well-formed ${env:NAME} reference (at $.queryString)',
        "  hint: write ${env:Q}",
        'plan.json:13:31: error[ND407]: "$env:R" is not a well-formed ${env:NAME} reference (at $.queryString)',
        "  hint: write ${env:R}",
        'plan.json:13:41: error[ND407]: "${env:9Z}" is not a well-formed ${env:NAME} reference (at $.queryString)',
        "  hint: a variable name cannot start with a digit",
        "3 errors, 0 warnings in 1 file",
    ]


def test_route_without_path_gets_the_v2_suggestion(tmp_path: Path) -> None:
    write_plan(tmp_path, "plan.json", id_plan(target={**TARGET, "route": "https://ndex.example.org"}))
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr.splitlines()[:2] == [
        'plan.json:9:5: error[ND403]: target route "https://ndex.example.org" does not end in /v2 (at $.target.route)',
        "  hint: add the API path: https://ndex.example.org/v2",
    ]


def test_other_route_paths_get_the_default_hint(tmp_path: Path) -> None:
    write_plan(tmp_path, "plan.json", id_plan(target={**TARGET, "route": "https://ndex.example.org/v3"}))
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr.splitlines()[1] == "  hint: an NDEx v2 route ends in /v2, e.g. https://www.ndexbio.org/v2"


@pytest.mark.parametrize(
    "route", ["http://127.0.0.1:8765/v2/", "https://${env:NDEX_HOST}/v2", "${env:NDEX_ROUTE}", "${env:BASE}/v2"]
)
def test_trailing_slash_and_references_in_routes_are_accepted(tmp_path: Path, route: str) -> None:
    write_plan(tmp_path, "plan.json", id_plan(source={**SOURCE, "route": route}))
    proc = validate("--strict", "plan.json", cwd=tmp_path)
    assert proc.stderr == "ok: 1 file valid\n"


def test_unknown_fields_pass_the_schema_and_warn_with_the_close_name(tmp_path: Path) -> None:
    plan = id_plan(source={**SOURCE, "user": "x"}, route="http://x/v2", comment="mirror of the human set")
    write_plan(tmp_path, "plan.json", plan)
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr.splitlines() == [
        'plan.json:7:5: warning[ND408]: unknown field "user" in source (at $.source.user)',
        '  hint: did you mean "username"? (the original tool ignores unknown fields)',
        'plan.json:18:3: warning[ND408]: unknown field "route" (at $.route)',
        "  hint: route belongs inside source and target",
        'plan.json:19:3: warning[ND408]: unknown field "comment" (at $.comment)',
        "  hint: the original tool ignores unknown fields: fix the name or remove it",
        "0 errors, 3 warnings in 1 file",
    ]
    assert proc.returncode == 0


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    write_plan(tmp_path, "plan.json", query_plan(queryLimit=" 10"))
    assert validate("plan.json", cwd=tmp_path).returncode == 0
    proc = validate("--strict", "plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == (
        'plan.json:14:3: warning[ND405]: queryLimit " 10" is read as 10; blanks around it are ignored'
        " (at $.queryLimit)"
    )


def test_documented_string_forms_pass_strict_silently(tmp_path: Path) -> None:
    # the NDEx Sync documentation's own forms: no warning, so --strict works on its plans (issue 8.8)
    write_plan(tmp_path, "plan.json", query_plan(queryLimit="10", updateTargetNetwork="false"))
    write_plan(tmp_path, "id.json", id_plan(updateTargetNetwork="true", updateReadOnlyNetwork="true"))
    proc = validate("--strict", "plan.json", "id.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "ok: 2 files valid\n")


def test_missing_field_of_the_plan_type_is_reported_once_by_the_schema(tmp_path: Path) -> None:
    plan = {"planType": "QueryCopyPlan", "source": SOURCE, "target": TARGET, "queryString": "*"}
    write_plan(tmp_path, "plan.json", plan)
    proc = validate("plan.json", cwd=tmp_path)
    lines = [line for line in proc.stderr.splitlines() if "queryLimit" in line]
    assert len(lines) == 1
    assert lines[0].startswith("plan.json:1:1: error[SC100]: ")
    assert "[ND" not in proc.stderr


def test_string_forms_are_accepted_but_other_strings_are_not(tmp_path: Path) -> None:
    write_plan(tmp_path, "ok.json", query_plan(queryLimit="10", updateTargetNetwork="false"))
    write_plan(tmp_path, "bad.json", query_plan(queryLimit="ten", updateTargetNetwork="yes"))
    proc = validate("ok.json", "bad.json", cwd=tmp_path)
    lines = proc.stderr.splitlines()
    assert [line for line in lines if line.startswith("ok.json")] == []
    assert [line for line in lines if line.startswith("bad.json")] == [
        'bad.json:14:3: error[ND414]: queryLimit "ten" is not a number ndex-sync reads: not a whole number in'
        " decimal digits (at $.queryLimit)",
        'bad.json:15:3: error[ND414]: updateTargetNetwork "yes" is not a boolean ndex-sync reads: only "true"'
        ' and "false" (or "True", "False") are read as booleans (at $.updateTargetNetwork)',
    ]


def test_query_field_in_id_plan_is_not_also_a_coercion_warning(tmp_path: Path) -> None:
    write_plan(tmp_path, "plan.json", id_plan(queryLimit="10"))
    proc = validate("plan.json", cwd=tmp_path)
    assert [line.split(": ")[1] for line in proc.stderr.splitlines()[:-1] if not line.startswith(" ")] == [
        "warning[ND409]"
    ]


def test_read_only_flag_with_update_explicitly_false(tmp_path: Path) -> None:
    write_plan(tmp_path, "plan.json", query_plan(updateTargetNetwork=False, updateReadOnlyNetwork=True))
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr.splitlines()[0] == (
        "plan.json:16:3: warning[ND413]: updateReadOnlyNetwork is true but updateTargetNetwork is false:"
        " no copy is ever updated (at $.updateReadOnlyNetwork)"
    )


def test_not_a_plan_object_gives_no_rule_noise(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text('["planType"]\n', encoding="utf-8")
    proc = validate("--kind", "copy-plan", "plan.json", cwd=tmp_path)
    assert "[ND" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1


# --- secrets never reach the output -------------------------------------------------------------


def test_no_password_value_is_ever_printed(tmp_path: Path) -> None:
    literal = "Hunter2-Literal-Value"
    env_secret = "Env-Secret-Value-42"
    tail = "Zz-Secret-Tail"
    write_plan(tmp_path, "literal.json", id_plan(source={**SOURCE, "password": literal}))
    write_plan(tmp_path, "malformed.json", id_plan(target={**TARGET, "password": "ab${" + tail}))
    write_plan(tmp_path, "number.json", id_plan(source={**SOURCE, "password": 987654321}))
    write_plan(tmp_path, "object.json", id_plan(source={**SOURCE, "password": {"value": literal}}))
    write_plan(tmp_path, "env.json", id_plan(target={**TARGET, "password": "${env:NDEX_TARGET_PASSWORD}"}))
    route = "http://curator:Route-Secret-99@127.0.0.1:8765/rest"
    write_plan(tmp_path, "route.json", id_plan(source={**SOURCE, "route": route}, target={**TARGET, "route": route}))
    env = {"NDEX_TARGET_PASSWORD": env_secret, "NDEX_SOURCE_PASSWORD": env_secret}
    files = ["literal.json", "malformed.json", "number.json", "object.json", "env.json", "route.json"]
    seen_codes: set[str] = set()
    for fmt in ("text", "json", "github"):
        for extra in ([], ["--strict"]):
            proc = validate("--format", fmt, *extra, *files, cwd=tmp_path, env=env)
            output = proc.stdout + proc.stderr
            for secret in (literal, env_secret, tail, "987654321", "Hunter2", "Zz-Secret", "Route-Secret"):
                assert secret not in output, f"{secret!r} printed with --format {fmt} {extra}"
            seen_codes.update(code for code in ("ND406", "ND407", "ND410") if code in output)
            assert proc.returncode == 1
    assert seen_codes == {"ND406", "ND407", "ND410"}


def test_credentials_in_a_route_are_a_literal_password_and_are_masked(tmp_path: Path) -> None:
    route = "https://curator:pw123456@ndex.example.org/rest"
    write_plan(tmp_path, "plan.json", id_plan(source={**SOURCE, "route": route}))
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr.splitlines() == [
        'plan.json:4:5: error[ND403]: source route "https://curator:***@ndex.example.org/rest" does not end in /v2'
        " (at $.source.route)",
        "  hint: /rest is an NDEx v1 route and the v1 API is not supported: use the v2 route,"
        " e.g. https://curator:***@ndex.example.org/v2",
        'plan.json:4:5: warning[ND406]: source route "https://curator:***@ndex.example.org/rest" carries a password'
        " (at $.source.route)",
        "  hint: remove user:password@ from the route and set source.password to ${env:NAME}",
        "1 error, 1 warning in 1 file",
    ]


def test_unparsable_route_is_reported_not_raised(tmp_path: Path) -> None:
    write_plan(tmp_path, "plan.json", id_plan(source={**SOURCE, "route": "http://[::1/v2"}))
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.stderr.splitlines()[0] == (
        'plan.json:4:5: error[ND404]: source route "http://[::1/v2" is not an http(s) URL (at $.source.route)'
    )


# --- schema -------------------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def _errors(plan: Any) -> list[str]:
    return sorted(e.message for e in Draft202012Validator(_schema()).iter_errors(plan))


def test_schema_is_valid_2020_12_with_its_id() -> None:
    schema = _schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "https://ferryman.dev/schemas/copy-plan.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_property_has_title_description_and_default() -> None:
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                missing.extend(f"{where}.{name}: {k}" for k in ("title", "description", "default") if k not in sub)
                walk(sub, f"{where}.{name}")

    walk(_schema(), "$")
    assert missing == []


def test_schema_defaults_validate_against_the_schema() -> None:
    assert _errors(_schema()["default"]) == []


def test_schema_leaves_values_of_numbers_and_flags_to_the_rules() -> None:
    # the schema names the JSON types; which values ndex-sync reads is compiler.coerce's (one message each)
    assert _errors(query_plan(queryLimit=10, updateTargetNetwork=True, updateReadOnlyNetwork=False)) == []
    assert _errors(query_plan(queryLimit="10", updateTargetNetwork="true", updateReadOnlyNetwork="false")) == []
    assert _errors(query_plan(queryLimit="ten", updateTargetNetwork="yes", updateTarget=1)) == []
    assert _errors(query_plan(queryLimit=[1])) == ["[1] is not of type 'number', 'string', 'null'"]
    assert _errors(query_plan(updateTargetNetwork={})) == [
        "{} is not of type 'boolean', 'number', 'string', 'null'"
    ]


def test_schema_requires_fields_per_plan_type() -> None:
    base = {"source": SOURCE, "target": TARGET}
    assert _errors({**base, "planType": "IdCopyPlan"}) == ["'idList' is a required property"]
    assert _errors({**base, "planType": "QueryCopyPlan"}) == [
        "'queryLimit' is a required property",
        "'queryString' is a required property",
    ]
    assert _errors({**base, "planType": "QueryCopyPlan", "queryString": "*", "queryLimit": 1}) == []
    # an unknown or missing planType is reported once, without demanding either type's fields
    assert _errors({**base, "planType": "Other"}) == ["'Other' is not one of ['QueryCopyPlan', 'IdCopyPlan']"]
    assert _errors(base) == ["'planType' is a required property"]


def test_schema_lets_unknown_fields_and_any_password_through() -> None:
    # unknown fields and password types are the rules' job (warnings, and messages that never quote)
    assert _errors(id_plan(extra=1, source={**SOURCE, "other": True, "password": 5})) == []


# --- pure helpers -------------------------------------------------------------------------------


def test_coercion_helpers_read_values_as_the_original_tool_does() -> None:
    assert [as_bool(v) for v in (True, False, "true", "false", "True", " false ", 1, 0, None, "TRUE", "yes", 1.0)] == [
        True, False, True, False, True, False, True, False, False, None, None, None,
    ]
    assert [as_int(v) for v in (5, "10", 3.0, 0, "0", "010", " 7 ", True, "x", 2.5, -5, "-5", 2**31)] == [
        5, 10, 3, None, None, 10, 7, None, None, 2, None, None, None,
    ]


def test_run_values_for_the_ir() -> None:
    assert copyplan.update_target({"updateTarget": "True"}) is True
    assert copyplan.update_target({"updateTargetNetwork": "false", "updateTarget": True}) is False
    assert copyplan.update_target({}) is False and copyplan.update_target({"updateTargetNetwork": "TRUE"}) is False
    assert copyplan.update_read_only({"updateReadOnlyNetwork": 1}) is True
    assert copyplan.query_limit({"queryLimit": "010"}) == 10 and copyplan.query_limit({}) is None


def test_uuid_and_route_helpers() -> None:
    assert is_uuid(ID_1) and is_uuid(ID_1.upper())
    assert not is_uuid(ID_1[:-1]) and not is_uuid("{" + ID_1 + "}") and not is_uuid(ID_1.replace("-", ""))
    assert route_base("http://h/v2/") == "http://h/v2"
    assert route_base("http://h/v2") == "http://h/v2"


# --- robustness ---------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.sampled_from(["${env:", "${env:X}", "$env:"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_FIELDS = st.sampled_from(
    ["planType", "source", "target", "idList", "queryLimit", "queryString", "updateTargetNetwork",
     "updateReadOnlyNetwork", "route", "password", "username"]
)


@settings(max_examples=300, deadline=None)
@given(
    plan_type=st.sampled_from(["IdCopyPlan", "QueryCopyPlan", "Other", 3]),
    fields=st.dictionaries(_FIELDS, _JSON, max_size=6),
    server=st.dictionaries(st.sampled_from(["route", "username", "password", "x"]), _JSON, max_size=4),
    secret=st.from_regex(r"[A-Za-z][A-Za-z0-9${}:]{15,20}", fullmatch=True),
)
def test_rules_never_raise_and_never_quote_a_password(
    plan_type: Any, fields: dict[str, Any], server: dict[str, Any], secret: str
) -> None:
    data = {"planType": plan_type, **fields, "source": {**server, "password": secret}}
    text = json.dumps(data, indent=1)
    result = load_text(text, "plan.json", "copy-plan")
    assert result.doc is not None
    findings = Findings(result.doc)
    ndex.check(result.doc, findings)
    for d in findings.items:
        assert secret not in d.text()
        assert d.code.startswith("ND4")
