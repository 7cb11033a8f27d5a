"""JSON loader: the C parser for speed, a small position scanner only when something is reported."""

from __future__ import annotations

import json
import re
from typing import Any

from ..diagnostics import JsonPath
from ..document import Document
from . import IO_JSON_SYNTAX, IO_TOO_DEEP, MAX_DEPTH, LoadResult, file_diagnostic, offset_to_line_col

_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"[^,\]}\s]+")


def load_text(text: str, display: str, kind: str, fs_path: str | None = None) -> LoadResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        line, col, msg = exc.lineno, exc.colno, exc.msg[0].lower() + exc.msg[1:]
        opening = (
            _unterminated_string(text, exc.pos) if exc.msg.startswith(("Invalid control", "Unterminated")) else None
        )
        if opening is not None:
            (line, col), msg = offset_to_line_col(text, opening), "string is missing its closing quote"
        return LoadResult(None, [file_diagnostic(display, IO_JSON_SYNTAX, msg, line, col)])
    except RecursionError:
        line, col = _too_deep_at(text)
        msg = f"JSON nested deeper than {MAX_DEPTH} levels"
        return LoadResult(None, [file_diagnostic(display, IO_TOO_DEEP, msg, line, col)])
    depth_at = _depth_exceeded(text) if _may_be_deep(text) else None
    if depth_at is not None:
        msg = f"JSON nested deeper than {MAX_DEPTH} levels"
        return LoadResult(None, [file_diagnostic(display, IO_TOO_DEEP, msg, *depth_at)])
    return LoadResult(Document(display, kind, data, text, lambda p: locate(text, p), fs_path), [])


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


def _may_be_deep(text: str) -> bool:
    # cheap guard: deep nesting needs at least MAX_DEPTH opening brackets
    return text.count("[") + text.count("{") > MAX_DEPTH


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
