"""File writes that never leave a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


def atomic_write(path: str, data: str | bytes, *, mode: int | None = None) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`.

    The file gets `mode` when given, else the mode of the file it replaces, else 0666 less the
    umask, as `open()` would give (docs/run.md, "Output files"). A `path` that exists and is not a
    regular file (`/dev/null`, a FIFO) is written in place: renaming over it would replace a device
    with a file. Raises OSError (a full disk, a folder in the way); the temporary file is removed."""
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
        os.chmod(tmp, output_mode(path) if mode is None else mode)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def output_mode(path: str) -> int:
    """The permission bits a new version of `path` gets: those of the file it replaces, else
    0666 less the process umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux >= 4.7 shows it without changing it (os.umask would, for every thread)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


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
