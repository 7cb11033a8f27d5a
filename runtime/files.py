"""File writes that never leave a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile


def atomic_write(path: str, data: str | bytes, *, mode: int | None = None) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`.

    A `path` that exists and is not a regular file (`/dev/null`, a FIFO) is written in place:
    renaming over it would replace a device with a file."""
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
        return
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def tail_line(path: str, window: int = 8192) -> str | None:
    """The last non-empty line of a (possibly huge) text file, read from its end only."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - window))
            data = fh.read()
    except OSError:
        return None
    for line in reversed(data.splitlines()):
        text = line.decode("utf-8", "replace").strip()
        if text:
            return text[:500]
    return None
