"""The JSON Schemas shipped in `schemas/`, and schema checking that reports located diagnostics.

A document is first checked by the schema's compiled predicate (`schemafast`), which only says
valid or not; jsonschema runs only on a document the predicate rejects, so every diagnostic is
jsonschema's as before, and a valid workspace never even imports jsonschema.
"""

from __future__ import annotations

import functools
import json
import os
from typing import TYPE_CHECKING, Any

from . import packagedata
from .diagnostics import JsonPath
from .document import Document, Findings, define

if TYPE_CHECKING:
    from .schemafast import Predicate

SC_SCHEMA = define("SC100", "error", "does not match the schema")

_PACKAGE = "ferryman.schemas"


def names() -> list[str]:
    """The names of the shipped schemas (file `NAME.schema.json`)."""
    files = os.listdir(packagedata.folder(_PACKAGE))
    return sorted(f.removesuffix(".schema.json") for f in files if f.endswith(".schema.json"))


def text(name: str) -> str:
    """The text of schema `name`, as shipped."""
    return packagedata.read_text(_PACKAGE, f"{name}.schema.json")


@functools.cache
def schema(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text(name))
    return doc


@functools.cache
def validator(name: str) -> Any:
    """jsonschema's validator for schema `name` (format assertions on); it writes the messages."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def predicate(name: str) -> Predicate | None:
    """The compiled yes/no check of schema `name`, or None when the schema uses something the
    compiler does not cover (then jsonschema alone checks it)."""
    from . import schemafast

    try:
        # formats_assert: `validator` has a format checker, so `format` must stay with jsonschema
        return schemafast.compile_schema(schema(name), formats_assert=True)
    except schemafast.Refused:
        return None


def _short(value: Any, limit: int = 60) -> str:
    s = json.dumps(value, ensure_ascii=False, default=str)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def describe(err: Any) -> str:
    """One readable line for a jsonschema error, without dumping large instances."""
    v = err.validator
    if v == "required":
        return str(err.message)
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"{_short(err.instance)} is not of type {want}"
    if v == "enum":
        opts = ", ".join(_short(o) for o in err.validator_value)
        return f"{_short(err.instance)} is not one of {opts}"
    if v == "additionalProperties":
        return str(err.message)
    if v in ("oneOf", "anyOf") and err.context:
        from jsonschema.exceptions import best_match

        return describe(best_match(err.context))
    if v == "pattern":
        return f"{_short(err.instance)} does not match {err.validator_value!r}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "minItems", "maxLength"):
        return str(err.message)
    msg = str(err.message)
    return msg if len(msg) < 200 else msg[:199] + "…"


SECRET_KEYS = ("password", "token", "secret")


def _secret_path(path: JsonPath) -> bool:
    return any(isinstance(p, str) and any(k in p.lower() for k in SECRET_KEYS) for p in path)


def check(doc: Document, name: str, findings: Findings) -> None:
    """Report every schema violation of `doc.data` against schema `name`."""
    fast = predicate(name)
    if fast is not None:
        try:
            if fast(doc.data):
                return
        except Exception:
            pass  # whatever tripped the predicate, jsonschema below decides and reports as it always did
    for err in validator(name).iter_errors(doc.data):
        target = err
        if err.validator in ("oneOf", "anyOf") and err.context:
            from jsonschema.exceptions import best_match

            target = best_match(err.context)
        path: JsonPath = tuple(target.absolute_path)
        # a message about a secret's value must not quote it
        message = f"value is not valid ({target.validator})" if _secret_path(path) else describe(target)
        findings.report(SC_SCHEMA, message, path)
