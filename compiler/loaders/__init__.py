"""Dialect loaders. Each turns bytes into a `Document` (data + positions) or located diagnostics.

File-level problems (unreadable, not UTF-8, syntax errors, limits) have their codes here; each
dialect's own syntax codes live with its loader.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from typing import NamedTuple

from ..diagnostics import Diagnostic
from ..document import Code, Document, define

IO_UNREADABLE = define("IO101", "error", "file cannot be read")
IO_NOT_UTF8 = define("IO102", "error", "file is not UTF-8 text", "save the file as UTF-8")
IO_JSON_SYNTAX = define("IO103", "error", "malformed JSON")
IO_YAML_SYNTAX = define("IO104", "error", "malformed YAML")
IO_TOML_SYNTAX = define("IO105", "error", "malformed TOML")
IO_UNKNOWN_KIND = define(
    "IO106",
    "error",
    "kind of file not recognized",
    "pass --kind zmap|copy-plan|externals|manifest|styles",
)
IO_TOO_DEEP = define("IO107", "error", "nesting deeper than the limit")
IO_ALIAS_BOMB = define("IO108", "error", "YAML aliases expand past the limit")
IO_EMPTY = define("IO109", "error", "file is empty")
IO_DUPLICATE_KEY = define(
    "IO110",
    "error",
    "a key is given twice in one object",
    "keep one: the original tools silently use the later value",
)
IO_NUMBER = define(
    "IO111",
    "error",
    "a number that cannot be read",
    "write the number in range, as digits (no NaN, infinities or numbers thousands of digits long)",
)

MAX_DEPTH = 500  # nesting levels accepted in JSON/YAML; real inputs use fewer than 10
MAX_ALIAS_EXPANSION = 1_000_000  # nodes a YAML document may expand to through aliases


@dataclasses.dataclass
class LoadResult:
    doc: Document | None
    diagnostics: list[Diagnostic]


def file_diagnostic(path: str, code: Code, message: str, line: int = 1, col: int = 1) -> Diagnostic:
    return Diagnostic(path, line, col, code.severity, code.code, message, None, code.hint)


def long_integer_message(digits: int, limit: int) -> str:
    """The message for an integer with more digits than Python converts (`sys.set_int_max_str_digits`)."""
    return f"integer of {digits:,} digits is too long (at most {limit:,} digits)"


def offset_to_line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def decode(path: str, raw: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Decode UTF-8 (a BOM is allowed); a bad byte is reported at its line and column."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        head = raw[: exc.start]
        line = head.count(b"\n") + 1
        col = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        msg = f"byte 0x{raw[exc.start]:02x} is not valid UTF-8"
        return None, [file_diagnostic(path, IO_NOT_UTF8, msg, line, col)]


class RawText(NamedTuple):
    """A file's text (None when unusable), the problems reading it, and the bytes it was read from
    (None when the file could not be read)."""

    text: str | None
    diagnostics: list[Diagnostic]
    data: bytes | None = None  # a Document keeps them for its sha256


def read_regular(path: str, limit: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed).

    Raises OSError (strerror "it is a FIFO", "it is a character device", …) for anything else: a
    FIFO would block the read for ever and /dev/zero never ends (docs/formats.md, "Special files").
    The open does not block on a FIFO without a writer. With `limit`, at most `limit` bytes are
    read (a caller that reads `limit + 1` can tell a file that is too long).

    Read with `os.read` on the descriptor, sized by its fstat (no file object: thousands of small
    plans are read per run); a file that grows or shrinks while read is read to its end all the same.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):  # as `open()` says it
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
            raise OSError(0, f"it is {_special(st.st_mode)}")
        want = st.st_size + 1 if limit is None else min(st.st_size + 1, limit)
        data = os.read(fd, want) if want > 0 else b""
        if len(data) == st.st_size and (limit is None or len(data) < limit):
            return data  # the common case: the whole file at once, as fstat sized it
        chunks = [data]
        got = len(data)
        while limit is None or got < limit:
            chunk = os.read(fd, 1 << 20 if limit is None else min(1 << 20, limit - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read(path: str, display: str) -> RawText:
    """The text of a regular file. A FIFO, socket or device is refused before anything is read
    (opened with O_NONBLOCK, so a FIFO without a writer cannot block): an input is a file."""
    try:
        raw = read_regular(path)
    except OSError as exc:
        return RawText(None, [file_diagnostic(display, IO_UNREADABLE, f"cannot read file: {exc.strerror or exc}")])
    text, diags = decode(display, raw)
    if text is not None and (not text or text.isspace()):  # `not text.strip()`, without a copy
        return RawText(None, [file_diagnostic(display, IO_EMPTY, "file is empty")], raw)
    return RawText(text, diags, raw)


def _special(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    for test, what in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return what
    return "not a regular file"
