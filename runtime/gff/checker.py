"""The streaming checker: bytes in, complete lines out to the GFF3 or GFF2 part; whole-file helpers.

`GffChecker` takes bytes as they arrive (`feed`), in chunks of any size, and reports `GffError`s
that name the line; `close()` ends the stream. It never holds more than one line beyond the chunk
it is given: a line longer than `LINE_LIMIT` bytes is an error that stops the check (a FASTA
sequence line is checked in pieces instead), so a writer that never ends its line costs bounded
memory (docs/gff.md, "Line length").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .fast import check_lines, plain_chunk
from .gff2 import Gff2
from .gff3 import Gff3
from .model import LINE_LIMIT, VERSION_EXPECTED, GffError, GffResult, Report, show, version_of
from .native import loaded as _native_loaded
from .native import module as _native_module

__all__ = ["GffChecker", "check_bytes", "check_file", "check_stream"]

_HEADER, _BODY, _STOPPED = range(3)
READ_SIZE = 1 << 18


class GffChecker:
    """Check GFF2/GFF3 as it streams. Feed bytes, then `close()`.

    `max_errors` caps the stored errors (None: no cap); every error is still counted, and
    `limit_reached` tells a caller it may stop feeding. `fast=False` checks every line by the
    reference path (for tests that compare the two). `line_limit` is the longest line in bytes.
    `native` chooses the GFF3 fast path: None (default) the compiled one when it is available
    (runtime/gff/native.py), True the compiled one (ImportError when it is not built), False the
    pure-Python one. Every path reports the same errors and warnings.
    """

    def __init__(
        self,
        max_errors: int | None = 1000,
        *,
        fast: bool = True,
        line_limit: int = LINE_LIMIT,
        native: bool | None = None,
    ) -> None:
        self.report = Report(max_errors)
        self.lines = 0  # complete lines consumed so far
        self.version: str | None = None
        self.fast = fast
        self.line_limit = line_limit
        # the number of the first line longer than line_limit that is not FASTA sequence (an error
        # that stops the check), 0 while there is none: a caller streaming a script's output stops it
        self.long_line = 0
        self.body: Gff3 | Gff2 | None = None  # the part that checks the lines after the version line
        self._mode = _HEADER
        self._closed = False
        self._rest = b""  # an incomplete last line
        self._parts: list[bytes] = []  # chunks without a newline, joined when one arrives
        self._held = 0  # bytes in _rest and _parts
        self._piece_line = 0  # a FASTA line being checked in pieces: its number; 0: none
        if native is None:
            module = _native_module() if fast else None
        elif native:
            module = _native_loaded() if fast else None  # ImportError when it is not built
        else:
            module = None
        self._scan = module.scan if module is not None else None
        self.native = self._scan is not None  # the compiled GFF3 fast path is in use

    # ---------------------------------------------------------------- public API

    @property
    def max_errors(self) -> int | None:
        return self.report.max_errors

    @property
    def errors(self) -> list[GffError]:
        """The stored errors so far, in the order found (sorted after `close()`)."""
        return self.report.errors

    @property
    def error_count(self) -> int:
        return self.report.error_count

    @property
    def limit_reached(self) -> bool:
        """True once `max_errors` errors were found: the caller may stop feeding."""
        return self.report.limit_reached

    @property
    def checking(self) -> bool:
        """True while fed lines are still checked: False after `max_errors` errors, or once the check
        stopped (not GFF, a line too long), when a fed chunk is only counted."""
        return self._mode != _STOPPED and not self.report.limit_reached

    def feed(self, chunk: bytes) -> None:
        """Check the complete lines in `chunk` (plus what earlier chunks left over)."""
        if self._closed:
            raise ValueError("feed() after close()")
        if not chunk:
            return
        if self._mode == _STOPPED:  # not GFF, or a line too long: only count the lines
            self.lines += chunk.count(b"\n")
            self._rest = b"" if chunk.endswith(b"\n") else b"-"
            return
        cut = chunk.rfind(b"\n")
        if cut < 0:  # no line ends here: keep the pieces, join them once
            self._parts.append(chunk)
            self._held += len(chunk)
            if self._held > self.line_limit:
                self._too_long()
            return
        if self._held + chunk.find(b"\n") > self.line_limit:
            self._too_long()
            self.feed(chunk)
            return
        if self._parts:
            head = b"".join((self._rest, *self._parts, memoryview(chunk)[: cut + 1]))
            self._parts = []
        elif cut + 1 == len(chunk) and not self._rest:
            head = chunk
        else:  # one copy, not two
            head = b"".join((self._rest, memoryview(chunk)[: cut + 1]))
        self._rest = chunk[cut + 1 :]
        self._held = len(self._rest)
        if 13 in head:  # CRLF line ends; a CR split from its LF stays in _rest until it arrives
            head = head.replace(b"\r\n", b"\n")
        self._text(head)
        if self._held > self.line_limit and self._mode != _STOPPED:
            self._too_long()

    def close(self) -> list[GffError]:
        """End of stream: check the last line and what must be resolved by the end."""
        if not self._closed:
            self._closed = True
            tail = self._rest + b"".join(self._parts)
            self._rest, self._parts, self._held = b"", [], 0
            if tail:
                if self._mode != _STOPPED:
                    self._lines([tail[:-1] if tail.endswith(b"\r") else tail], self.lines + 1)
                self.lines += 1
            elif self._piece_line:
                self.lines += 1
            self._finish()
            self.report.errors.sort()
            self.report.warnings.sort()
        return list(self.report.errors)

    def result(self) -> GffResult:
        """The outcome so far (call after `close()` for the final one)."""
        report = self.report
        return GffResult(
            tuple(sorted(report.errors)), report.error_count, self.lines, self.version, tuple(sorted(report.warnings))
        )

    # ---------------------------------------------------------------- lines

    def _too_long(self) -> None:
        """The line being gathered passed the limit: check a FASTA sequence line in pieces, else stop."""
        data = b"".join((self._rest, *self._parts))
        self._rest, self._parts, self._held = b"", [], 0
        lineno = self.lines + 1
        body = self.body
        if isinstance(body, Gff3) and body.in_fasta and (self._piece_line or data[:1] != b">"):
            self._piece_line = lineno
            body.sequence_piece(data.replace(b"\r", b""), lineno)
            return
        if self._piece_line or (isinstance(body, Gff3) and body.in_fasta):  # a FASTA header that long
            self._piece_line = lineno
            return
        self.report.error(
            lineno,
            f"line is longer than {self.line_limit:,} bytes (starts '{show(data[:60], 40)}'); the check stops here",
        )
        self.long_line = lineno
        self._mode = _STOPPED
        self._rest = b"-"  # an unfinished line, counted at the end

    def _text(self, text: bytes) -> None:
        """`text` holds complete lines, each ending in a newline."""
        body = self.body
        if (
            self._scan is not None
            and self._mode == _BODY
            and not self._piece_line
            and isinstance(body, Gff3)
            and not body.in_fasta
        ):
            # the compiled path: every line up to the FASTA section or a line over the limit
            pos, count = self._scan(body, text, self.lines + 1, self.line_limit)
            self.lines += count
            if pos == len(text):
                return
            text = text[pos:]
        base = self.lines + 1
        lines = text.split(b"\n")
        lines.pop()
        if self._piece_line:  # the end of a FASTA line checked in pieces
            first = lines[0]
            if isinstance(self.body, Gff3) and first and first[:1] != b">":
                self.body.sequence_piece(first, base)
            self._piece_line = 0
            lines[0] = b""
        if len(text) > self.line_limit and max(map(len, lines)) > self.line_limit:
            for i, line in enumerate(lines):  # a caller fed one huge chunk: stop at the long line
                if len(line) > self.line_limit:
                    self.lines += i
                    self._lines(lines[:i], base)
                    if isinstance(self.body, Gff3) and self.body.in_fasta:  # sequence: no limit
                        self.lines += len(lines) - i
                        self._lines(lines[i:], base + i)
                        return
                    self._rest, self._parts, self._held = line, [], len(line)
                    self._too_long()
                    self._rest = b""
                    self.lines += len(lines) - i
                    return
        self.lines += len(lines)
        # the version line and the directives after it go one by one, the body by the fast path
        i = pos = 0
        while i < len(lines) and (self._mode == _HEADER or (isinstance(self.body, Gff3) and lines[i][:1] == b"#")):
            self._lines([lines[i]], base + i)
            pos += len(lines[i]) + 1
            i += 1
        if i:
            text, lines, base = text[pos:], lines[i:], base + i
        if not lines:
            return
        body = self.body
        if self._scan is not None and isinstance(body, Gff3) and not body.in_fasta:
            count = self._scan(body, text, base, self.line_limit)[1]
            if count == len(lines):
                return
            lines, base = lines[count:], base + count  # the FASTA section
            self._lines(lines, base)
            return
        if self.fast and isinstance(body, Gff3) and not body.native and not body.in_fasta and plain_chunk(text):
            check_lines(body, lines, base)
        else:
            self._lines(lines, base)

    def _lines(self, lines: list[bytes], base: int) -> None:
        if not lines:
            return
        if self._mode == _HEADER:
            self._header(lines[0], base)
            lines, base = lines[1:], base + 1
        if self._mode == _BODY and self.body is not None:
            self.body.lines(lines, base)

    def _header(self, line: bytes, lineno: int) -> None:
        version = version_of(line)
        if version is None:
            if line.startswith(b"\xef\xbb\xbf"):  # GenomeTools rejects it too
                self.report.error(lineno, f"the first line starts with a byte order mark (BOM); {VERSION_EXPECTED}")
            else:
                self.report.error(lineno, f"{VERSION_EXPECTED}, found '{show(line)}'")
            self._mode = _STOPPED  # not GFF at all: one error, not one per line
            return
        self.version = version
        self.body = Gff2(self.report) if version == "2" else Gff3(self.report, native=self._scan is not None)
        self._mode = _BODY

    def _finish(self) -> None:
        if self._mode == _HEADER:
            self.report.error(1, f"{VERSION_EXPECTED}, found end of input")
        elif self._mode == _BODY and self.body is not None:
            self.body.finish(self.lines)


# -------------------------------------------------------------------- whole streams


def check_stream(stream: BinaryIO, max_errors: int | None = 1000, stop_early: bool = False) -> GffResult:
    """Check a binary stream to its end (or, with `stop_early`, until `max_errors` errors)."""
    checker = GffChecker(max_errors)
    read = stream.read
    while True:
        chunk = read(READ_SIZE)
        if not chunk:
            break
        checker.feed(chunk)
        if stop_early and checker.limit_reached:
            break
    checker.close()
    return checker.result()


def check_file(path: str, max_errors: int | None = 1000, stop_early: bool = False, jobs: int = 1) -> GffResult:
    """Check the GFF file at `path` (OSError when it cannot be read).

    `jobs` is accepted for callers of earlier versions and ignored: a second process did not pay
    on the measured machines (docs/gff.md, "Speed").
    """
    del jobs
    with open(path, "rb") as fh:
        return check_stream(fh, max_errors, stop_early)


def check_bytes(data: bytes | Iterable[bytes], max_errors: int | None = None) -> GffResult:
    """Check GFF held in memory: one bytes object, or chunks of it in order."""
    checker = GffChecker(max_errors)
    chunks: Iterator[bytes] = iter((data,)) if isinstance(data, bytes) else iter(data)
    for chunk in chunks:
        checker.feed(chunk)
    checker.close()
    return checker.result()
