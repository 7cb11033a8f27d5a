"""Relative paths, cheaply: plans and messages show thousands of paths below one folder."""

from __future__ import annotations

import os


def below(path: str, folder: str) -> str | None:
    """`path` relative to `folder` when it lies inside it, else None.

    For absolute paths with no `.` or `..` parts a prefix test gives os.path.relpath's answer at a
    fraction of its cost; anything else goes through relpath."""
    if os.path.isabs(path) and os.path.isabs(folder) and os.sep + "." not in path + folder:
        prefix = folder.rstrip(os.sep) + os.sep
        return path[len(prefix) :] if path.startswith(prefix) else None
    rel = os.path.relpath(path, folder)
    return None if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel
