"""The JSON Schemas shipped in `schemas/`, and schema checking that reports located diagnostics.

A document is first checked by jsonschema-rs (a compiled JSON Schema 2020-12 validator), which
says valid or not. Only a document it rejects is walked by jsonschema, whose errors give the
messages (their wording, made shorter by `describe`); so a valid workspace never imports
jsonschema. Every message passes through `secrets.mask_urls_in_text` (docs/formats.md, "Secrets
in messages"): a value quoted from the input never shows a URL's password or query string, and a
value under a password/token/secret key is never quoted at all.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from . import packagedata
from .diagnostics import JsonPath
from .document import Document, Findings, define
from .secrets import mask_urls_in_text

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
    """Schema `name` as a JSON object."""
    doc: dict[str, Any] = json.loads(text(name))
    return doc


@functools.cache
def validator(name: str) -> Any:
    """jsonschema's validator for schema `name` (format assertions on); it writes the messages."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def fast_validator(name: str) -> Any:
    """jsonschema-rs's compiled validator for schema `name`, configured as `validator` (formats
    asserted), so that both give one verdict (tests/test_schemas.py compares them)."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema(name), validate_formats=True)


def is_valid(name: str, data: Any) -> bool | None:
    """jsonschema-rs's verdict on `data`, or None when it cannot take the data (a value that is
    not JSON, such as a TOML date): then jsonschema decides."""
    try:
        return bool(fast_validator(name).is_valid(data))
    except (ValueError, TypeError, OverflowError):
        return None


def _short(value: Any, limit: int = 60) -> str:
    s = json.dumps(value, ensure_ascii=False, default=str)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def describe(err: Any) -> str:
    """One readable line for a jsonschema error, without dumping large instances (not yet masked)."""
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
    """Report every schema violation of `doc.data` against schema `name`, one SC100 each."""
    if is_valid(name, doc.data):
        return
    for err in validator(name).iter_errors(doc.data):
        target = err
        if err.validator in ("oneOf", "anyOf") and err.context:
            from jsonschema.exceptions import best_match

            target = best_match(err.context)
        path: JsonPath = tuple(target.absolute_path)
        # a message about a secret's value must not quote it; any other quoted URL is masked
        if _secret_path(path):
            message = f"value is not valid ({target.validator})"
        else:
            message = mask_urls_in_text(describe(target))
        findings.report(SC_SCHEMA, message, path)
