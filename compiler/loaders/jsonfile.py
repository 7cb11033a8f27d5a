"""JSON loader: the C parser for speed, a small position scanner only when something is reported.

Beyond the parser's own syntax errors, three things are refused here with their line and column,
because a value would otherwise silently change or crash a later phase (docs/formats.md, "Numbers
in JSON, YAML and TOML"):
* a key given twice in one object (IO110): Python and Jackson both keep the later value silently;
* `NaN`, `Infinity`, `-Infinity` (not JSON, though Python's parser takes them) and a number too
  large for a float (`1e400`, which Python reads as infinity) (IO111);
* an integer longer than Python converts (`sys.get_int_max_str_digits()`, 4,300 digits) (IO111).
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from typing import Any

from ..diagnostics import Diagnostic, JsonPath
from ..document import Document, Position
from ..secrets import mask_text
from . import (
    IO_DUPLICATE_KEY,
    IO_JSON_SYNTAX,
    IO_NUMBER,
    IO_TOO_DEEP,
    MAX_DEPTH,
    LoadResult,
    file_diagnostic,
    long_integer_message,
    offset_to_line_col,
)

_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"[^,\]}\s]+")


class _NotANumber(ValueError):
    """A number the loader refuses (raised from the parser's hooks, located afterwards)."""


def _constant(name: str) -> Any:
    raise _NotANumber(name)


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotANumber(text)
    return value


class _Duplicate(Exception):
    """A key given twice in one object (raised from the shared decoder's hook, see `load_text`)."""


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(items)
    if len(obj) != len(items):
        raise _Duplicate
    return obj


# made once: the common file has no duplicate key, and this decoder keeps no state between files
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)


def load_text(text: str, display: str, kind: str, fs_path: str | None = None) -> LoadResult:
    """Parse `text` (a JSON document) into a `Document`, or the located diagnostics of why not.

    The shared decoder stops at the first key given twice; the file is then parsed again to the
    end, noting duplicates, so that a later syntax or number error is still the one reported,
    as when duplicates are only noted (IO103 and IO111 take precedence over IO110, IO110 over
    IO107: docs/formats.md, "Checking thousands of plans")."""
    try:
        data = _DECODER.decode(text)
    except _Duplicate:
        return _load_noting_duplicates(text, display, kind, fs_path)
    except (ValueError, RecursionError) as exc:
        return _unreadable(text, display, exc)
    return _loaded(text, display, kind, fs_path, data)


def _load_noting_duplicates(text: str, display: str, kind: str, fs_path: str | None) -> LoadResult:
    duplicated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        obj = dict(items)
        if len(obj) != len(items):
            duplicated = True
        return obj

    decoder = json.JSONDecoder(object_pairs_hook=pairs, parse_constant=_constant, parse_float=_float)
    try:
        data = decoder.decode(text)
    except (ValueError, RecursionError) as exc:
        return _unreadable(text, display, exc)
    if duplicated:
        return LoadResult(None, _duplicate_keys(text, display))
    return _loaded(text, display, kind, fs_path, data)


def _unreadable(text: str, display: str, exc: ValueError | RecursionError) -> LoadResult:
    """The diagnostic for the parser's error `exc` on `text`, located."""
    if isinstance(exc, _NotANumber):
        return LoadResult(None, [_bad_number(text, display, str(exc))])
    if isinstance(exc, json.JSONDecodeError):
        line, col, msg = exc.lineno, exc.colno, exc.msg[0].lower() + exc.msg[1:]
        opening = (
            _unterminated_string(text, exc.pos) if exc.msg.startswith(("Invalid control", "Unterminated")) else None
        )
        if opening is not None:
            (line, col), msg = offset_to_line_col(text, opening), "string is missing its closing quote"
        return LoadResult(None, [file_diagnostic(display, IO_JSON_SYNTAX, msg, line, col)])
    if isinstance(exc, RecursionError):
        line, col = _too_deep_at(text)
        msg = f"JSON nested deeper than {MAX_DEPTH} levels"
        return LoadResult(None, [file_diagnostic(display, IO_TOO_DEEP, msg, line, col)])
    # an integer past the int-string limit (the only other ValueError the parser raises)
    return LoadResult(None, [_long_integer(text, display)])


def _loaded(text: str, display: str, kind: str, fs_path: str | None, data: Any) -> LoadResult:
    # cheap guard first: deep nesting needs at least MAX_DEPTH opening brackets
    depth_at = _depth_exceeded(text) if text.count("[") + text.count("{") > MAX_DEPTH else None
    if depth_at is not None:
        msg = f"JSON nested deeper than {MAX_DEPTH} levels"
        return LoadResult(None, [file_diagnostic(display, IO_TOO_DEEP, msg, *depth_at)])
    return LoadResult(Document(display, kind, data, text, functools.partial(locate, text), fs_path), [])


# tokens outside strings: a string (skipped), or a number / bare word (checked)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|Infinity|NaN)', re.S)


def _bad_number(text: str, display: str, written: str) -> Diagnostic:
    """IO111 at the first number token spelled `written` (NaN, Infinity, or one that overflows)."""
    at = 0
    for m in _TOKEN.finditer(text):
        token = m.group()
        if token == written:
            at = m.start()
            break
    line, col = offset_to_line_col(text, at)
    word = written.lstrip("-")
    if word in ("NaN", "Infinity"):
        msg = f"{written} is not a JSON number (JSON has no NaN or infinities)"
    else:
        msg = f"number {_shorten(written)} is too large (beyond a float's range)"
    return file_diagnostic(display, IO_NUMBER, msg, line, col)


def _long_integer(text: str, display: str) -> Diagnostic:
    """IO111 at the first integer longer than Python converts."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    for m in _TOKEN.finditer(text):
        token = m.group()
        digits = len(token.lstrip("-"))
        if token[0] != '"' and limit and digits > limit:
            line, col = offset_to_line_col(text, m.start())
            return file_diagnostic(display, IO_NUMBER, long_integer_message(digits, limit), line, col)
    return file_diagnostic(display, IO_NUMBER, "a number cannot be read")


def _shorten(token: str, limit: int = 24) -> str:
    return token if len(token) <= limit else token[: limit - 1] + "…"


def _duplicate_keys(text: str, display: str) -> list[Diagnostic]:
    """IO110 at each key given a second time in the same object, naming where it was first given.

    Runs only when the parser saw a duplicate, on text the parser accepted.
    """
    out: list[Diagnostic] = []
    # per open container: key -> offset of its first occurrence (None for an array)
    stack: list[dict[str, int] | None] = []
    expect_key = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            m = _STRING.match(text, i)
            end = m.end() if m else n
            seen = stack[-1] if stack else None
            if seen is not None and expect_key:
                key = json.loads(text[i:end])
                if key in seen:
                    first_line, _ = offset_to_line_col(text, seen[key])
                    line, col = offset_to_line_col(text, i)
                    quoted = json.dumps(key, ensure_ascii=False)
                    msg = f"key {quoted} is given twice in one object (first at line {first_line})"
                    out.append(file_diagnostic(display, IO_DUPLICATE_KEY, mask_text(msg), line, col))
                else:
                    seen[key] = i
                expect_key = False
            i = end
            continue
        if c == "{":
            stack.append({})
            expect_key = True
        elif c == "[":
            stack.append(None)
        elif c in "]}":
            stack.pop()
            expect_key = False
        elif c == ",":
            expect_key = bool(stack) and stack[-1] is not None
        i += 1
    return out


def _unterminated_string(text: str, pos: int) -> int | None:
    """Offset of the opening quote of a string that runs into a line end (or the end of the text)."""
    if pos < len(text) and text[pos] not in "\r\n" and not text.startswith('"', pos):
        return None
    start = text.rfind("\n", 0, pos) + 1
    i, opening = start, None
    while i < pos:  # walk the line's strings to find the one left open at `pos`
        if text[i] == '"':
            m = _STRING.match(text, i)
            if m is None or m.end() > pos:
                opening = i
                break
            i = m.end()
            continue
        i += 1
    return opening


def _depth_exceeded(text: str) -> tuple[int, int] | None:
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            m = _STRING.match(text, i)
            i = m.end() if m else n
            continue
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return offset_to_line_col(text, i)
        elif c in "]}":
            depth -= 1
        i += 1
    return None


def _too_deep_at(text: str) -> tuple[int, int]:
    return _depth_exceeded(text) or (1, 1)


def locate(text: str, path: JsonPath) -> tuple[int, int]:
    """Line and column of the value at `path`; for an object member, of its key."""
    i = _WS.match(text, 0).end()  # type: ignore[union-attr]
    key_at = i
    for part in path:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i >= len(text):
            break
        c = text[i]
        if c == "{" and isinstance(part, str):
            found = _find_member(text, i, part)
            if found is None:
                break
            key_at, i = found
        elif c == "[" and isinstance(part, int):
            found_i = _find_item(text, i, part)
            if found_i is None:
                break
            key_at = i = found_i
        else:
            break
    return offset_to_line_col(text, key_at)


def _find_member(text: str, i: int, name: str) -> tuple[int, int] | None:
    i += 1  # past "{"
    while True:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i >= len(text) or text[i] == "}":
            return None
        m = _STRING.match(text, i)
        if not m:
            return None
        key_at = i
        key: Any = json.loads(m.group())
        i = _WS.match(text, m.end()).end()  # type: ignore[union-attr]
        if i >= len(text) or text[i] != ":":
            return None
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if key == name:
            return key_at, i
        i = _skip_value(text, i)
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i < len(text) and text[i] == ",":
            i += 1


def _find_item(text: str, i: int, index: int) -> int | None:
    i += 1  # past "["
    n = 0
    while True:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i >= len(text) or text[i] == "]":
            return None
        if n == index:
            return i
        i = _skip_value(text, i)
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if i < len(text) and text[i] == ",":
            i += 1
        n += 1


def _skip_value(text: str, i: int) -> int:
    if i >= len(text):
        return i
    c = text[i]
    if c == '"':
        m = _STRING.match(text, i)
        return m.end() if m else len(text)
    if c not in "[{":
        m = _SCALAR.match(text, i)
        return m.end() if m else i + 1
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            m = _STRING.match(text, i)
            i = m.end() if m else n
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


_KEY_COLON = re.compile(r'"(?:[^"\\]|\\.)*"\s*:\s*')


def string_position(doc: Document, path: JsonPath, offset: int) -> Position | None:
    """The line and column of character `offset` of the JSON string at `path`, when it can be found.

    `locate` gives the member's key; the value follows it. Escapes count as one character.
    """
    line, col = doc.locate(path)
    text = doc.text
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    i = start + col - 1
    if path and isinstance(path[-1], str):
        m = _KEY_COLON.match(text, i)
        if m is None:
            return None
        i = m.end()
    if i >= len(text) or text[i] != '"':
        return None
    j, k = i + 1, 0
    while k < offset and j < len(text) and text[j] != '"':
        j += (6 if text[j + 1 : j + 2] == "u" else 2) if text[j] == "\\" else 1
        k += 1
    return Position(line, j - start + 1)
