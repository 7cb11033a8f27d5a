"""Compile a JSON Schema into a plain Python predicate `is_valid(instance) -> bool`.

jsonschema's `iter_errors` pays for every keyword of every subschema on every value (a validator
per subschema, generators, error bookkeeping) even when nothing is wrong, which is almost always.
This module turns a schema into Python source once - straight-line `isinstance` checks, `in`
tests and loops, with `return False` at the first violation - and `exec`s it. The predicate only
says yes or no; `schemas.check` asks jsonschema for the errors when it says no, so every message a
user reads still comes from jsonschema.

Only the subset of draft 2020-12 that ferryman's schemas use is compiled: `type`, `enum`, `const`,
`required`, `properties`, `patternProperties`, `additionalProperties`, `propertyNames`,
`minProperties`/`maxProperties`, `items`, `prefixItems`, `minItems`/`maxItems`, `uniqueItems`,
`pattern`, `minLength`/`maxLength`, `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`,
`allOf`/`anyOf`/`oneOf`/`not`, `if`/`then`/`else`, `$ref` to a JSON pointer in the same document,
and annotations (ignored). Anything else that validation would reach - another keyword, `format`
when formats are asserted, a remote or anchor `$ref`, an `$id` below the root, a malformed keyword
value - raises `Refused`, and the caller keeps jsonschema for that schema.

The verdict is jsonschema's (Draft202012Validator, version 4) to the letter: `bool` is neither an
integer nor a number, `1.0` is an integer, `enum`/`const`/`uniqueItems` compare as jsonschema's
`equal` does (1 == 1.0, True != 1, recursively), `pattern` is `re.search` (unanchored), lengths
count code points, and a keyword ignores values of other types.
"""

from __future__ import annotations

import itertools
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

Predicate = Callable[[Any], bool]

DIALECTS = frozenset({"https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#"})

ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
)
_ANY_TYPE = frozenset({"type", "enum", "const", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref"})
_OBJECT = frozenset(
    {
        "required",
        "properties",
        "patternProperties",
        "additionalProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
    }
)
_ARRAY = frozenset({"items", "prefixItems", "minItems", "maxItems", "uniqueItems"})
_STRING = frozenset({"pattern", "minLength", "maxLength"})
_NUMBER = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
# `$defs` only holds targets for `$ref`; `$id` and `$schema` are accepted at the root only
KEYWORDS = ANNOTATIONS | _ANY_TYPE | _OBJECT | _ARRAY | _STRING | _NUMBER | {"$defs", "$id", "$schema"}

# the tests jsonschema's draft 2020-12 type checker makes, as expressions over a variable
_TYPE_TEST = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "boolean": "({v} is True or {v} is False)",
    "null": "{v} is None",
    "integer": "(type({v}) is int or _is_integer({v}))",
    "number": "(type({v}) is int or type({v}) is float or _is_number({v}))",
}
# the test that decides whether a group of keywords looks at a value at all
_GUARD = {group: _TYPE_TEST[group] for group in ("object", "array", "string", "number")}
_GROUP_TYPES = {
    "object": frozenset({"object"}),
    "array": frozenset({"array"}),
    "string": frozenset({"string"}),
    "number": frozenset({"integer", "number"}),
}

_SCHEMA_ARRAYS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})

# beyond this nesting a subschema becomes a function of its own: Python limits statically nested
# loops (20) and indentation (100)
_MAX_INLINE_DEPTH = 8


class Refused(Exception):
    """The schema uses something the compiler does not cover; validate it with jsonschema instead."""


def compile_schema(schema: Any, *, formats_assert: bool = True) -> Predicate:
    """A predicate that is True exactly when jsonschema's Draft202012Validator finds `schema` valid
    for an instance. `formats_assert` says the validator has a format checker (then `format` is
    refused); without one, `format` is an annotation. Raises `Refused` outside the subset."""
    code, namespace = _generate(schema, formats_assert)
    exec(compile(code, "<schemafast>", "exec"), namespace)
    predicate: Predicate = namespace["is_valid"]
    return predicate


def source(schema: Any, *, formats_assert: bool = True) -> str:
    """The Python source `compile_schema` would run for `schema` (for reading and debugging)."""
    return _generate(schema, formats_assert)[0]


# ---- the runtime helpers the generated code calls ------------------------------------------------


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, numbers.Number)


_TRUE = object()
_FALSE = object()


def _unbool(x: Any) -> Any:
    # stand-ins that equal nothing else, so True and 1 stay apart (jsonschema's trick, same effect)
    if x is True:
        return _TRUE
    if x is False:
        return _FALSE
    return x


def json_equal(a: Any, b: Any) -> bool:
    """Equality as jsonschema's `enum`, `const` and `uniqueItems` decide it: numbers by value
    (1 == 1.0), booleans apart from numbers (True != 1), arrays and objects member by member."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, Sequence) and isinstance(b, Sequence):
        return len(a) == len(b) and all(json_equal(i, j) for i, j in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and json_equal(v, b[k]) for k, v in a.items())
    return bool(_unbool(a) == _unbool(b))


def unique(items: Sequence[Any]) -> bool:
    """Whether no two items are `json_equal`, decided the way jsonschema's uniqueItems decides it:
    neighbours after sorting when the items sort, every pair otherwise."""
    try:
        ordered = sorted(_unbool(i) for i in items)
        return not any(json_equal(a, b) for a, b in itertools.pairwise(ordered))
    except (NotImplementedError, TypeError):
        seen: list[Any] = []
        for item in items:
            u = _unbool(item)
            if any(json_equal(s, u) for s in seen):
                return False
            seen.append(u)
        return True


_MISSING = object()


def _runtime() -> dict[str, Any]:
    return {
        "_is_integer": _is_integer,
        "_is_number": _is_number,
        "_equal": json_equal,
        "_unique": unique,
        "_islice": itertools.islice,
        "_MISSING": _MISSING,
    }


# ---- code generation ---------------------------------------------------------------------------


def _generate(schema: Any, formats_assert: bool) -> tuple[str, dict[str, Any]]:
    gen = _Generator(schema, formats_assert)
    root = gen.function(schema, "#")
    functions = "\n\n".join(gen.functions)
    return f"{functions}\n\nis_valid = {root}\n", gen.namespace


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _pointer(where: str, *parts: str | int) -> str:
    return where + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_bound(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Generator:
    """Turns one schema document into the source of a few Python functions."""

    def __init__(self, root: Any, formats_assert: bool) -> None:
        self.root = root
        self.formats_assert = formats_assert
        self.namespace = _runtime()
        self.functions: list[str] = []
        self.by_ref: dict[tuple[str, ...], str] = {}
        self.by_id: dict[int, str] = {}
        self.constants: dict[tuple[str, str], str] = {}
        self.counter = itertools.count()

    # -- names in the generated module

    def constant(self, value: Any, kind: str, key: str | None = None) -> str:
        """A module-level name for `value`, shared by equal constants (same kind and `key`, or repr)."""
        ident = (kind, repr(value) if key is None else key)
        name = self.constants.get(ident)
        if name is None:
            name = f"_{kind}{len(self.constants)}"
            self.constants[ident] = name
            self.namespace[name] = value
        return name

    def regex(self, pattern: Any, where: str) -> str:
        if not isinstance(pattern, str):
            raise Refused(f"{where}: a pattern must be a string")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise Refused(f"{where}: pattern {pattern!r} does not compile ({exc})") from None
        return self.constant(compiled, "re", pattern)

    def function(self, schema: Any, where: str, body: list[str] | None = None) -> str:
        """The name of a generated function `(x0) -> bool` for `schema` (whose `body`, at depth 0,
        the caller may have generated already)."""
        if isinstance(schema, dict) and id(schema) in self.by_id:
            return self.by_id[id(schema)]
        name = f"_s{next(self.counter)}"
        if isinstance(schema, dict):
            self.by_id[id(schema)] = name
        self.define(name, self.block(schema, "x0", 0, where) if body is None else body)
        return name

    def define(self, name: str, body: list[str]) -> None:
        self.functions.append("\n".join([f"def {name}(x0):", *_indent([*body, "return True"])]))

    def ref(self, ref: Any, where: str) -> str:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise Refused(f"{where}: only $ref to '#' or a JSON pointer in this document is compiled, not {ref!r}")
        # like jsonschema (referencing): a fragment is a pointer when it starts with "/" before unquoting
        if ref[1:] and not ref.startswith("#/"):
            raise Refused(f"{where}: $ref {ref!r} names an anchor")
        fragment = unquote(ref[1:])
        parts = tuple(p.replace("~1", "/").replace("~0", "~") for p in fragment.split("/")[1:]) if fragment else ()
        name = self.by_ref.get(parts)
        if name is not None:
            return name
        target, key = self.root, ""
        for part in parts:
            if isinstance(target, dict) and part in target:
                target, key = target[part], part
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                # jsonschema (referencing) only walks arrays of subschemas; other arrays make it fail
                if key not in _SCHEMA_ARRAYS:
                    raise Refused(f"{where}: $ref {ref!r} passes through an array that holds no schemas")
                target, key = target[int(part)], ""
            else:
                raise Refused(f"{where}: $ref {ref!r} points at nothing")
            if isinstance(target, dict) and "$id" in target:
                raise Refused(f"{where}: $ref {ref!r} enters a subschema with its own $id")
        name = f"_r{next(self.counter)}"
        self.by_ref[parts] = name  # before generating, so a recursive $ref finds it
        self.define(name, self.block(target, "x0", 0, "#" + fragment))
        return name

    # -- one subschema, inline

    def inline(self, schema: Any, v: str, depth: int, where: str) -> list[str]:
        """Statements that `return False` when `v` does not match `schema`, nested below `depth`."""
        if depth < _MAX_INLINE_DEPTH:
            return self.block(schema, v, depth, where)
        body = self.block(schema, "x0", 0, where)
        return [f"if not {self.function(schema, where, body)}({v}): return False"] if body else []

    def block(self, schema: Any, v: str, depth: int, where: str) -> list[str]:
        if schema is True:
            return []
        if schema is False:
            return ["return False"]
        if not isinstance(schema, dict):
            raise Refused(f"{where}: a schema must be an object or a boolean")
        self.check_keywords(schema, where)
        lines: list[str] = []
        types = self.types(schema, where)
        if types is not None:
            lines.append(f"if not ({' or '.join(_TYPE_TEST[t].format(v=v) for t in types)}): return False")
        if "enum" in schema:
            if not isinstance(schema["enum"], list):
                raise Refused(f"{where}/enum: must be an array")
            lines.append(f"if not ({self.one_of_values(schema['enum'], v)}): return False")
        if "const" in schema:
            lines.append(f"if not ({self.one_of_values([schema['const']], v)}): return False")
        groups = (
            ("object", self.object_keywords),
            ("array", self.array_keywords),
            ("string", self.string_keywords),
            ("number", self.number_keywords),
        )
        for group, keywords in groups:
            wanted = _GROUP_TYPES[group]
            if types is not None and not wanted & set(types):
                continue  # `type` already turned away every value these keywords look at
            body = keywords(schema, v, depth, where)
            if not body:
                continue
            if types is not None and set(types) <= wanted:
                lines.extend(body)
            else:
                lines.append(f"if {_GUARD[group].format(v=v)}:")
                lines.extend(_indent(body))
        lines.extend(self.applicators(schema, v, depth, where))
        return lines

    def check_keywords(self, schema: dict[str, Any], where: str) -> None:
        for key in schema:
            if key == "format" and not self.formats_assert:
                continue
            if key not in KEYWORDS:
                raise Refused(f"{where}: keyword {key!r} is not compiled")
        if schema is self.root and not isinstance(schema.get("$id", ""), str):
            raise Refused(f"{where}: $id must be a string")
        if schema is not self.root:
            if "$id" in schema:
                raise Refused(f"{where}: $id below the root is not compiled")
            if "$schema" in schema:
                raise Refused(f"{where}: $schema below the root is not compiled")
        elif "$schema" in schema and schema["$schema"] not in DIALECTS:
            raise Refused(f"{where}: $schema {schema['$schema']!r} is not draft 2020-12")

    def types(self, schema: dict[str, Any], where: str) -> list[str] | None:
        if "type" not in schema:
            return None
        value = schema["type"]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPE_TEST for n in names):
            raise Refused(f"{where}/type: {value!r} is not a type name or a list of them")
        return list(dict.fromkeys(names))

    def one_of_values(self, values: list[Any], v: str) -> str:
        """An expression: `v` is `json_equal` to one of `values`."""
        if not values:
            return "False"
        strings = [x for x in values if isinstance(x, str)]
        terms: list[str] = []
        if len(strings) == 1:
            # any str compares to a str with ==, and nothing else equals one (json_equal's rule)
            terms.append(f"(isinstance({v}, str) and {v} == {self.constant(strings[0], 'c')})")
        elif strings:
            terms.append(f"(isinstance({v}, str) and {v} in {self.constant(frozenset(strings), 'set')})")
        for x in values:
            if x is True or x is False or x is None:
                terms.append(f"{v} is {x!r}")  # only True is json_equal to True, and so on
            elif not isinstance(x, str):
                terms.append(f"_equal({v}, {self.constant(x, 'c')})")
        return " or ".join(dict.fromkeys(terms))

    # -- keywords by the type of value they look at

    def object_keywords(self, schema: dict[str, Any], v: str, depth: int, where: str) -> list[str]:
        lines: list[str] = []
        x, k = f"x{depth + 1}", f"k{depth + 1}"
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise Refused(f"{where}/required: must be an array of strings")
        if required:
            tests = " and ".join(f"{r!r} in {v}" for r in dict.fromkeys(required))
            lines.append(f"if not ({tests}): return False")
        for word, op in (("minProperties", "<"), ("maxProperties", ">")):
            if word in schema:
                if not _is_count(schema[word]):
                    raise Refused(f"{where}/{word}: must be a non-negative integer")
                lines.append(f"if len({v}) {op} {schema[word]}: return False")
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            raise Refused(f"{where}/properties: must be an object")
        for name, sub in properties.items():
            body = self.inline(sub, x, depth + 1, _pointer(where, "properties", name))
            if body:
                lines.append(f"{x} = {v}.get({name!r}, _MISSING)")
                lines.append(f"if {x} is not _MISSING:")
                lines.extend(_indent(body))
        patterns = schema.get("patternProperties", {})
        if not isinstance(patterns, dict):
            raise Refused(f"{where}/patternProperties: must be an object")
        for pattern, sub in patterns.items():
            test = self.regex(pattern, _pointer(where, "patternProperties"))
            body = self.inline(sub, x, depth + 1, _pointer(where, "patternProperties", pattern))
            if body:
                lines.append(f"for {k}, {x} in {v}.items():")
                lines.append(f"    if {test}.search({k}):")
                lines.extend(_indent(_indent(body)))
        if "additionalProperties" in schema:
            lines.extend(self.additional(schema, v, depth, where))
        if "propertyNames" in schema:
            body = self.inline(schema["propertyNames"], k, depth + 1, _pointer(where, "propertyNames"))
            if body:
                lines.append(f"for {k} in {v}:")
                lines.extend(_indent(body))
        return lines

    def additional(self, schema: dict[str, Any], v: str, depth: int, where: str) -> list[str]:
        """`additionalProperties`: the keys neither `properties` nor `patternProperties` name."""
        extra = schema["additionalProperties"]
        properties, patterns = schema.get("properties"), schema.get("patternProperties")
        if not isinstance(extra, (dict, bool)):
            raise Refused(f"{where}/additionalProperties: must be a schema")
        x, k = f"x{depth + 1}", f"k{depth + 1}"
        body = self.inline(extra, x, depth + 1, _pointer(where, "additionalProperties"))
        if not body:
            return []
        known = self.constant(frozenset(properties), "keys") if properties else None
        # jsonschema tests an extra key against the patterns joined into one regex
        joined = self.regex("|".join(patterns), _pointer(where, "patternProperties")) if patterns else None
        if extra is False and joined is None:
            return [f"if not {known}.issuperset({v}): return False" if known else f"if {v}: return False"]
        lines = [f"for {k}, {x} in {v}.items():"]
        if known:
            lines.append(f"    if {k} in {known}: continue")
        if joined:
            lines.append(f"    if {joined}.search({k}): continue")
        return lines + _indent(body)

    def array_keywords(self, schema: dict[str, Any], v: str, depth: int, where: str) -> list[str]:
        lines: list[str] = []
        x = f"x{depth + 1}"
        for word, op in (("minItems", "<"), ("maxItems", ">")):
            if word in schema:
                if not _is_count(schema[word]):
                    raise Refused(f"{where}/{word}: must be a non-negative integer")
                lines.append(f"if len({v}) {op} {schema[word]}: return False")
        if "uniqueItems" in schema:
            if not isinstance(schema["uniqueItems"], bool):
                raise Refused(f"{where}/uniqueItems: must be a boolean")
            if schema["uniqueItems"]:
                lines.append(f"if not _unique({v}): return False")
        prefix = schema.get("prefixItems", [])
        if not isinstance(prefix, list) or ("prefixItems" in schema and not prefix):
            raise Refused(f"{where}/prefixItems: must be a non-empty array of schemas")
        for i, sub in enumerate(prefix):
            body = self.inline(sub, x, depth + 1, _pointer(where, "prefixItems", i))
            if body:
                lines.append(f"if len({v}) > {i}:")
                lines.append(f"    {x} = {v}[{i}]")
                lines.extend(_indent(body))
        if "items" in schema:
            items = schema["items"]
            if items is False:
                lines.append(f"if len({v}) > {len(prefix)}: return False")
            else:
                body = self.inline(items, x, depth + 1, _pointer(where, "items"))
                if body:
                    rest = f"_islice({v}, {len(prefix)}, None)" if prefix else v
                    lines.append(f"for {x} in {rest}:")
                    lines.extend(_indent(body))
        return lines

    def string_keywords(self, schema: dict[str, Any], v: str, depth: int, where: str) -> list[str]:
        lines: list[str] = []
        for word, op in (("minLength", "<"), ("maxLength", ">")):
            if word in schema:
                if not _is_count(schema[word]):
                    raise Refused(f"{where}/{word}: must be a non-negative integer")
                lines.append(f"if len({v}) {op} {schema[word]}: return False")
        if "pattern" in schema:
            test = self.regex(schema["pattern"], _pointer(where, "pattern"))
            lines.append(f"if not {test}.search({v}): return False")
        return lines

    def number_keywords(self, schema: dict[str, Any], v: str, depth: int, where: str) -> list[str]:
        lines: list[str] = []
        fails = (("minimum", "<"), ("maximum", ">"), ("exclusiveMinimum", "<="), ("exclusiveMaximum", ">="))
        for word, op in fails:
            if word in schema:
                bound = schema[word]
                if not _is_bound(bound):
                    raise Refused(f"{where}/{word}: must be a number")
                # an int's repr is exact source; a float goes in as a constant (inf has no literal)
                literal = str(bound) if isinstance(bound, int) else self.constant(bound, "n")
                lines.append(f"if {v} {op} {literal}: return False")
        return lines

    # -- keywords that apply subschemas to the same value

    def applicators(self, schema: dict[str, Any], v: str, depth: int, where: str) -> list[str]:
        lines: list[str] = []
        if "$ref" in schema:
            lines.append(f"if not {self.ref(schema['$ref'], where + '/$ref')}({v}): return False")
        if "allOf" in schema:
            for i, sub in enumerate(self.schema_list(schema, "allOf", where)):
                lines.extend(self.inline(sub, v, depth + 1, _pointer(where, "allOf", i)))
        if "anyOf" in schema:
            subs = self.schema_list(schema, "anyOf", where)
            bodies = [self.block(s, "x0", 0, _pointer(where, "anyOf", i)) for i, s in enumerate(subs)]
            if all(bodies):  # a subschema that takes everything makes anyOf take everything
                calls = [f"{self.function(s, '', b)}({v})" for s, b in zip(subs, bodies, strict=True)]
                lines.append(f"if not ({' or '.join(calls)}): return False")
        if "oneOf" in schema:
            subs = self.schema_list(schema, "oneOf", where)
            calls = [f"{self.function(s, _pointer(where, 'oneOf', i))}({v})" for i, s in enumerate(subs)]
            lines.append(f"if ({' + '.join(calls)}) != 1: return False")
        if "not" in schema:
            lines.append(f"if {self.function(schema['not'], where + '/not')}({v}): return False")
        if "if" in schema:
            then = self.inline(schema["then"], v, depth + 1, where + "/then") if "then" in schema else []
            other = self.inline(schema["else"], v, depth + 1, where + "/else") if "else" in schema else []
            # `if` alone only annotates; when it matters, it is a function (its failures must not return)
            test = f"{self.function(schema['if'], where + '/if')}({v})" if then or other else ""
            if then:
                lines.append(f"if {test}:")
                lines.extend(_indent(then))
                if other:
                    lines.append("else:")
                    lines.extend(_indent(other))
            elif other:
                lines.append(f"if not {test}:")
                lines.extend(_indent(other))
        return lines

    def schema_list(self, schema: dict[str, Any], word: str, where: str) -> list[Any]:
        subs = schema[word]
        if not isinstance(subs, list) or not subs:
            raise Refused(f"{where}/{word}: must be a non-empty array of schemas")
        return subs
