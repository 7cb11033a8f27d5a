"""Streaming GFF2/GFF3 checker (DESIGN section 5).

`GffChecker` takes bytes as they arrive (`feed`), in chunks of any size, and reports `GffError`s
that name the line; `close()` ends the stream. The pipe executor feeds a script's stdout through it
and may stop early once `limit_reached` (at most `max_errors` errors are stored; the rest are only
counted). `check_file` and `check_stream` wrap it for whole files.

What "valid" means, in short (the rules are written out where they are checked):
* line 1 is `##gff-version 2` or `##gff-version 3[.x[.y]]`; nothing else is checked when it is not.
* GFF3 feature lines: 9 tab-separated columns; seqid escapes every character outside
  `[a-zA-Z0-9.:^*$@!+_?|-]`; start/end integers with 1 <= start <= end; score `.` or a number;
  strand `+ - . ?`; phase `. 0 1 2`, 0-2 for a CDS; column 9 `tag=value` pairs separated by `;`
  with exactly one `=`, no empty tag or value, valid `%XX` escapes, ID and Parent at most once.
* IDs are unique, except that the lines of one multi-line feature share an ID when they share
  seqid, source, type and strand and no `###` separates them. Every Parent names an ID of the same
  seqid defined by the next `###` (or the end of the annotation); a Parent may not name an ID that an
  earlier `###` closed, nor the feature's own ID.
* Along a multi-line CDS the phase of each segment follows from the segment before it in the
  direction of transcription: next phase = (phase - length) mod 3.
* A feature lies inside its seqid's `##sequence-region` (given before the first feature on that
  seqid, once), unless a feature on that seqid says `Is_circular=true`.
* `##FASTA` (or a line starting with `>`) ends the annotation: FASTA records follow.
* GFF2: 8 or 9 columns, strand `+ - .`, frame `. 0 1 2`, attributes `tag value…` pairs separated by
  `;` (tags are identifiers, free text in double quotes, `#` starts a comment), `##DNA name` …
  `##end-DNA` blocks (likewise RNA and Protein) whose lines start with `##`.

Memory: the checker keeps no line once it is checked. It keeps one entry per ID — the IDs of the
open section (since the last `###`) with the seqid, source, type, strand and line of their first
line, and the bare IDs of closed sections (uniqueness needs them; this set is the floor) — plus one
entry per Parent still waiting to be resolved, per multi-line CDS of the open section (its two end
segments, not every segment) and per seqid. A file without `###` keeps its whole ID table open.

Decisions where DESIGN section 5 is silent: a `###` closes the IDs before it, so a later line may
neither reuse one nor name one as Parent (GenomeTools agrees); a Parent must be on its child's
seqid; percent-escapes are checked in the seqid and column 9; a CDS segment that overlaps an
earlier one or falls between earlier ones (a programmed frameshift, or unsorted lines) ends the
phase check of that CDS, since checking it would need every segment kept; a Parent named before
its ID is compared with the seqid of the first line that names it; tags other than ID and Parent
may repeat, and unknown capitalised tags pass (GenomeTools rejects both).

Speed (pure Python, ~0.75 s of CPU per 100 MB of Ensembl-like GFF3): each chunk of complete lines
first passes whole-chunk checks done by C loops (`bytes.translate` to a shape of separators, whose
`istitle()` proves no empty column, tag or value, and whose per-line skeletons prove 9 columns of
well-formed `tag=value` pairs); then a lean loop per line checks the rest and does the ID/Parent
bookkeeping. The careful line-by-line path is the reference: a chunk that fails the whole-chunk
checks goes down it entirely, and the lean loop hands it any single line it does not recognise as
plainly valid, so both paths report the same errors (the tests check this on mutated input).
`check_file(..., jobs=2)` also checks the second half of a large file in a forked process.
"""

from __future__ import annotations

import array
import mmap
import os
import re
import signal
import stat
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

__all__ = ["GffChecker", "GffError", "GffResult", "check_bytes", "check_file", "check_stream"]


# NamedTuples, not dataclasses: importing dataclasses costs the CLI ~15 ms of its start-up
class GffError(NamedTuple):
    """One problem, at a 1-based line number. Orders by line, then message."""

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

    @property
    def valid(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)


# modes
_HEADER, _GFF3, _FASTA, _GFF2, _SEQBLOCK, _STOPPED = range(6)

_STRANDS3 = frozenset((b"+", b"-", b".", b"?"))
_STRANDS2 = frozenset((b"+", b"-", b"."))
_PHASES = frozenset((b".", b"0", b"1", b"2"))
_CDS_TYPES = frozenset((b"CDS", b"SO:0000316"))
_PHASE_VALUE = {b"0": 0, b"1": 1, b"2": 2}
_SEQID_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:^*$@!+_?|-%"
_SEQUENCE_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*-"
_GFF2_TAG = re.compile(rb"[A-Za-z][A-Za-z0-9_]*")
_GFF2_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_GFF2_BARE = re.compile(rb'[^\s;"#]+')
_NOT_IN_NUMBERS = b" \t\r\n\x0b\x0c_"  # float() would allow these around or inside a number
_GFF2_BLOCKS = {b"##DNA": b"##end-DNA", b"##RNA": b"##end-RNA", b"##Protein": b"##end-Protein"}
_INF = 1 << 62  # no ##sequence-region: every coordinate fits

# fast path tables
# tab, newline, ';' and '=' as the capitals T, N, S and E; every other byte as '.' (not a letter)
_SHAPE = bytes(b"TNSE"[b"\t\n;=".index(c)] if c in b"\t\n;=" else 46 for c in range(256))
_MAX_FAST_PAIRS = 64
# skeletons (the separators of a line, in order) the fast path accepts: a tab-less line without
# `;`/`=` (b""), and a feature line whose column 9 has no `=` or 1..64 well-formed `tag=value` pairs
_FAST_SKELETONS = frozenset([b"", b"T" * 8] + [b"T" * 8 + b"E" + b"SE" * k for k in range(_MAX_FAST_PAIRS)])
_HEX_PAIRS = frozenset(bytes((a, b)) for a in b"0123456789abcdefABCDEF" for b in b"0123456789abcdefABCDEF")

_KEY_NAMES = ("seqid", "source", "type", "strand")  # what the lines of one feature share
_COLUMN_NAMES = ("seqid", "source", "type", "start", "end", "score", "strand", "phase", "attributes")


def _version(line: bytes) -> str | None:
    """The version a `##gff-version 2` or `##gff-version 3[.x[.y]]` line names, else None."""
    if not line.startswith(b"##gff-version") or line[13:14] not in (b" ", b"\t"):
        return None
    version = line[14:].strip(b" \t")
    parts = version.split(b".")
    if version == b"2" or (parts[0] == b"3" and len(parts) <= 3 and all(p.isdigit() for p in parts[1:])):
        return version.decode()
    return None


def _is_number(score: bytes) -> bool:
    """A floating point number as C's strtod reads it (inf and nan included), without blanks."""
    if not score.isascii() or score.translate(None, _NOT_IN_NUMBERS) != score:
        return False
    try:
        float(score)
    except ValueError:
        return False
    return True


def _bad_escape(text: bytes) -> bytes | None:
    """The first '%' that does not start a %XX escape, with what follows it; None if all are fine."""
    k = text.find(37)
    while k >= 0:
        if text[k + 1 : k + 3] not in _HEX_PAIRS:
            return text[k : k + 3]
        k = text.find(37, k + 3)
    return None


def _show(value: bytes, limit: int = 60) -> str:
    """Bytes as they appear in a message: decoded, escapes visible, cut when long."""
    text = value.decode("utf-8", "backslashreplace")
    text = text.replace("\t", "\\t").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Cds:
    """The two end segments (lowest and highest on the sequence) of an open multi-line CDS.

    Segments arriving in order along the sequence (either direction) are each checked against
    their neighbour; a segment that overlaps or falls between earlier ones (a programmed
    frameshift, or unsorted lines) stops the check for that CDS, which would otherwise need every
    segment in memory.
    """

    __slots__ = ("checking", "hi", "lo", "strand")

    def __init__(self, strand: bytes, segment: tuple[int, int, int, int]) -> None:
        self.strand = strand
        self.lo = segment  # (start, end, phase, line)
        self.hi = segment
        self.checking = strand in (b"+", b"-")


class GffChecker:
    """Check GFF2/GFF3 as it streams. Feed bytes, then `close()`.

    `max_errors` caps the stored errors (None: no cap); every error is still counted, and
    `limit_reached` tells a caller it may stop feeding.
    """

    def __init__(self, max_errors: int | None = 1000) -> None:
        self.max_errors = max_errors
        self.errors: list[GffError] = []
        self.error_count = 0
        self.lines = 0  # complete lines consumed so far
        self.version: str | None = None
        self._mode = _HEADER
        self._closed = False
        self._rest = b""  # an incomplete last line
        self._parts: list[bytes] = []  # chunks without a newline, joined when one arrives
        # GFF3 state
        self._open: dict[bytes, tuple[bytes, bytes, bytes, bytes, int]] = {}  # ID -> seqid, source, type, strand, line
        self._done: set[bytes] = set()  # IDs of sections closed by ###
        self._pending: dict[bytes, tuple[int, bytes]] = {}  # Parent -> first line naming it, its seqid
        self._cds: dict[bytes, _Cds] = {}
        self._seqs: dict[bytes, list[int]] = {}  # seqid -> [lo, hi, region line, first feature line]
        self._fasta_header_due = False
        # GFF2 state
        self._block_start = 0
        self._block_end = b""

    # ---------------------------------------------------------------- public API

    @property
    def limit_reached(self) -> bool:
        """True once `max_errors` errors were found: the caller may stop feeding."""
        return self.max_errors is not None and self.error_count >= self.max_errors

    def feed(self, chunk: bytes) -> None:
        """Check the complete lines in `chunk` (plus what earlier chunks left over)."""
        if self._closed:
            raise ValueError("feed() after close()")
        if not chunk:
            return
        if self._mode == _STOPPED:  # not GFF: only count the lines
            self.lines += chunk.count(b"\n")
            self._rest = b"" if chunk.endswith(b"\n") else b"-"
            self._parts = []
            return
        cut = chunk.rfind(b"\n")
        if cut < 0:  # no line ends here: keep the pieces, join them once
            self._parts.append(chunk)
            return
        if self._parts:
            head = b"".join((self._rest, *self._parts, memoryview(chunk)[: cut + 1]))
            self._parts = []
        elif cut + 1 == len(chunk) and not self._rest:
            head = chunk
        else:  # one copy, not two
            head = b"".join((self._rest, memoryview(chunk)[: cut + 1]))
        self._rest = chunk[cut + 1 :]
        if 13 in head:  # CRLF line ends; a CR split from its LF stays in _rest until it arrives
            head = head.replace(b"\r\n", b"\n")
        self._text(head)

    def close(self) -> list[GffError]:
        """End of stream: check the last line and what must be resolved by the end."""
        if not self._closed:
            self._closed = True
            tail = self._rest + b"".join(self._parts)
            self._rest, self._parts = b"", []
            if tail:
                if self._mode != _STOPPED:
                    self._careful([tail[:-1] if tail.endswith(b"\r") else tail], self.lines + 1)
                self.lines += 1
            self._finish()
            self.errors.sort()
        return list(self.errors)

    def result(self) -> GffResult:
        """The outcome so far (call after `close()` for the final one)."""
        return GffResult(tuple(sorted(self.errors)), self.error_count, self.lines, self.version)

    # ---------------------------------------------------------------- reporting

    def _error(self, line: int, message: str) -> None:
        self.error_count += 1
        if self.max_errors is None or len(self.errors) < self.max_errors:
            self.errors.append(GffError(line, message))

    # ---------------------------------------------------------------- dispatch

    def _text(self, text: bytes) -> None:
        """`text` holds complete lines, each ending in a newline."""
        base = self.lines + 1
        lines = text.split(b"\n")
        lines.pop()
        self.lines += len(lines)
        # the version line and the directives after it go one by one, the body by the fast path
        i = pos = 0
        while i < len(lines) and (self._mode == _HEADER or (self._mode == _GFF3 and lines[i][:1] == b"#")):
            self._careful([lines[i]], base + i)
            pos += len(lines[i]) + 1
            i += 1
        if i:
            text, lines, base = text[pos:], lines[i:], base + i
        if not lines:
            return
        if self._mode == _GFF3 and self._fast_chunk(text):
            self._fast3(lines, base)
        else:
            self._careful(lines, base)

    def _careful(self, lines: list[bytes], base: int) -> None:
        """The reference path: every line on its own, with the exact messages."""
        for lineno, line in enumerate(lines, base):
            mode = self._mode
            if mode == _GFF3:
                self._line3(line, lineno)
            elif mode == _FASTA:
                self._fasta_line(line, lineno)
            elif mode == _GFF2:
                self._line2(line, lineno)
            elif mode == _SEQBLOCK:
                self._seqblock_line(line, lineno)
            elif mode == _HEADER:
                self._header(line, lineno)
            else:
                return

    def _header(self, line: bytes, lineno: int) -> None:
        version = _version(line)
        if version is None:
            self._error(
                lineno,
                f"expected '##gff-version 2' or '##gff-version 3[.x[.y]]' as the first line, found '{_show(line)}'",
            )
            self._mode = _STOPPED  # not GFF at all: one error, not one per line
            return
        self.version = version
        self._mode = _GFF2 if self.version == "2" else _GFF3

    def _finish(self) -> None:
        if self._mode == _HEADER:
            self._error(
                1, "expected '##gff-version 2' or '##gff-version 3[.x[.y]]' as the first line, found end of input"
            )
        elif self._mode == _GFF3:
            self._close_section(self.lines, "")
        elif self._mode == _SEQBLOCK:
            opener = self._block_end.replace(b"end-", b"").decode()
            self._error(self._block_start, f"{opener} block is not closed by {self._block_end.decode()}")

    # ---------------------------------------------------------------- GFF3, careful path

    def _line3(self, line: bytes, lineno: int) -> None:
        if line[:1] == b"#":
            self._directive3(line, lineno)
            return
        if line[:1] == b">":
            self._start_fasta(lineno, "FASTA header")
            self._fasta_line(line, lineno)
            return
        if not line.strip():
            return  # blank lines are ignored
        cols = line.split(b"\t")
        if len(cols) != 9:
            self._error(lineno, f"expected 9 tab-separated columns, found {len(cols)}")
            return
        seqid, source, ftype, s, e, score, strand, phase, attrs = cols
        for i, value in enumerate(cols):
            if not value:
                self._error(lineno, f"column {i + 1} ({_COLUMN_NAMES[i]}) is empty; write . for no value")
        ok_seqid = bool(seqid) and self._check_seqid(seqid, lineno)
        if s and not s.isdigit():
            self._error(lineno, f"start '{_show(s)}' is not a positive integer")
        if e and not e.isdigit():
            self._error(lineno, f"end '{_show(e)}' is not a positive integer")
        start = end = 0  # 0: unusable coordinates, so nothing below looks at them
        if s.isdigit() and e.isdigit():
            start, end = int(s), int(e)
            if start < 1:
                self._error(lineno, f"start {start} is below 1 (coordinates are 1-based)")
                start = end = 0
            elif start > end:
                self._error(lineno, f"start {start} is after end {end}")
                start = end = 0
        if score and score != b"." and not _is_number(score):
            self._error(lineno, f"score '{_show(score)}' is not a number or .")
        if strand and strand not in _STRANDS3:
            self._error(lineno, f"strand '{_show(strand)}' is not one of + - . ?")
        if phase and phase not in _PHASES:
            self._error(lineno, f"phase '{_show(phase)}' is not one of . 0 1 2")
        elif phase == b"." and ftype in _CDS_TYPES:
            self._error(lineno, f"{ftype.decode()} needs a phase of 0, 1 or 2, not .")
        ident, parents, circular = self._attrs3(attrs, lineno) if attrs else (None, None, False)
        if ok_seqid:
            seq = self._seqs.get(seqid)
            if seq is None:
                seq = self._seqs[seqid] = [1, _INF, 0, lineno]
            elif not seq[3]:
                seq[3] = lineno
            if circular:
                seq[1] = _INF
            elif start and (start < seq[0] or end > seq[1]):
                self._outside(seqid, start, end, seq, lineno)
        if ident is not None:
            self._define(ident, seqid, source, ftype, strand, lineno)
            if start and ftype in _CDS_TYPES and phase in _PHASES and phase != b".":
                self._cds_segment(ident, strand, start, end, int(phase), lineno)
        if parents is not None:
            for parent in parents:
                if parent == ident:
                    self._error(lineno, f"feature names its own ID '{_show(parent)}' as Parent")
                else:
                    self._refer(parent, seqid, lineno)

    def _check_seqid(self, seqid: bytes, lineno: int) -> bool:
        if seqid in self._seqs:
            return True
        bad = seqid.translate(None, _SEQID_CHARS)
        if bad:
            ch = chr(bad[0]) if bad[0] < 128 else f"\\x{bad[0]:02x}"
            self._error(
                lineno, f"seqid '{_show(seqid)}' contains '{_show(ch.encode())}', which must be percent-encoded"
            )
            return False
        escape = _bad_escape(seqid)
        if escape is not None:
            self._error(lineno, f"seqid '{_show(seqid)}' has a malformed percent-escape '{_show(escape)}'")
            return False
        return True

    def _attrs3(self, attrs: bytes, lineno: int) -> tuple[bytes | None, list[bytes] | None, bool]:
        """Check column 9; return its ID, its Parent list and whether it says Is_circular=true."""
        if attrs == b".":
            return None, None, False
        escape = _bad_escape(attrs)
        if escape is not None:
            self._error(lineno, f"column 9 has a malformed percent-escape '{_show(escape)}'")
        ident: bytes | None = None
        parents: list[bytes] | None = None
        circular = False
        seen: set[bytes] = set()
        for piece in attrs.split(b";"):
            if not piece:
                continue  # `;;` and a trailing `;` are tolerated
            n = piece.count(b"=")
            if n == 0:
                self._error(lineno, f"attribute '{_show(piece)}' has no '='")
                continue
            if n > 1:
                self._error(lineno, f"attribute '{_show(piece)}' has more than one '='")
                continue
            tag, _, value = piece.partition(b"=")
            if not tag:
                self._error(lineno, f"attribute '{_show(piece)}' has an empty tag")
                continue
            if not value:
                self._error(lineno, f"attribute '{_show(piece)}' has an empty value")
                continue
            if tag == b"ID" or tag == b"Parent":
                if tag in seen:
                    self._error(lineno, f"attribute {tag.decode()} appears more than once")
                    continue
                seen.add(tag)
                if tag == b"ID":
                    ident = value
                else:
                    parents = value.split(b",")
                    if b"" in parents:
                        self._error(lineno, f"attribute '{_show(piece)}' has an empty item in its list")
                        parents = [p for p in parents if p]
            elif tag == b"Is_circular" and value == b"true":
                circular = True
        return ident, parents, circular

    def _directive3(self, line: bytes, lineno: int) -> None:
        if line == b"###":
            self._close_section(lineno, "###")
        elif line.startswith(b"##FASTA"):
            self._start_fasta(lineno, "##FASTA")
        elif line.startswith(b"##sequence-region"):
            self._region(line, lineno)
        elif line.startswith(b"##gff-version"):
            self._error(lineno, "##gff-version may only be the first line")
        # other directives and comments carry nothing to check

    def _region(self, line: bytes, lineno: int) -> None:
        words = line.split()
        if words[0] != b"##sequence-region":
            return  # another directive that merely starts alike
        if len(words) != 4:
            self._error(lineno, "##sequence-region needs a seqid, a start and an end")
            return
        seqid, s, e = words[1:]
        if not self._check_seqid(seqid, lineno):
            return
        for name, value in (("start", s), ("end", e)):
            if not value.isdigit():
                self._error(lineno, f"##sequence-region {name} '{_show(value)}' is not an integer")
                return
        start, end = int(s), int(e)
        if start < 1:
            self._error(lineno, f"##sequence-region start {start} is below 1")
            return
        if start > end:
            self._error(lineno, f"##sequence-region start {start} is after its end {end}")
            return
        seq = self._seqs.get(seqid)
        if seq is not None and seq[2]:
            self._error(lineno, f"##sequence-region for '{_show(seqid)}' was already given on line {seq[2]}")
        elif seq is not None and seq[3]:
            self._error(lineno, f"##sequence-region for '{_show(seqid)}' comes after a feature on it (line {seq[3]})")
        else:
            self._seqs[seqid] = [start, end, lineno, 0]

    def _outside(self, seqid: bytes, start: int, end: int, seq: list[int], lineno: int) -> None:
        self._error(
            lineno,
            f"feature {start}..{end} is outside ##sequence-region {_show(seqid)} {seq[0]}..{seq[1]} (line {seq[2]})",
        )

    # ---------------------------------------------------------------- GFF3 relations (both paths)

    def _define(self, ident: bytes, seqid: bytes, source: bytes, ftype: bytes, strand: bytes, lineno: int) -> None:
        first = self._open.get(ident)
        if first is None:
            self._open[ident] = (seqid, source, ftype, strand, lineno)
            if self._pending:
                self._resolve(ident, seqid)
        else:
            self._repeat(ident, first, seqid, source, ftype, strand, lineno)

    def _repeat(
        self,
        ident: bytes,
        first: tuple[bytes, bytes, bytes, bytes, int],
        seqid: bytes,
        source: bytes,
        ftype: bytes,
        strand: bytes,
        lineno: int,
    ) -> None:
        """A second line with an ID of the open section: fine when it continues the same feature."""
        for name, was, now in zip(_KEY_NAMES, first[:4], (seqid, source, ftype, strand), strict=True):
            if was != now:
                self._error(
                    lineno,
                    f"ID '{_show(ident)}' is used on line {first[4]} with {name} '{_show(was)}', here '{_show(now)}'"
                    " (the lines of one feature share seqid, source, type and strand)",
                )
                return

    def _resolve(self, ident: bytes, seqid: bytes) -> None:
        waiting = self._pending.pop(ident, None)
        if waiting is not None and waiting[1] != seqid:
            self._error(waiting[0], f"Parent '{_show(ident)}' is on seqid '{_show(seqid)}', not '{_show(waiting[1])}'")

    def _refer(self, parent: bytes, seqid: bytes, lineno: int) -> None:
        target = self._open.get(parent)
        if target is None:
            if parent not in self._pending:
                self._pending[parent] = (lineno, seqid)
        elif target[0] != seqid:
            self._error(
                lineno,
                f"Parent '{_show(parent)}' is on seqid '{_show(target[0])}' (line {target[4]}), not '{_show(seqid)}'",
            )

    def _close_section(self, lineno: int, closer: str) -> None:
        """`###`, ##FASTA, a FASTA header or the end (closer ""): resolve every Parent, close the IDs."""
        where = f"the {closer} on line {lineno}" if closer else "the end of input"
        for parent, (line, _) in self._pending.items():
            if parent in self._done:
                self._error(line, f"Parent '{_show(parent)}' names a feature already closed by an earlier ###")
            else:
                self._error(line, f"Parent '{_show(parent)}' is not defined (no ID={_show(parent)} before {where})")
        self._pending.clear()
        done = self._done
        if not done.isdisjoint(self._open):
            for ident, first in self._open.items():
                if ident in done:
                    self._error(first[4], f"ID '{_show(ident)}' was already used before an earlier ###")
        done.update(self._open)
        self._open.clear()
        self._cds.clear()

    def _cds_segment(self, ident: bytes, strand: bytes, start: int, end: int, phase: int, lineno: int) -> None:
        """One segment of a (possibly multi-line) CDS: its phase against its neighbour's."""
        seg = (start, end, phase, lineno)
        cds = self._cds.get(ident)
        if cds is None:
            self._cds[ident] = _Cds(strand, seg)
            return
        if not cds.checking or strand != cds.strand:
            return
        lo, hi = cds.lo, cds.hi
        if start > hi[1]:  # beyond the highest segment
            if strand == b"+":
                cds.hi = self._downstream(ident, hi, seg)
            else:
                self._upstream(ident, seg, hi)
                cds.hi = seg
        elif end < lo[0]:  # before the lowest segment
            if strand == b"-":
                cds.lo = self._downstream(ident, lo, seg)
            else:
                self._upstream(ident, seg, lo)
                cds.lo = seg
        else:
            cds.checking = False

    def _downstream(
        self, ident: bytes, prev: tuple[int, int, int, int], seg: tuple[int, int, int, int]
    ) -> tuple[int, int, int, int]:
        """`seg` comes after `prev` in the direction of transcription: its phase must follow."""
        want = (prev[2] - (prev[1] - prev[0] + 1)) % 3
        if seg[2] != want:
            self._error(
                seg[3],
                f"CDS '{_show(ident)}' phase {seg[2]} does not follow from the segment on line {prev[3]}"
                f" (expected {want})",
            )
            return (seg[0], seg[1], want, seg[3])  # go on from the right phase: report each problem once
        return seg

    def _upstream(self, ident: bytes, seg: tuple[int, int, int, int], later: tuple[int, int, int, int]) -> None:
        """`seg` arrived after `later` but comes before it in the direction of transcription."""
        want = (seg[2] - (seg[1] - seg[0] + 1)) % 3
        if later[2] != want:
            self._error(
                seg[3],
                f"CDS '{_show(ident)}' phase {later[2]} on line {later[3]} does not follow from this segment"
                f" (expected {want})",
            )

    # ---------------------------------------------------------------- FASTA

    def _start_fasta(self, lineno: int, closer: str) -> None:
        self._close_section(lineno, closer)
        self._mode = _FASTA
        self._fasta_header_due = True

    def _fasta_line(self, line: bytes, lineno: int) -> None:
        if line[:1] == b">":
            self._fasta_header_due = False
            if not line[1:].strip():
                self._error(lineno, "FASTA header has no sequence name")
            return
        if not line.strip():
            return
        if self._fasta_header_due:
            self._fasta_header_due = False
            self._error(lineno, f"expected a FASTA header line ('>name') after ##FASTA, found '{_show(line)}'")
            return
        bad = line.translate(None, _SEQUENCE_CHARS)
        if bad:
            self._error(
                lineno, f"FASTA sequence line has the character '{_show(bad[:1])}'; features must come before ##FASTA"
            )

    # ---------------------------------------------------------------- GFF2

    def _line2(self, line: bytes, lineno: int) -> None:
        if line[:1] == b"#":
            if line.startswith(b"##"):
                word = line.split(None, 1)[0]
                if word in _GFF2_BLOCKS:
                    if len(line.split()) < 2:
                        self._error(lineno, f"{word.decode()} needs a sequence name")
                    self._mode = _SEQBLOCK
                    self._block_start = lineno
                    self._block_end = _GFF2_BLOCKS[word]
                elif word in _GFF2_BLOCKS.values():
                    self._error(lineno, f"{word.decode()} without an open {word.decode().replace('end-', '')} block")
                elif word == b"##gff-version":
                    self._error(lineno, "##gff-version may only be the first line")
            return
        if not line.strip():
            return
        cols = line.split(b"\t")
        if len(cols) not in (8, 9):
            self._error(lineno, f"expected 8 or 9 tab-separated columns, found {len(cols)}")
            return
        for i, value in enumerate(cols[:8]):
            if not value:
                self._error(lineno, f"column {i + 1} ({_COLUMN_NAMES[i]}) is empty; write . for no value")
        s, e, score, strand, frame = cols[3:8]
        nums = []
        for name, value in (("start", s), ("end", e)):
            digits = value[1:] if value[:1] == b"-" else value
            if value and not digits.isdigit():
                self._error(lineno, f"{name} '{_show(value)}' is not an integer")
            elif value:
                nums.append(int(value))
        if len(nums) == 2 and nums[0] > nums[1]:
            self._error(lineno, f"start {nums[0]} is after end {nums[1]}")
        if score and score != b"." and not _is_number(score):
            self._error(lineno, f"score '{_show(score)}' is not a number or .")
        if strand and strand not in _STRANDS2:
            self._error(lineno, f"strand '{_show(strand)}' is not one of + - .")
        if frame and frame not in _PHASES:
            self._error(lineno, f"frame '{_show(frame)}' is not one of . 0 1 2")
        if len(cols) == 9:
            self._attrs2(cols[8], lineno)

    def _attrs2(self, text: bytes, lineno: int) -> None:
        """`tag value…` items separated by `;`; free text quoted; `#` outside quotes starts a comment."""
        pos, n = 0, len(text)
        while True:
            while pos < n and text[pos] in b" ;":
                pos += 1
            if pos >= n or text[pos] == 35:  # '#': the rest is a comment
                return
            m = _GFF2_TAG.match(text, pos)
            if m is None or (m.end() < n and text[m.end()] not in b" ;#"):
                word = text[pos:].split(None, 1)[0].split(b";")[0]
                self._error(lineno, f"attribute tag '{_show(word)}' is not an identifier ([A-Za-z][A-Za-z0-9_]*)")
                return
            tag, pos, values = m.group(), m.end(), 0
            while True:
                while pos < n and text[pos] == 32:
                    pos += 1
                if pos >= n or text[pos] in b";#":
                    break
                if text[pos] == 34:  # '"'
                    q = _GFF2_QUOTED.match(text, pos)
                    if q is None:
                        self._error(lineno, f"attribute {tag.decode()} has an unterminated quoted value")
                        return
                    pos = q.end()
                else:
                    b = _GFF2_BARE.match(text, pos)
                    if b is None:  # only a tab or other whitespace can get here
                        self._error(
                            lineno,
                            f"attribute {tag.decode()} has an unexpected character '{_show(text[pos : pos + 1])}'",
                        )
                        return
                    pos = b.end()
                values += 1
                if pos < n and text[pos] not in b" ;#":
                    self._error(lineno, f"attribute {tag.decode()} has values not separated by spaces")
                    return
            if not values:
                self._error(lineno, f"attribute {tag.decode()} has no value")

    def _seqblock_line(self, line: bytes, lineno: int) -> None:
        if line == self._block_end or line.startswith(self._block_end + b" "):
            self._mode = _GFF2
            return
        opener = self._block_end.replace(b"end-", b"")
        if not line.startswith(b"##"):
            self._error(
                lineno, f"line inside the {opener.decode()} block from line {self._block_start} does not start with ##"
            )
            return
        body = line[2:].strip()
        bad = body.translate(None, _SEQUENCE_CHARS)
        if bad:
            self._error(lineno, f"{opener.decode()} block line has the character '{_show(bad[:1])}'")

    # ---------------------------------------------------------------- GFF3, fast path

    def _fast_chunk(self, text: bytes) -> bool:
        """Whole-chunk checks that let `_fast3` skip them line by line.

        False sends the chunk down the careful path. `_fast3` in turn hands any line it does not
        recognise as plainly valid to the careful handler, so both paths give the same errors.
        """
        # separators become capitals, everything else '.': `istitle()` is then true exactly when
        # no two separators touch (no empty column, tag or value) ...
        shape = text.translate(_SHAPE)
        if not shape.istitle() or text[:1] in b"\t;=":
            return False
        # ... and the separators of each line must form a known skeleton: 9 columns, tag=value pairs
        skeleton = shape.translate(None, b".").split(b"N")
        skeleton.pop()
        if not _FAST_SKELETONS.issuperset(skeleton):
            return False
        # every '%' starts an escape %XX (a bare memchr finds none in most chunks)
        return _bad_escape(text) is None

    def _fast3(self, lines: list[bytes], base: int) -> None:
        """The hot loop over a chunk that passed `_fast_chunk`; unusual lines go to `_line3`."""
        careful = self._line3
        open_ids = self._open
        open_get = open_ids.get
        pending = self._pending
        done = self._done
        cds_state = self._cds
        seqs = self._seqs
        cds_get = cds_state.get
        strands3, phases3, cds_types = _STRANDS3, _PHASES, _CDS_TYPES
        score_ok = _is_number
        cur_seqid = b""
        lo_is_1 = True
        lo = hi_len = 0
        hi_text = b""
        last_at = b""
        ident: bytes | None = None
        pv: bytes | None = None
        for lineno, line in enumerate(lines, base):
            try:  # every line with a tab has exactly 8 (the skeletons say so): no need to scan column 9
                seqid, source, ftype, s, e, score, strand, phase, at = line.split(b"\t", 8)
            except ValueError:
                if line == b"###":
                    if pending or not done.isdisjoint(open_ids):
                        self._close_section(lineno, "###")
                    else:  # the usual case, inline
                        done.update(open_ids)
                        open_ids.clear()
                        cds_state.clear()
                    continue
                seqid = b"\n"  # a directive, comment or FASTA line: no seqid has a newline
            if seqid != cur_seqid:
                seq = seqs.get(seqid)
                if seq is None or not seq[3]:  # the careful path records new seqids and directives
                    careful(line, lineno)
                    if self._mode != _GFF3:  # ##FASTA or '>': the rest is not GFF3
                        self._careful(lines[lineno - base + 1 :], lineno + 1)
                        return
                    cur_seqid = b""  # a ##sequence-region may have changed the bounds
                    continue
                cur_seqid, lo = seqid, seq[0]
                lo_is_1 = lo == 1
                hi_text = b"%d" % seq[1]
                hi_len = len(hi_text)
            if not (
                s.isdigit()
                and e.isdigit()
                and strand in strands3
                and phase in phases3
                and (score == b"." or score_ok(score))
            ):
                careful(line, lineno)
                continue
            # coordinates compared as digit strings without leading zeros (int() costs more):
            # shorter is smaller, equal lengths compare as bytes
            n_s = len(s)
            n_e = len(e)
            if (
                s[0] == 48  # '0': the start is 0 or has a leading zero
                or e[0] == 48
                or n_s > n_e
                or (n_s == n_e and s > e)
                or n_e > hi_len
                or (n_e == hi_len and e > hi_text)
                or not (lo_is_1 or int(s) >= lo)
                or (ftype in cds_types and phase == b".")
            ):
                careful(line, lineno)
                continue
            # column 9: ID and Parent, where writers put them (Parent first, or ID first and Parent second)
            if at != last_at:
                last_at = b""  # until this line's values are known good
                p0, _, rest = at.partition(b";")
                if p0[:7] == b"Parent=":
                    ident = None
                    pv = p0[7:]
                elif p0[:3] == b"ID=":
                    ident = p0[3:]
                    if rest[:7] == b"Parent=":
                        pv, _, rest = rest.partition(b";")
                        pv = pv[7:]
                    else:
                        pv = None
                else:
                    ident = pv = None
                    rest = at
                # does the rest hold another ID=, Parent= or Is_circular=? Usually there is no capital
                # I or P at all, which a bare memchr tells (an int operand to `in`)
                if (73 in rest and (b"ID=" in rest or b"Is_circular=" in rest)) or (80 in rest and b"Parent=" in rest):
                    tags = _id_and_parent(at)
                    if tags is None:  # ID or Parent twice, or Is_circular: the careful path decides
                        careful(line, lineno)
                        continue
                    ident, pv = tags
                if pv is not None:
                    if 44 in pv or pv == ident:  # a list (','), or its own ID
                        careful(line, lineno)
                        continue
                elif ident is None and at != b"." and 61 not in at:  # text without '='
                    careful(line, lineno)
                    continue
                last_at = at
            # the same bookkeeping as `_line3`
            if ident is not None:
                found = open_get(ident)
                if found is None:
                    open_ids[ident] = (seqid, source, ftype, strand, lineno)
                    if pending:
                        self._resolve(ident, seqid)
                elif found[0] != seqid or found[1] != source or found[2] != ftype or found[3] != strand:
                    self._repeat(ident, found, seqid, source, ftype, strand, lineno)
                if ftype in cds_types:
                    start, end, ph = int(s), int(e), _PHASE_VALUE[phase]
                    cds = cds_get(ident)
                    if cds is None:
                        cds_state[ident] = _Cds(strand, (start, end, ph, lineno))
                    elif cds.checking and strand == cds.strand:
                        top = cds.hi
                        # the usual next segment: above the others, its phase as expected
                        if start > top[1] and (
                            ph == (top[2] - top[1] + top[0] - 1) % 3
                            if strand == b"+"
                            else top[2] == (ph - end + start - 1) % 3
                        ):
                            cds.hi = (start, end, ph, lineno)
                        else:
                            self._cds_segment(ident, strand, start, end, ph, lineno)
            if pv is not None:
                found = open_get(pv)
                if found is None:
                    if pv not in pending:
                        pending[pv] = (lineno, seqid)
                elif found[0] != seqid:
                    self._refer(pv, seqid, lineno)


def _id_and_parent(attrs: bytes) -> tuple[bytes | None, bytes | None] | None:
    """ID and Parent of a column 9 whose pieces each hold one '='; None if either repeats or the
    line says Is_circular (which the careful path records)."""
    ident = parent = None
    for piece in attrs.split(b";"):
        if piece[:12] == b"Is_circular=":
            return None
        if piece[:3] == b"ID=":
            if ident is not None:
                return None
            ident = piece[3:]
        elif piece[:7] == b"Parent=":
            if parent is not None:
                return None
            parent = piece[7:]
    return ident, parent


# -------------------------------------------------------------------- convenience

_READ_SIZE = 1 << 18


def check_stream(stream: BinaryIO, max_errors: int | None = 1000, stop_early: bool = False) -> GffResult:
    """Check a binary stream to its end (or, with `stop_early`, until `max_errors` errors)."""
    checker = GffChecker(max_errors)
    read = stream.read
    while True:
        chunk = read(_READ_SIZE)
        if not chunk:
            break
        checker.feed(chunk)
        if stop_early and checker.limit_reached:
            break
    checker.close()
    return checker.result()


def check_file(path: str, max_errors: int | None = 1000, stop_early: bool = False, jobs: int = 1) -> GffResult:
    """Check the GFF file at `path`.

    With `jobs` > 1 a large regular GFF3 file is checked in two halves at once (see
    `_check_split`); the result is the same as with one job. Only for single-threaded callers
    such as the CLI: it forks.
    """
    with open(path, "rb") as fh:
        if jobs > 1 and hasattr(os, "fork"):
            st = os.fstat(fh.fileno())
            if stat.S_ISREG(st.st_mode) and st.st_size >= _SPLIT_MIN:
                with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    return _check_split(data, max_errors, stop_early)
        return check_stream(fh, max_errors, stop_early)


# -------------------------------------------------------------------- two halves at once

_SPLIT_MIN = 16 << 20  # smaller files are not worth a second process
_PROBE = 6 << 20  # checked first while measuring whether a CPU is idle (~40 ms of work)
_IDLE_ENOUGH = 0.6  # idle CPUs (besides this process) needed to start the second process


def _feed_range(checker: GffChecker, data: mmap.mmap, start: int, end: int, stop_early: bool) -> bool:
    """Feed data[start:end]; False when stopped early at the error limit."""
    for pos in range(start, end, _READ_SIZE):
        checker.feed(data[pos : min(pos + _READ_SIZE, end)])
        if stop_early and checker.limit_reached:
            return False
    return True


def _header_end(data: mmap.mmap) -> int:
    """Offset just after the leading lines that start with '#' (version line, directives)."""
    pos = 0
    while data[pos : pos + 1] == b"#":
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


def _split_point(data: mmap.mmap, body: int) -> int:
    """Where the second half may start: just after a `###` line near the middle, or -1.

    The second half is checked from the state the header leaves, which is the state the first
    half leaves too unless the first half holds ##FASTA or a '>' line, or a ##sequence-region
    appears after the header (its place relative to the features matters).
    """
    size = len(data)
    if data.find(b"\n##sequence-region", body - 1) >= 0:
        return -1
    mid = body + (size - body) // 2
    cut = data.find(b"\n###\n", mid, mid + (size - body) // 4)
    if cut < 0:
        return -1
    cut += 5
    if data.find(b"\n##FASTA", body - 1, cut) >= 0 or data.find(b"\n>", body - 1, cut) >= 0:
        return -1
    return cut


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) clock ticks of the CPUs this process may run on, from /proc/stat; None elsewhere."""
    try:
        allowed = {f"cpu{n}" for n in os.sched_getaffinity(0)}
        with open("/proc/stat", "rb") as fh:
            lines = fh.read().split(b"\n")
    except (AttributeError, OSError):
        return None
    idle = total = 0
    for line in lines:
        fields = line.split()
        if fields and fields[0].decode(errors="replace") in allowed:
            ticks = [int(f) for f in fields[1:9]]
            idle += ticks[3] + ticks[4]  # idle + iowait
            total += sum(ticks)
    return (idle, total) if total else None


def _idle_cpus(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float:
    """How many of our CPUs sat idle between two `_cpu_ticks` readings (2.0 when unknown)."""
    if before is None or after is None or after[1] <= before[1]:
        return 2.0
    share = (after[0] - before[0]) / (after[1] - before[1])
    return share * len(os.sched_getaffinity(0))


def _speculate(checker: GffChecker, data: mmap.mmap, cut: int, out: int) -> None:
    """In the forked child: check data[cut:] from the fork-time state; report on `out` and exit.

    Reports b"K", the number of lines and the hashes of every ID when the second half is clean
    on its own, else b"E". Never returns.
    """
    report = b"E"
    try:
        before = checker.lines
        checker.max_errors = 1
        checker._done = set()  # report only the second half's IDs; the parent holds the others
        _feed_range(checker, data, cut, len(data), stop_early=True)
        checker.close()
        if checker.error_count == 0:
            hashes = array.array("q", map(hash, checker._done))
            report = b"K" + struct.pack("<q", checker.lines - before) + hashes.tobytes()
    except BaseException:  # the child must never unwind into the parent's code
        report = b"E"
    finally:
        view = memoryview(report)
        while view:
            view = view[os.write(out, view) :]
        os._exit(0)


def _check_split(data: mmap.mmap, max_errors: int | None, stop_early: bool) -> GffResult:
    """Check the first half here while a forked child checks the second half on speculation.

    The child starts from the state this process has when it forks, after a `###` of the first
    half: only closed IDs. The state at the start of the second half differs only by more closed
    IDs, so the child's verdict stands when the first half is clean and shares no ID with the
    second (compared by hash; a collision only costs time). If anything is not clean, this process
    goes on through the second half itself, so errors, their order and the counts are those of one
    job. The first few MB are checked before forking, while /proc/stat tells whether a CPU is
    idle: on a busy machine a second process would only slow both down.
    """
    checker = GffChecker(max_errors)
    body = _header_end(data)
    _feed_range(checker, data, 0, body, stop_early)
    cut = _split_point(data, body) if checker._mode == _GFF3 and not checker.error_count else -1
    fork_at = data.find(b"\n###\n", body + _PROBE, cut) if cut > 0 else -1
    if fork_at > 0:
        fork_at += 5
        ticks = _cpu_ticks()
        if not _feed_range(checker, data, body, fork_at, stop_early):
            return _closed(checker)
        body = fork_at
        clean = checker._mode == _GFF3 and not (checker.error_count or checker._open or checker._pending)
        if not clean or _idle_cpus(ticks, _cpu_ticks()) < _IDLE_ENOUGH:
            fork_at = -1
    if fork_at < 0:  # one process after all
        _feed_range(checker, data, body, len(data), stop_early)
        return _closed(checker)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(rfd)
        _speculate(checker, data, cut, wfd)
    os.close(wfd)
    report = b""
    finished = False
    try:
        finished = _feed_range(checker, data, body, cut, stop_early)
        if finished:
            with os.fdopen(rfd, "rb", closefd=False) as pipe:
                report = pipe.read()
    finally:
        os.close(rfd)
        if not report:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if not finished:
        return _closed(checker)
    if report[:1] == b"K" and checker.error_count == 0:
        theirs = array.array("q")
        theirs.frombytes(report[9:])
        if set(theirs).isdisjoint(map(hash, checker._done)):
            checker.close()
            mine = checker.result()
            (lines,) = struct.unpack("<q", report[1:9])
            return GffResult(mine.errors, mine.error_count, mine.lines + lines, mine.version)
    _feed_range(checker, data, cut, len(data), stop_early)  # not clean: go on as one job would
    return _closed(checker)


def _closed(checker: GffChecker) -> GffResult:
    checker.close()
    return checker.result()


def check_bytes(data: bytes | Iterable[bytes], max_errors: int | None = None) -> GffResult:
    """Check GFF held in memory: one bytes object, or chunks of it in order."""
    checker = GffChecker(max_errors)
    chunks: Iterator[bytes] = iter((data,)) if isinstance(data, bytes) else iter(data)
    for chunk in chunks:
        checker.feed(chunk)
    checker.close()
    return checker.result()
