"""The compiled schema predicates (compiler/schemafast.py) against jsonschema, the oracle.

For every shipped schema the predicate must give jsonschema's verdict on the valid samples and on
thousands of mutated variants of them; each keyword's edge cases are pinned one by one; and
`schemas.check` must print the same diagnostics whether or not the predicate runs first.
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

from ferryman.compiler import schemafast, schemas
from ferryman.compiler.document import Document, Findings
from ferryman.compiler.loaders import gkeyfile, yamlfile
from ferryman.compiler.schemafast import Refused, compile_schema, json_equal, unique

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
    # the speed of `validate` depends on it: a refused schema silently falls back to jsonschema
    assert SHIPPED == ["copy-plan", "externals", "plan", "workspace", "zmap"]
    for name in SHIPPED:
        assert schemas.predicate(name) is not None, name


@pytest.mark.parametrize("name", SHIPPED)
def test_valid_samples_are_valid_to_both(name: str) -> None:
    fast = compile_schema(schemas.schema(name))
    slow = oracle(schemas.schema(name))
    docs = samples_for(name)
    assert docs
    for doc in docs:
        assert slow.is_valid(doc), name
        assert fast(doc) is True


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


@pytest.mark.parametrize("name", SHIPPED)
def test_seeded_variants_get_jsonschemas_verdict(name: str) -> None:
    fast = compile_schema(schemas.schema(name))
    slow = oracle(schemas.schema(name))
    docs, names, values = material(name)
    rng = random.Random(f"schemafast-{name}")
    verdicts = {True: 0, False: 0}
    for _ in range(2000):
        variant = mutate(rng.choice(docs), rng, names, values)
        expected = slow.is_valid(variant)
        assert fast(variant) is expected, json.dumps(variant, default=repr)[:2000]
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
    fast = schemas.predicate(name)
    assert fast is not None
    assert fast(variant) is oracle_for(name).is_valid(variant)


# ---- schemas.check: same diagnostics with and without the predicate ------------------------------


def _diagnostics(name: str, data: Any) -> list[str]:
    doc = Document("doc.json", name, data, "")
    findings = Findings(doc)
    schemas.check(doc, name, findings)
    return [d.text() for d in findings.items]


@pytest.mark.parametrize("name", SHIPPED)
def test_check_reports_the_same_with_and_without_the_predicate(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs, names, values = material(name)
    rng = random.Random(f"check-{name}")
    variants = [mutate(rng.choice(docs), rng, names, values) for _ in range(300)]
    fast = [_diagnostics(name, v) for v in variants]
    monkeypatch.setattr(schemas, "predicate", lambda _name: None)
    slow = [_diagnostics(name, v) for v in variants]
    assert fast == slow
    assert sum(1 for d in slow if d) > 50  # most variants are invalid: the messages were compared


def test_check_on_a_valid_document_never_asks_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_name: str) -> Any:
        raise AssertionError("jsonschema was consulted for a valid document")

    monkeypatch.setattr(schemas, "validator", refuse)
    for doc in samples_for("copy-plan"):
        assert _diagnostics("copy-plan", doc) == []


def test_check_falls_back_to_jsonschema_when_the_predicate_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_value: Any) -> bool:
        raise TypeError("unexpected value")

    monkeypatch.setattr(schemas, "predicate", lambda _name: broken)
    plan = {**samples_for("copy-plan")[0], "planType": "NetworkCopyPlan"}
    assert _diagnostics("copy-plan", plan) == [
        'doc.json:1:1: error[SC100]: "NetworkCopyPlan" is not one of "QueryCopyPlan", "IdCopyPlan" (at $.planType)'
    ]


def test_check_reports_every_error_of_an_invalid_plan() -> None:
    plan = {**samples_for("copy-plan")[1], "queryLimit": True, "updateTargetNetwork": 1}
    assert _diagnostics("copy-plan", plan) == [
        "doc.json:1:1: error[SC100]: true is not of type integer or string (at $.queryLimit)",
        'doc.json:1:1: error[SC100]: 1 is not one of true, false, "true", "false" (at $.updateTargetNetwork)',
    ]


# ---- keyword edge cases ------------------------------------------------------------------------

# (schema, instance, jsonschema's verdict)
CASES: list[tuple[Any, Any, bool]] = [
    # type: bool is not a number, 1.0 is an integer
    ({"type": "integer"}, 1, True),
    ({"type": "integer"}, 1.0, True),
    ({"type": "integer"}, -0.0, True),
    ({"type": "integer"}, 1.5, False),
    ({"type": "integer"}, True, False),
    ({"type": "integer"}, "1", False),
    ({"type": "integer"}, math.inf, False),
    ({"type": "integer"}, 10**30, True),
    ({"type": "number"}, False, False),
    ({"type": "number"}, 2.5, True),
    ({"type": "number"}, math.nan, True),
    ({"type": "boolean"}, 0, False),
    ({"type": "boolean"}, True, True),
    ({"type": "null"}, None, True),
    ({"type": "null"}, 0, False),
    ({"type": "string"}, b"bytes", False),
    ({"type": "array"}, (1, 2), False),
    ({"type": "array"}, [], True),
    ({"type": "object"}, [], False),
    ({"type": ["integer", "string"]}, 3.0, True),
    ({"type": ["integer", "string"]}, False, False),
    ({"type": ["null", "boolean"]}, None, True),
    ({"type": []}, 1, False),
    # enum and const: JSON equality
    ({"enum": [1]}, 1.0, True),
    ({"enum": [1]}, True, False),
    ({"enum": [True]}, 1, False),
    ({"enum": [0]}, False, False),
    ({"enum": [0.0]}, 0, True),
    ({"enum": [None]}, 0, False),
    ({"enum": [None]}, None, True),
    ({"enum": ["a", "b"]}, "b", True),
    ({"enum": ["a", "b"]}, ["a"], False),
    ({"enum": ["1"]}, 1, False),
    ({"enum": [True, False, "true", "false"]}, "true", True),
    ({"enum": [True, False, "true", "false"]}, 0, False),
    ({"enum": [[1, {"a": True}]]}, [1.0, {"a": True}], True),
    ({"enum": [[1, {"a": True}]]}, [True, {"a": True}], False),
    ({"enum": [[1, {"a": True}]]}, [1, {"a": 1}], False),
    ({"enum": []}, 1, False),
    ({"const": {"a": [1]}}, {"a": [1.0]}, True),
    ({"const": {"a": [1]}}, {"a": [True]}, False),
    ({"const": {"a": [1]}}, {"a": [1], "b": 1}, False),
    ({"const": 0}, False, False),
    ({"const": False}, False, True),
    ({"const": "pipe"}, "pipe", True),
    ({"const": "pipe"}, "Pipe", False),
    ({"const": None}, None, True),
    # pattern: re.search, unanchored; other types pass
    ({"pattern": "b"}, "abc", True),
    ({"pattern": "^b"}, "abc", False),
    ({"pattern": "^a$"}, "a\n", True),
    ({"pattern": "^[1-9][0-9]*$(?!\\n)"}, "10\n", False),
    ({"pattern": "^[1-9][0-9]*$(?!\\n)"}, "10", True),
    ({"pattern": "^x"}, 5, True),
    ({"pattern": "\\d"}, "٣", True),
    # lengths count code points
    ({"minLength": 2}, "😀", False),
    ({"minLength": 2}, "e\u0301", True),  # e + combining acute: one glyph, two code points
    ({"maxLength": 1}, "😀", True),
    ({"maxLength": 0}, "", True),
    ({"minLength": 1}, 5, True),
    # numbers: bounds apply to numbers only (bool is not one)
    ({"minimum": 1}, 1, True),
    ({"minimum": 1}, 0.999, False),
    ({"minimum": 1}, True, True),
    ({"minimum": 1}, False, True),
    ({"minimum": 1}, "0", True),
    ({"minimum": 0}, -math.inf, False),
    ({"minimum": 0}, math.nan, True),
    ({"maximum": 65535}, 65536, False),
    ({"maximum": 65535}, 65535.0, True),
    ({"exclusiveMinimum": 0}, 0, False),
    ({"exclusiveMinimum": 0}, 0.0, False),
    ({"exclusiveMinimum": 0}, 1e-9, True),
    ({"exclusiveMinimum": 0}, False, True),
    ({"exclusiveMaximum": 1.5}, 1.5, False),
    ({"exclusiveMaximum": 1.5}, 1, True),
    ({"minimum": 0.5, "type": "integer"}, 0, False),
    # arrays
    ({"minItems": 1}, [], False),
    ({"minItems": 1}, "", True),
    ({"maxItems": 1}, [1, 2], False),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [0, False], True),
    ({"uniqueItems": True}, [True, True], False),
    ({"uniqueItems": True}, [[1], [True]], True),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 1.0}], False),
    ({"uniqueItems": True}, [{"a": 1}, {"a": True}], True),
    ({"uniqueItems": True}, ["a", "a"], False),
    ({"uniqueItems": True}, ["a", 1, None, "b"], True),
    ({"uniqueItems": True}, [None, None], False),
    ({"uniqueItems": False}, [1, 1], True),
    ({"items": {"type": "string"}}, ["a", 1], False),
    ({"items": {"type": "string"}}, "ab", True),
    ({"items": False}, [], True),
    ({"items": False}, [1], False),
    ({"prefixItems": [{"type": "integer"}], "items": False}, [1], True),
    ({"prefixItems": [{"type": "integer"}], "items": False}, [1, 2], False),
    ({"prefixItems": [{"type": "integer"}], "items": {"type": "string"}}, [1, "a", "b"], True),
    ({"prefixItems": [{"type": "integer"}], "items": {"type": "string"}}, ["a"], False),
    ({"prefixItems": [{"type": "integer"}], "items": {"type": "string"}}, [1, "a", 2], False),
    ({"prefixItems": [True, {"type": "null"}]}, [1], True),
    ({"prefixItems": [True, {"type": "null"}]}, [1, 2], False),
    # objects
    ({"required": ["a"]}, {"a": None}, True),
    ({"required": ["a"]}, {"b": 1}, False),
    ({"required": ["a"]}, ["a"], True),
    ({"minProperties": 1}, {}, False),
    ({"maxProperties": 1}, {"a": 1, "b": 2}, False),
    ({"properties": {"a": {"type": "string"}}}, {"a": 1}, False),
    ({"properties": {"a": {"type": "string"}}}, {"b": 1}, True),
    ({"properties": {"a": False}}, {"a": 1}, False),
    ({"properties": {"a": False}}, {}, True),
    ({"properties": {"a": True}, "additionalProperties": False}, {"a": 1, "b": 2}, False),
    ({"properties": {"a": True}, "additionalProperties": False}, {"a": 1}, True),
    ({"additionalProperties": False}, {}, True),
    ({"additionalProperties": False}, {"a": 1}, False),
    ({"additionalProperties": False}, [1], True),
    ({"additionalProperties": {"type": "integer"}, "properties": {"a": True}}, {"a": "x", "b": 2}, True),
    ({"additionalProperties": {"type": "integer"}, "properties": {"a": True}}, {"a": "x", "b": "y"}, False),
    ({"patternProperties": {"^x-": {"type": "string"}}}, {"x-a": "s", "y": 1}, True),
    ({"patternProperties": {"^x-": {"type": "string"}}}, {"x-a": 1}, False),
    ({"patternProperties": {"-": {"type": "string"}}}, {"a-b": 1}, False),
    ({"patternProperties": {"^x": True, "^y": True}, "additionalProperties": False}, {"xa": 1, "yb": 2}, True),
    ({"patternProperties": {"^x": True, "^y": True}, "additionalProperties": False}, {"za": 1}, False),
    ({"patternProperties": {"^x": {"minimum": 5}}, "additionalProperties": {"type": "string"}}, {"x": 6}, True),
    ({"patternProperties": {"^x": {"minimum": 5}}, "additionalProperties": {"type": "string"}}, {"x": 4}, False),
    ({"patternProperties": {"^x": {"minimum": 5}}, "additionalProperties": {"type": "string"}}, {"a": 4}, False),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"abc": 1}, True),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"aBc": 1}, False),
    ({"propertyNames": {"minLength": 1}}, {"": 1}, False),
    ({"propertyNames": False}, {}, True),
    ({"propertyNames": False}, {"a": 1}, False),
    # applicators
    ({"allOf": [{"type": "integer"}, {"minimum": 2}]}, 2, True),
    ({"allOf": [{"type": "integer"}, {"minimum": 2}]}, 1, False),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 1.0, True),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, None, False),
    ({"anyOf": [{"type": "string"}, {}]}, None, True),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1, False),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1.5, True),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, "1", False),
    ({"oneOf": [True, False]}, 1, True),
    ({"not": {"type": "string"}}, "a", False),
    ({"not": {"type": "string"}}, 1, True),
    ({"not": False}, 1, True),
    ({"not": {}}, 1, False),
    (
        {"if": {"properties": {"k": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}},
        {"k": "a", "x": 1},
        True,
    ),
    (
        {"if": {"properties": {"k": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}},
        {},
        False,
    ),
    (
        {"if": {"properties": {"k": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}},
        {"k": "b", "y": 1},
        True,
    ),
    ({"if": {"type": "string"}, "then": {"minLength": 2}}, "a", False),
    ({"if": {"type": "string"}, "then": {"minLength": 2}}, 1, True),
    ({"if": {"type": "string"}, "else": {"minimum": 2}}, 1, False),
    ({"if": {"type": "string"}, "else": {"minimum": 2}}, "a", True),
    ({"if": False}, 1, True),
    ({"then": False}, 1, True),  # without `if`, then/else are never evaluated
    ({"else": False}, 1, True),
    # booleans as schemas
    (True, {"anything": [1]}, True),
    (False, None, False),
    ({"properties": {"a": {"items": False}}}, {"a": [1]}, False),
    # annotations are ignored
    ({"title": "t", "description": "d", "default": 5, "examples": [1], "$comment": "c", "deprecated": True}, 1, True),
    ({"type": "string", "default": 5}, 5, False),
    # local $ref, $defs, recursion, escaped pointers
    ({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n"}, 1, True),
    ({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n"}, "1", False),
    ({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n", "minimum": 5}, 1, False),
    ({"$defs": {"a/b": {"const": 1}}, "$ref": "#/$defs/a~1b"}, 1, True),
    ({"$defs": {"a/b": {"const": 1}}, "$ref": "#/$defs/a~1b"}, 2, False),
    ({"$defs": {"a b": {"const": 1}, "t~": {"const": 2}}, "allOf": [{"$ref": "#/$defs/a%20b"}]}, 2, False),
    ({"$defs": {"t~": {"const": 2}}, "$ref": "#/$defs/t~0"}, 2, True),
    ({"$defs": {"l": {"anyOf": [{"type": "string"}, {"const": 1}]}}, "$ref": "#/$defs/l/anyOf/1"}, 1, True),
    ({"$defs": {"l": {"anyOf": [{"type": "string"}, {"const": 1}]}}, "$ref": "#/$defs/l/anyOf/1"}, "a", False),
    (
        {
            "$id": "https://example.org/tree.json",
            "type": "object",
            "properties": {"value": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#"}}},
            "additionalProperties": False,
        },
        {"value": 1, "kids": [{"value": 2, "kids": [{"value": 3}]}, {"kids": []}]},
        True,
    ),
    (
        {
            "$id": "https://example.org/tree.json",
            "type": "object",
            "properties": {"value": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#"}}},
            "additionalProperties": False,
        },
        {"value": 1, "kids": [{"value": 2, "kids": [{"value": True}]}]},
        False,
    ),
    ({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string"}, "a", True),
    # what TOML and YAML loaders hand over besides JSON: dates, keys that are not strings
    ({"type": ["string", "number", "object", "array", "boolean", "null"]}, datetime.date(2024, 1, 31), False),
    ({"enum": ["2024-01-31"]}, datetime.date(2024, 1, 31), False),
    ({"minimum": 1, "pattern": "^x", "minLength": 3}, datetime.date(2024, 1, 31), True),
    ({"propertyNames": {"pattern": "^[0-9]+$"}}, {38: {}, "37": {}}, True),
    ({"propertyNames": {"type": "string"}}, {38: {}}, False),
    ({"properties": {"a": True}, "additionalProperties": False}, {1: 1}, False),
    ({"required": ["1"]}, {1: 1}, False),
]


@pytest.mark.parametrize(("schema", "instance", "verdict"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_keyword_edge_cases(schema: Any, instance: Any, verdict: bool) -> None:
    assert oracle(schema).is_valid(instance) is verdict  # the table says what jsonschema says
    assert compile_schema(schema)(instance) is verdict


def test_format_is_an_annotation_without_a_format_checker() -> None:
    schema = {"type": "string", "format": "email"}
    assert compile_schema(schema, formats_assert=False)("not an email") is True
    assert Draft202012Validator(schema).is_valid("not an email")


def test_deep_nesting_is_split_into_functions() -> None:
    # 30 nested objects and 30 nested arrays: beyond Python's 20 nested loops if all were inline
    obj: Any = {"type": "string"}
    arr: Any = {"type": "string"}
    good_obj: Any = "leaf"
    good_arr: Any = "leaf"
    for _ in range(30):
        obj = {"type": "object", "properties": {"a": obj}, "additionalProperties": {"type": "integer"}}
        arr = {"type": "array", "items": arr}
        good_obj = {"a": good_obj, "n": 1}
        good_arr = [good_arr]
    bad_arr = json.loads(json.dumps(good_arr).replace('"leaf"', "1"))
    bad_obj = json.loads(json.dumps(good_obj).replace('"leaf"', "1"))
    assert compile_schema(obj)(good_obj) is True
    assert compile_schema(obj)(bad_obj) is False
    assert compile_schema(arr)(good_arr) is True
    assert compile_schema(arr)(bad_arr) is False
    assert oracle(obj).is_valid(bad_obj) is False and oracle(arr).is_valid(bad_arr) is False


def test_generated_source_reads_as_plain_checks() -> None:
    src = schemafast.source({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}})
    assert src == (
        "def _s0(x0):\n"
        "    if not (isinstance(x0, dict)): return False\n"
        "    if not ('a' in x0): return False\n"
        "    x1 = x0.get('a', _MISSING)\n"
        "    if x1 is not _MISSING:\n"
        "        if not ((type(x1) is int or _is_integer(x1))): return False\n"
        "    return True\n"
        "\n"
        "is_valid = _s0\n"
    )


# ---- what the compiler refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "string", "format": "email"}, "#: keyword 'format' is not compiled"),
        ({"properties": {"a": {"multipleOf": 2}}}, "#/properties/a: keyword 'multipleOf' is not compiled"),
        ({"x-custom": 1}, "#: keyword 'x-custom' is not compiled"),
        ({"unevaluatedProperties": False}, "#: keyword 'unevaluatedProperties' is not compiled"),
        ({"$ref": "other.json#/a"}, "#/$ref: only $ref to '#' or a JSON pointer in this document is compiled"),
        ({"$ref": "#node"}, "#/$ref: $ref '#node' names an anchor"),
        ({"$defs": {"a": {}}, "$ref": "#%2F$defs%2Fa"}, "names an anchor"),
        ({"$ref": "#/$defs/missing"}, "#/$ref: $ref '#/$defs/missing' points at nothing"),
        ({"$defs": {"a": {"$id": "a.json"}}, "$ref": "#/$defs/a"}, "enters a subschema with its own $id"),
        ({"$defs": {"l": [{"type": "string"}]}, "$ref": "#/$defs/l/0"}, "passes through an array that holds no"),
        ({"items": {"$id": "x.json"}}, "#/items: $id below the root is not compiled"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "is not draft 2020-12"),
        ({"type": "str"}, "#/type: 'str' is not a type name"),
        ({"required": "a"}, "#/required: must be an array of strings"),
        ({"enum": "ab"}, "#/enum: must be an array"),
        ({"minLength": -1}, "#/minLength: must be a non-negative integer"),
        ({"minimum": "1"}, "#/minimum: must be a number"),
        ({"pattern": "("}, "#/pattern: pattern '(' does not compile"),
        ({"anyOf": []}, "#/anyOf: must be a non-empty array of schemas"),
        ({"additionalProperties": 0}, "#/additionalProperties: must be a schema"),
        ([], "#: a schema must be an object or a boolean"),
    ],
)
def test_refuses_what_it_does_not_cover(schema: Any, message: str) -> None:
    with pytest.raises(Refused) as info:
        compile_schema(schema)
    assert message in str(info.value)


def test_unreferenced_defs_and_lone_then_are_not_compiled() -> None:
    # jsonschema never evaluates them, so what they hold cannot change a verdict
    schema = {"$defs": {"odd": {"format": "email"}}, "then": {"multipleOf": 3}, "type": "integer"}
    assert compile_schema(schema)(4) is True


def test_a_refused_schema_keeps_jsonschema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemas, "schema", lambda _name: {"type": "string", "format": "ipv4"})
    schemas.predicate.cache_clear()
    schemas.validator.cache_clear()
    try:
        assert schemas.predicate("copy-plan") is None
        assert _diagnostics("copy-plan", "1.2.3") == ["doc.json:1:1: error[SC100]: '1.2.3' is not a 'ipv4'"]
        assert _diagnostics("copy-plan", "1.2.3.4") == []
    finally:
        monkeypatch.undo()
        schemas.predicate.cache_clear()
        schemas.validator.cache_clear()


# ---- the helpers, directly ---------------------------------------------------------------------


def test_json_equal_and_unique() -> None:
    assert json_equal(1, 1.0) and not json_equal(1, True) and not json_equal(0, False)
    assert json_equal({"a": [1, 2.0]}, {"a": [1.0, 2]}) and not json_equal({"a": 1}, {"b": 1})
    assert not json_equal([1], [1, 1]) and not json_equal("1", 1)
    assert unique([1, "1", True, None, [1], {"a": 1}])
    assert not unique([{"a": [1]}, {"a": [1.0]}])
