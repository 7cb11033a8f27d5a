"""jsonschema-rs (which decides) against jsonschema (which words the messages), on every shipped schema.

`schemas.check` asks jsonschema-rs first and jsonschema only for a document it rejects, so the two
must give one verdict: on the valid samples and on thousands of mutated variants of them.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ferryman.compiler import schemas
from ferryman.compiler.document import Document, Findings
from ferryman.compiler.loaders import gkeyfile, yamlfile

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHIPPED = schemas.names()


def oracle(schema: Any) -> Any:
    """jsonschema's validator, configured as compiler/schemas.py configures it."""
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def oracle_for(name: str) -> Any:
    return oracle(schemas.schema(name))


# ---- the valid samples -------------------------------------------------------------------------


@functools.cache
def plan_sample() -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "ferryman", "plan", "--format", "json"],
        cwd=SAMPLES,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def samples_for(name: str) -> list[Any]:
    if name == "workspace":
        return [tomllib.loads((SAMPLES / "ferryman.toml").read_text(encoding="utf-8"))]
    if name == "zmap":
        path = SAMPLES / "zmap" / "ZMap"
        result = gkeyfile.load_text(path.read_text(encoding="utf-8"), str(path), "zmap", str(path))
        assert result.doc is not None
        return [result.doc.data]
    if name == "copy-plan":
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((SAMPLES / "copy-plans").glob("*.json"))]
    if name == "externals":
        docs = []
        for p in sorted((SAMPLES / "idtrack").glob("*.yml")):
            result = yamlfile.load_text(p.read_text(encoding="utf-8"), str(p), "externals", str(p))
            assert result.doc is not None
            docs.append(result.doc.data)
        return docs
    if name == "plan":
        return [plan_sample()]
    raise AssertionError(f"no samples for schema {name}: add them here")


def test_every_shipped_schema_compiles() -> None:
    assert SHIPPED == ["copy-plan", "externals", "plan", "workspace", "zmap"]
    for name in SHIPPED:
        assert schemas.fast_validator(name) is not None, name


@pytest.mark.parametrize("name", SHIPPED)
def test_valid_samples_are_valid_to_both(name: str) -> None:
    slow = oracle(schemas.schema(name))
    docs = samples_for(name)
    assert docs
    for doc in docs:
        assert slow.is_valid(doc), name
        assert schemas.is_valid(name, doc) is True


# ---- mutated variants --------------------------------------------------------------------------

# values where a careless check goes wrong: bool vs int, 1 vs 1.0, strings that look like other types
TRAPS: list[Any] = [
    True,
    False,
    0,
    1,
    -1,
    1.0,
    0.0,
    2.5,
    -0.5,
    10**20,
    math.inf,
    math.nan,
    "",
    "1",
    "10",
    "0",
    "true",
    "false",
    "null",
    " 1",
    "1\n",
    "x",
    "é😀",
    None,
    [],
    {},
    [1, True],
    [1, 1.0],
    ["a", "a"],
    {"a": 1},
]


def _walk(value: Any, path: tuple[Any, ...], out: list[tuple[Any, ...]]) -> None:
    out.append(path)
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, (*path, k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _walk(v, (*path, i), out)


def _paths(doc: Any) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    _walk(doc, (), out)
    return out


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _schema_facts(schema: Any, names: set[str], values: list[Any]) -> None:
    """Property names and enum/const values a schema mentions: mutations that reach deeper rules."""
    if isinstance(schema, dict):
        for key, sub in schema.items():
            if key in ("properties", "patternProperties", "$defs") and isinstance(sub, dict):
                names.update(sub)
                for s in sub.values():
                    _schema_facts(s, names, values)
            elif key == "required" and isinstance(sub, list):
                names.update(sub)
            elif key == "enum" and isinstance(sub, list):
                values.extend(sub)
            elif key == "const":
                values.append(sub)
            elif key not in ("default", "examples"):
                _schema_facts(sub, names, values)
    elif isinstance(schema, list):
        for s in schema:
            _schema_facts(s, names, values)


@functools.cache
def material(name: str) -> tuple[list[Any], list[str], list[Any]]:
    """(samples, key names, replacement values) for mutating documents of schema `name`."""
    docs = samples_for(name)
    names: set[str] = set()
    values: list[Any] = []
    _schema_facts(schemas.schema(name), names, values)
    for doc in docs:
        for path in _paths(doc):
            node = _at(doc, path)
            if isinstance(node, dict):
                names.update(k for k in node if isinstance(k, str))
            elif not isinstance(node, list):
                values.append(node)
    return docs, sorted(names), values


def _value(rng: random.Random, doc: Any, names: list[str], values: list[Any], depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.35:
        return copy.deepcopy(rng.choice(TRAPS))
    if roll < 0.65:
        return copy.deepcopy(rng.choice(values))
    if roll < 0.8:  # a copy of another part of the document: valid shapes in the wrong place
        return copy.deepcopy(_at(doc, rng.choice(_paths(doc))))
    if depth > 1:
        return None
    if roll < 0.9:
        return [_value(rng, doc, names, values, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(names): _value(rng, doc, names, values, depth + 1) for _ in range(rng.randint(0, 3))}


def mutate(doc: Any, rng: random.Random, names: list[str], values: list[Any]) -> Any:
    """`doc` with one to three random edits: a value replaced, a key or item deleted, one inserted."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(doc))
        op = rng.choice(("replace", "replace", "delete", "insert"))
        if op == "insert" and isinstance(_at(doc, path), (dict, list)):
            target = _at(doc, path)
            new = _value(rng, doc, names, values)
            if isinstance(target, dict):
                target[rng.choice([*names, "zzz", "", "x-1"])] = new
            else:
                target.insert(rng.randint(0, len(target)), new)
        elif not path:
            doc = _value(rng, doc, names, values) if rng.random() < 0.2 else doc
        elif op == "delete":
            del _at(doc, path[:-1])[path[-1]]
        else:
            _at(doc, path[:-1])[path[-1]] = _value(rng, doc, names, values)
    return doc


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def _has_final_newline(value: Any) -> bool:
    if isinstance(value, str):
        return value.endswith("\n")
    if isinstance(value, dict):
        return any(_has_final_newline(v) for v in [*value.keys(), *value.values()])
    if isinstance(value, list):
        return any(_has_final_newline(v) for v in value)
    return False


def agrees(fast: bool | None, expected: bool, variant: Any) -> bool:
    """jsonschema-rs's verdict is jsonschema's, with two known exceptions where jsonschema-rs is
    the stricter (and right by the spec), which only sends the document on to jsonschema, whose
    errors are then reported: NaN and infinities (no JSON), and a string ending in a newline
    against a pattern ending in `$` (Python's `$` also matches before a final newline, ECMA-262's
    does not). Never the other way: jsonschema-rs passing what jsonschema rejects would hide an
    error. `None`: jsonschema-rs could not take the data, jsonschema decides alone."""
    if fast is None:
        return True
    if fast is not expected and not fast and (not _finite(variant) or _has_final_newline(variant)):
        return True
    return fast is expected


@pytest.mark.parametrize("name", SHIPPED)
def test_seeded_variants_get_jsonschemas_verdict(name: str) -> None:
    slow = oracle(schemas.schema(name))
    docs, names, values = material(name)
    rng = random.Random(f"schemas-{name}")
    verdicts = {True: 0, False: 0}
    for _ in range(2000):
        variant = mutate(rng.choice(docs), rng, names, values)
        expected = slow.is_valid(variant)
        assert agrees(schemas.is_valid(name, variant), expected, variant), json.dumps(variant, default=repr)[:2000]
        verdicts[expected] += 1
    # both verdicts must be common, or the comparison proves little
    assert verdicts[True] > 100 and verdicts[False] > 100, verdicts


@pytest.mark.parametrize("name", SHIPPED)
@settings(
    max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hypothesis_variants_get_jsonschemas_verdict(name: str, data: st.DataObject) -> None:
    docs, names, values = material(name)
    rng = data.draw(st.randoms(use_true_random=False))
    variant = mutate(rng.choice(docs), rng, names, values)
    assert agrees(schemas.is_valid(name, variant), oracle_for(name).is_valid(variant), variant)


# ---- schemas.check ------------------------------------------------------------------------------


def _diagnostics(name: str, data: Any) -> list[str]:
    doc = Document("doc.json", name, data, "")
    findings = Findings(doc)
    schemas.check(doc, name, findings)
    return [d.text() for d in findings.items]


def test_check_on_a_valid_document_never_asks_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_name: str) -> Any:
        raise AssertionError("jsonschema was consulted for a valid document")

    monkeypatch.setattr(schemas, "validator", refuse)
    for doc in samples_for("copy-plan"):
        assert _diagnostics("copy-plan", doc) == []


def test_data_jsonschema_rs_cannot_take_goes_to_jsonschema() -> None:
    # a TOML date is no JSON value: jsonschema decides (and here finds the manifest's error)
    manifest = {**samples_for("workspace")[0], "workspace": datetime.date(2024, 1, 1)}
    assert schemas.is_valid("workspace", manifest) is None
    assert [line.split(": ", 1)[1] for line in _diagnostics("workspace", manifest)] == [
        "error[SC100]: \"2024-01-01\" is not of type object (at $.workspace)"
    ]


def test_check_reports_every_error_of_an_invalid_plan() -> None:
    plan = {**samples_for("copy-plan")[1], "queryLimit": [1], "planType": "NetworkCopyPlan"}
    assert _diagnostics("copy-plan", plan) == [
        'doc.json:1:1: error[SC100]: "NetworkCopyPlan" is not one of "QueryCopyPlan", "IdCopyPlan" (at $.planType)',
        "doc.json:1:1: error[SC100]: [1] is not of type number or string or null (at $.queryLimit)",
    ]


def test_schema_messages_mask_urls_and_never_quote_secret_keys() -> None:
    plan = {**samples_for("copy-plan")[0], "source": "https://bob:hunter2hunter2@h.example/v2?api_key=k3y"}
    [line] = _diagnostics("copy-plan", plan)
    assert "hunter2" not in line and "k3y" not in line
    assert '"https://bob:***@h.example/v2?***" is not of type object' in line
