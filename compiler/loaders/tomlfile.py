"""TOML loader for the workspace manifest. tomllib gives no positions; a line scan recovers them."""

from __future__ import annotations

import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..diagnostics import Diagnostic, JsonPath
from ..document import Document
from . import (
    IO_NUMBER,
    IO_TOML_SYNTAX,
    IO_TOO_DEEP,
    LoadResult,
    file_diagnostic,
    long_integer_message,
    read_regular,
)

__all__ = ["load_file", "load_text", "locate", "nearest", "positions", "tomllib"]

TOO_DEEP = "arrays or inline tables nested deeper than Python's parser can follow"


def load_file(path: str) -> dict[str, object]:
    """The TOML table in the regular file at `path`, for commands that need only a few keys.

    Raises OSError (unreadable, not a regular file) or ValueError: `tomllib.TOMLDecodeError`
    for bad TOML and for nesting past Python's recursion limit, UnicodeDecodeError for bad UTF-8.
    """
    text = read_regular(path).decode("utf-8")
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError(TOO_DEEP) from None


def _deepest(text: str) -> tuple[int, int]:
    """Line and column of the first bracket at the deepest nesting (quotes are skipped roughly)."""
    depth = best = at = 0
    quote = ""
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
            if depth > best:
                best, at = depth, i
        elif c in "]}":
            depth -= 1
    line = text.count("\n", 0, at) + 1
    return line, at - text.rfind("\n", 0, at)

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_.-]+)\s*=')


def load_text(text: str, display: str, kind: str, fs_path: str | None = None) -> LoadResult:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _AT.search(msg)
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        msg = _AT.sub("", msg).strip()
        msg = msg[0].lower() + msg[1:] if msg else "malformed TOML"
        return LoadResult(None, [file_diagnostic(display, IO_TOML_SYNTAX, msg, line, col)])
    except ValueError:  # an integer past Python's int-string limit: tomllib says neither where nor which
        return LoadResult(None, [_long_integer(text, display)])
    except RecursionError:  # tomllib recurses once per nesting level: `a = [[[[…` thousands deep
        return LoadResult(None, [file_diagnostic(display, IO_TOO_DEEP, TOO_DEEP, *_deepest(text))])
    table: dict[JsonPath, tuple[int, int]] | None = None

    def locator(path: JsonPath) -> tuple[int, int]:
        nonlocal table
        if table is None:
            table = positions(text)
        return nearest(table, path)

    return LoadResult(Document(display, kind, data, text, locator, fs_path), [])


_INTEGER = re.compile(r"(?<![\w\"'.])[+-]?[0-9][0-9_]*")


def _long_integer(text: str, display: str) -> Diagnostic:
    """IO111 at the first integer with more digits than Python converts (a comment or string
    holding such a run could mislead it: then it points at that)."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    for m in _INTEGER.finditer(text):
        digits = sum(ch.isdigit() for ch in m.group())
        if limit and digits > limit:
            line = text.count("\n", 0, m.start()) + 1
            col = m.start() - text.rfind("\n", 0, m.start())
            return file_diagnostic(display, IO_NUMBER, long_integer_message(digits, limit), line, col)
    return file_diagnostic(display, IO_NUMBER, "a number cannot be read")


def _split_dotted(key: str) -> list[str]:
    return [k.strip().strip("\"'") for k in key.split(".")]


def _in_arrays(parts: tuple[str, ...], counts: dict[JsonPath, int]) -> JsonPath:
    """`[profiles.allow]` after the second `[[profiles]]` is `("profiles", 1, "allow")`."""
    out: list[str | int] = []
    for i, p in enumerate(parts):
        out.append(p)
        if i < len(parts) - 1 and tuple(out) in counts:
            out.append(counts[tuple(out)] - 1)
    return tuple(out)


def positions(text: str) -> dict[JsonPath, tuple[int, int]]:
    """Map each table, array-of-tables element and key to where it is written."""
    out: dict[JsonPath, tuple[int, int]] = {}
    counts: dict[JsonPath, int] = {}
    table: JsonPath = ()
    for lineno, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip().startswith("#"):
            continue
        h = _HEADER.match(raw)
        if h and "=" not in raw.split("]")[0]:
            parts = _in_arrays(tuple(_split_dotted(h.group(2))), counts)
            if h.group(1) == "[[":
                n = counts.get(parts, 0)
                counts[parts] = n + 1
                table = (*parts, n)
                out.setdefault(parts, (lineno, raw.index("[") + 1))
            else:
                table = parts
            out.setdefault(table, (lineno, raw.index("[") + 1))
            continue
        k = _KEY.match(raw)
        if not k:
            continue
        key_path = (*table, *_split_dotted(k.group(1)))
        out.setdefault(key_path, (lineno, k.start(1) + 1))
        rest = raw[k.end() :]
        if rest.lstrip().startswith("["):
            # a one-line array: record where each item starts
            for i, m in enumerate(re.finditer(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\s,\[\]]+', rest.split("#")[0])):
                out.setdefault((*key_path, i), (lineno, k.end() + m.start() + 1))
        elif rest.lstrip().startswith("{"):
            # an inline table: record its own keys on the same line
            for m in re.finditer(r'([A-Za-z0-9_-]+|"[^"]*")\s*=', rest):
                sub = (*key_path, m.group(1).strip('"'))
                out.setdefault(sub, (lineno, k.end() + m.start(1) + 1))
    return out


def locate(text: str, path: JsonPath) -> tuple[int, int]:
    return nearest(positions(text), path)


def nearest(table: dict[JsonPath, tuple[int, int]], path: JsonPath) -> tuple[int, int]:
    """The position of `path`, or of its closest recorded ancestor."""
    for n in range(len(path), 0, -1):
        if path[:n] in table:
            return table[path[:n]]
    return (1, 1)
