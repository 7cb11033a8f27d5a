"""What every part of the GFF checker shares: results, the error report, constants and helpers.

See docs/gff.md for the rules; the modules beside this one apply them.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CDS_TYPES",
    "COLUMN_NAMES",
    "LINE_LIMIT",
    "PHASES",
    "PHASE_VALUE",
    "SEQUENCE_CHARS",
    "STRANDS2",
    "STRANDS3",
    "VERSION_EXPECTED",
    "GffError",
    "GffResult",
    "Report",
    "bad_escape",
    "is_number",
    "show",
    "version_of",
]

LINE_LIMIT = 4 << 20  # bytes in one line, newline excluded (docs/gff.md, "Line length")


# NamedTuples, not dataclasses: importing dataclasses costs the CLI ~15 ms of its start-up
class GffError(NamedTuple):
    """One problem (or warning), at a 1-based line number. Orders by line, then message."""

    line: int
    message: str

    def text(self, path: str) -> str:
        """The `path:LINE: message` form printed on stderr."""
        return f"{path}:{self.line}: {self.message}"


class GffResult(NamedTuple):
    """The outcome of one checked stream."""

    errors: tuple[GffError, ...]  # the stored errors (at most max_errors), by line
    error_count: int  # every error found, stored or not
    lines: int
    version: str | None  # "2", "3", "3.1.26"; None when the first line is not a version line
    warnings: tuple[GffError, ...] = ()  # legal but unusual (docs/gff.md), at most max_errors, by line

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)


class Report:
    """The errors and warnings of one stream: at most `max_errors` of each stored (None: all),
    every error counted."""

    __slots__ = ("error_count", "errors", "max_errors", "warnings")

    def __init__(self, max_errors: int | None) -> None:
        self.max_errors = max_errors
        self.errors: list[GffError] = []
        self.warnings: list[GffError] = []
        self.error_count = 0

    def error(self, line: int, message: str) -> None:
        self.error_count += 1
        if self.max_errors is None or len(self.errors) < self.max_errors:
            self.errors.append(GffError(line, message))

    def warn(self, line: int, message: str) -> None:
        if self.max_errors is None or len(self.warnings) < self.max_errors:
            self.warnings.append(GffError(line, message))

    @property
    def limit_reached(self) -> bool:
        return self.max_errors is not None and self.error_count >= self.max_errors


STRANDS3 = frozenset((b"+", b"-", b".", b"?"))
STRANDS2 = frozenset((b"+", b"-", b"."))
PHASES = frozenset((b".", b"0", b"1", b"2"))
CDS_TYPES = frozenset((b"CDS", b"SO:0000316"))
PHASE_VALUE = {b"0": 0, b"1": 1, b"2": 2}
SEQUENCE_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*-"
COLUMN_NAMES = ("seqid", "source", "type", "start", "end", "score", "strand", "phase", "attributes")
VERSION_EXPECTED = "expected '##gff-version 2' or '##gff-version 3[.x[.y]]' as the first line"
_NOT_IN_NUMBERS = b" \t\r\n\x0b\x0c_"  # float() would allow these around or inside a number
_HEX_PAIRS = frozenset(bytes((a, b)) for a in b"0123456789abcdefABCDEF" for b in b"0123456789abcdefABCDEF")


def version_of(line: bytes) -> str | None:
    """The version a `##gff-version 2` or `##gff-version 3[.x[.y]]` line names, else None."""
    if not line.startswith(b"##gff-version") or line[13:14] not in (b" ", b"\t"):
        return None
    version = line[14:].strip(b" \t")
    parts = version.split(b".")
    if version == b"2" or (parts[0] == b"3" and len(parts) <= 3 and all(p.isdigit() for p in parts[1:])):
        return version.decode()
    return None


def is_number(score: bytes) -> bool:
    """A floating point number as C's strtod reads it (inf and nan included), without blanks."""
    if not score.isascii() or score.translate(None, _NOT_IN_NUMBERS) != score:
        return False
    try:
        float(score)
    except ValueError:
        return False
    return True


def bad_escape(text: bytes) -> bytes | None:
    """The first '%' that does not start a %XX escape, with what follows it; None if all are fine."""
    k = text.find(37)
    while k >= 0:
        if text[k + 1 : k + 3] not in _HEX_PAIRS:
            return text[k : k + 3]
        k = text.find(37, k + 3)
    return None


def show(value: bytes, limit: int = 60) -> str:
    """Bytes as they appear in a message: decoded, control characters escaped, cut when long.

    A UTF-8 byte order mark is named as such (docs/gff.md).
    """
    text = value[: limit * 4].decode("utf-8", "backslashreplace")
    if len(value) > limit * 4:
        text += "…"
    text = text.replace("\ufeff", "<BOM>")
    text = "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode() for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
