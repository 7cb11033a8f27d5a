"""Relative paths, cheaply: plans and messages show thousands of paths below one folder."""

from __future__ import annotations

import os
import re


def below(path: str, folder: str) -> str | None:
    """`path` relative to `folder` when it lies inside it, else None.

    For absolute paths with no `.` or `..` parts a prefix test gives os.path.relpath's answer at a
    fraction of its cost; anything else goes through relpath."""
    sep = os.sep
    if path[:1] == sep and folder[:1] == sep and sep + "." not in path and sep + "." not in folder:
        prefix = folder.rstrip(sep) + sep
        return path[len(prefix) :] if path.startswith(prefix) else None
    rel = os.path.relpath(path, folder)
    return None if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


# a name `file_name` returns unchanged: not empty, no leading `.`, none of `/ \\ %`, NUL or controls
_PLAIN = re.compile(r"[^./\\%\x00-\x1f\x7f][^/\\%\x00-\x1f\x7f]*")


def file_name(name: str) -> str:
    """A name (a ZMap source, a plan stem, a profile) as one safe file-name component.

    `/`, `\\`, NUL, `%` and control characters are percent-encoded, as are a leading `.` and an
    empty name, so the result is never `.`, `..`, hidden, or more than one path component: an
    output path made from a name stays inside its folder (docs/run.md, "Output paths").
    Ordinary names ("havana", "cpg_islands", "Havana genes") come back unchanged."""
    if _PLAIN.fullmatch(name):
        return name  # nothing to encode (the common case: thousands of source names per plan)
    out = []
    for i, ch in enumerate(name):
        if ch in "/\\%\0" or ord(ch) < 0x20 or ord(ch) == 0x7F or (i == 0 and ch == "."):
            out.append("".join(f"%{b:02X}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out) or "%00"
