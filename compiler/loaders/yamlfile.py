"""YAML loader: safe loading only (the C loader when present), with a limit on alias expansion."""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml

from ..diagnostics import Diagnostic, JsonPath
from ..document import Document
from . import (
    IO_ALIAS_BOMB,
    IO_NUMBER,
    IO_TOO_DEEP,
    IO_YAML_SYNTAX,
    MAX_ALIAS_EXPANSION,
    MAX_DEPTH,
    LoadResult,
    file_diagnostic,
    long_integer_message,
)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ANCHOR = re.compile(r"&[^\s\[\]{},]+")


def load_text(text: str, display: str, kind: str, fs_path: str | None = None) -> LoadResult:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        return LoadResult(None, [file_diagnostic(display, IO_YAML_SYNTAX, msg, line, col)])
    except yaml.YAMLError as exc:
        return LoadResult(None, [file_diagnostic(display, IO_YAML_SYNTAX, str(exc).splitlines()[0])])
    except RecursionError:
        msg = f"YAML nested deeper than {MAX_DEPTH} levels"
        return LoadResult(None, [file_diagnostic(display, IO_TOO_DEEP, msg)])
    except (ValueError, OverflowError):
        # a scalar the constructor cannot convert: an integer past Python's int-string limit, a
        # date such as 2024-13-45; PyYAML says neither where nor which
        return LoadResult(None, [_unconvertible(text, display)])
    if "*" in text or "<<" in text:
        problem = _expansion_problem(data)
        if problem:
            m = _ANCHOR.search(text)
            line = text.count("\n", 0, m.start()) + 1 if m else 1
            col = m.start() - text.rfind("\n", 0, m.start()) if m else 1
            return LoadResult(None, [file_diagnostic(display, IO_ALIAS_BOMB, problem, line, col)])
    elif _may_be_deep(text) and _depth(data) > MAX_DEPTH:
        msg = f"YAML nested deeper than {MAX_DEPTH} levels"
        return LoadResult(None, [file_diagnostic(display, IO_TOO_DEEP, msg)])
    return LoadResult(Document(display, kind, data, text, _Locator(text), fs_path), [])


_TYPED = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")


def _unconvertible(text: str, display: str) -> Diagnostic:
    """The located error for the first scalar whose conversion fails (found by converting each
    int, float and timestamp scalar of the composed tree on its own)."""
    constructor = yaml.constructor.SafeConstructor()
    try:
        stack: list[Any] = [yaml.compose(text, Loader=_Loader)]
    except yaml.YAMLError:
        stack = []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _TYPED:
                continue
            try:
                constructor.construct_object(node)
            except (ValueError, OverflowError) as exc:
                line, col = node.start_mark.line + 1, node.start_mark.column + 1
                if "integer string conversion" in str(exc) or node.tag.endswith(":int"):
                    digits = sum(ch.isalnum() for ch in node.value)
                    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
                    return file_diagnostic(display, IO_NUMBER, long_integer_message(digits, limit), line, col)
                shown = node.value if len(node.value) <= 40 else node.value[:39] + "…"
                msg = f"{shown} cannot be read as a {node.tag.rsplit(':', 1)[1]}: {exc}"
                return file_diagnostic(display, IO_YAML_SYNTAX, msg, line, col)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return file_diagnostic(display, IO_YAML_SYNTAX, "a value cannot be read")


def _may_be_deep(text: str) -> bool:
    return text.count("[") + text.count("{") > MAX_DEPTH or len(text) > 2 * MAX_DEPTH


def _depth(data: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest = d
            if d > MAX_DEPTH:
                return d
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def _expansion_problem(data: Any) -> str | None:
    """Aliases share objects; count the nodes the document would have once expanded."""
    sizes: dict[int, int] = {}
    # iterative post-order walk with memoized sizes of shared containers
    stack: list[tuple[Any, bool]] = [(data, False)]
    depth_guard = 0
    while stack:
        node, done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        if key in sizes and not done:
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if isinstance(c, (dict, list)) and id(c) not in sizes)
            depth_guard += 1
            if depth_guard > 10 * MAX_ALIAS_EXPANSION:
                return "YAML document too complex"
            continue
        total = 1
        for c in children:
            total += sizes.get(id(c), 1)
            if total > MAX_ALIAS_EXPANSION:
                return f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes (a YAML alias bomb?)"
        sizes[key] = total
    return None


class _Locator:
    """Composes the node tree (with positions) once, on the first diagnostic, and walks it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root: Any = None
        self.composed = False

    def __call__(self, path: JsonPath) -> tuple[int, int]:
        if not self.composed:
            self.root = yaml.compose(self.text, Loader=_Loader)
            self.composed = True
        return walk(self.root, path)


def locate(text: str, path: JsonPath) -> tuple[int, int]:
    """Line and column of the value at `path` (of the key, for a mapping member)."""
    return walk(yaml.compose(text, Loader=_Loader), path)


def walk(node: Any, path: JsonPath) -> tuple[int, int]:
    line, col = 1, 1
    if node is not None:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    line, col = k.start_mark.line + 1, k.start_mark.column + 1
                    node = v
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
        else:
            break
    return line, col
