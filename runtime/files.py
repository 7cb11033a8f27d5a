"""File writes that never leave a half-written file behind, with the permissions a plain write gives."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat


def _create_temporary(folder: str, name: str) -> tuple[int, str]:
    """A new, empty file beside `name`, created with mode 0o666 so the kernel applies the umask
    (reading the umask means setting it, which is not thread-safe; tempfile's files are 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def atomic_write(path: str, data: str | bytes, *, mode: int | None = None) -> None:
    """Write `data` (str as UTF-8, written as is: no newline translation) to a temporary file in
    the same folder, fsync, then rename it over `path`.

    Permissions follow what a plain write would give (docs/formats.md, "Profile outputs"): `mode` when
    given; else an existing file keeps its mode; else a new file gets 0o666 less the umask.
    A `path` that exists and is not a regular file (`/dev/null`, a FIFO) is written in place:
    renaming over it would replace a device with a file. Raises OSError (the temporary file is
    removed first) when the folder cannot be made or the write fails, e.g. on a full disk."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "wb") as out:
            out.write(payload)
        return
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if mode is None:
        mode = existing_mode(path)
    fd, tmp = _create_temporary(folder, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def existing_mode(path: str) -> int | None:
    """The permission bits of the file at `path`, which a new version keeps; None when there is
    none, or none that can be read (a symlink planted there that loops or leads nowhere: the
    rename replaces it). A new file gets what open() gives: 0666 less the umask (docs/run.md,
    "Output files")."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


LONG_LINE = "(the last line is longer than {window:,} bytes: see the log)"


def last_line(fd: int, window: int = 8192) -> str | None:
    """The last non-empty line of the file open at `fd`, whole, read from its last `window` bytes
    only (the file may be huge); `LONG_LINE` (formatted) when that line does not fit in them, so a
    line is never shown cut at its start (a secret cut there could not be redacted); None when the
    file has no line or cannot be read. The caller redacts before it shortens the line."""
    try:
        size = os.fstat(fd).st_size
        start = max(0, size - window)
        data = os.pread(fd, window, start)
    except OSError:
        return None
    lines = data.splitlines()
    for i in range(len(lines) - 1, -1, -1):
        text = lines[i].decode("utf-8", "replace").strip()
        if text:
            return LONG_LINE.format(window=window) if i == 0 and start > 0 else text
    return None
