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

Speed: a chunk of complete lines first goes through a bulk path that checks the syntax of all its
feature lines with whole-chunk bytes operations (a skeleton of separators, column slices, set and
map operations) and then runs only the ID/Parent bookkeeping per line. Anything unusual in the
chunk (an error, a directive other than `###`, a trailing `;`, a tag ending in `ID`) sends the whole
chunk down the careful line-by-line path, which is the reference: both give the same errors.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

__all__ = ["GffChecker", "GffError", "GffResult", "check_bytes", "check_file", "check_stream"]


@dataclasses.dataclass(frozen=True, order=True)
class GffError:
    """One problem, at a 1-based line number."""

    line: int
    message: str

    def text(self, path: str) -> str:
        """The `path:LINE: message` form printed on stderr."""
        return f"{path}:{self.line}: {self.message}"


@dataclasses.dataclass(frozen=True)
class GffResult:
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

_VERSION = re.compile(rb"##gff-version[ \t]+(2|3(?:\.\d+){0,2})[ \t]*")
_STRANDS3 = frozenset((b"+", b"-", b".", b"?"))
_STRANDS2 = frozenset((b"+", b"-", b"."))
_PHASES = frozenset((b".", b"0", b"1", b"2"))
_CDS_TYPES = frozenset((b"CDS", b"SO:0000316"))
_SCORE = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
)
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_SEQID_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:^*$@!+_?|-%"
_SEQUENCE_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ*-"
_GFF2_TAG = re.compile(rb"[A-Za-z][A-Za-z0-9_]*")
_GFF2_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_GFF2_BARE = re.compile(rb'[^\s;"#]+')
_GFF2_BLOCKS = {b"##DNA": b"##end-DNA", b"##RNA": b"##end-RNA", b"##Protein": b"##end-Protein"}
_INF = 1 << 62  # no ##sequence-region: every coordinate fits

# bulk path tables
_SEPARATORS = b"\t\n;="
_NOT_SEPARATORS = bytes(c for c in range(256) if c not in _SEPARATORS)
_SEPARATORS_TO_TAB = bytes.maketrans(b"\n;=", b"\t\t\t")
_MAX_FAST_PAIRS = 64
# skeletons (the separators of a line, in order) the bulk path accepts: a tab-less line without
# `;`/`=` (b""), and a feature line whose column 9 has no `=` or 1..64 well-formed `tag=value` pairs
_FAST_SKELETONS = frozenset(
    [b"", b"\t" * 8] + [b"\t" * 8 + b"=" + b";=" * k for k in range(_MAX_FAST_PAIRS)]
)
_HEX_PAIRS = frozenset(bytes((a, b)) for a in b"0123456789abcdefABCDEF" for b in b"0123456789abcdefABCDEF")

_COLUMN_NAMES = ("seqid", "source", "type", "start", "end", "score", "strand", "phase", "attributes")


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
        self._regions = False  # any ##sequence-region seen: Is_circular matters
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
        if self._mode == _STOPPED or not chunk:
            return
        cut = chunk.rfind(b"\n")
        if cut < 0:  # no line ends here: keep the pieces, join them once
            self._parts.append(chunk)
            return
        if self._parts:
            head = self._rest + b"".join(self._parts) + chunk[: cut + 1]
            self._parts = []
        else:
            head = self._rest + chunk[: cut + 1] if self._rest else chunk[: cut + 1]
        self._rest = chunk[cut + 1 :]
        if b"\r" in head:  # CRLF line ends; a CR split from its LF stays in _rest until it arrives
            head = head.replace(b"\r\n", b"\n")
        self._text(head)

    def close(self) -> list[GffError]:
        """End of stream: check the last line and what must be resolved by the end."""
        if not self._closed:
            self._closed = True
            tail = self._rest + b"".join(self._parts)
            self._rest, self._parts = b"", []
            if tail and self._mode != _STOPPED:
                if tail.endswith(b"\r"):
                    tail = tail[:-1]
                self._careful([tail], self.lines + 1)
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
        self.lines += text.count(b"\n")
        # the version line and the directives after it go one by one, the body in bulk
        pos = 0
        while self._mode == _HEADER or (self._mode == _GFF3 and text.startswith(b"#", pos)):
            nl = text.find(b"\n", pos)
            self._careful([text[pos:nl]], base)
            base, pos = base + 1, nl + 1
            if pos == len(text):
                return
        if pos:
            text = text[pos:]
        if self._mode != _GFF3 or not self._bulk3(text, base):
            lines = text.split(b"\n")
            lines.pop()
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
        m = _VERSION.fullmatch(line)
        if m is None:
            self._error(
                lineno,
                f"expected '##gff-version 2' or '##gff-version 3[.x[.y]]' as the first line, found '{_show(line)}'",
            )
            self._mode = _STOPPED  # not GFF at all: one error, not one per line
            return
        self.version = m.group(1).decode()
        self._mode = _GFF2 if self.version == "2" else _GFF3

    def _finish(self) -> None:
        if self._mode == _HEADER:
            self._error(1, "expected '##gff-version 2' or '##gff-version 3[.x[.y]]' as the first line, found end of input")
        elif self._mode == _GFF3:
            self._close_section(self.lines, "the end of input")
        elif self._mode == _SEQBLOCK:
            opener = self._block_end.replace(b"end-", b"").decode()
            self._error(self._block_start, f"{opener} block is not closed by {self._block_end.decode()}")

    # ---------------------------------------------------------------- GFF3, careful path

    def _line3(self, line: bytes, lineno: int) -> None:
        if line[:1] == b"#":
            self._directive3(line, lineno)
            return
        if line[:1] == b">":
            self._start_fasta(lineno, f"the FASTA header on line {lineno}")
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
            self._error(lineno, f"start '{_show(s)}' is not an integer")
        if e and not e.isdigit():
            self._error(lineno, f"end '{_show(e)}' is not an integer")
        start = end = 0  # 0: unusable coordinates, so nothing below looks at them
        if s.isdigit() and e.isdigit():
            start, end = int(s), int(e)
            if start < 1:
                self._error(lineno, f"start {start} is below 1 (coordinates are 1-based)")
                start = end = 0
            elif start > end:
                self._error(lineno, f"start {start} is after end {end}")
                start = end = 0
        if score and score != b"." and _SCORE.fullmatch(score) is None:
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
            self._error(lineno, f"seqid '{_show(seqid)}' contains '{_show(ch.encode())}', which must be percent-encoded")
            return False
        m = _BAD_ESCAPE.search(seqid)
        if m is not None:
            self._error(lineno, f"seqid '{_show(seqid)}' has a malformed percent-escape '{_show(seqid[m.start():m.start() + 3])}'")
            return False
        return True

    def _attrs3(self, attrs: bytes, lineno: int) -> tuple[bytes | None, list[bytes] | None, bool]:
        """Check column 9; return its ID, its Parent list and whether it says Is_circular=true."""
        if attrs == b".":
            return None, None, False
        m = _BAD_ESCAPE.search(attrs)
        if m is not None:
            self._error(lineno, f"column 9 has a malformed percent-escape '{_show(attrs[m.start():m.start() + 3])}'")
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
            self._close_section(lineno, f"the ### on line {lineno}")
        elif line.startswith(b"##FASTA"):
            self._start_fasta(lineno, f"##FASTA on line {lineno}")
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
            self._error(
                lineno, f"##sequence-region for '{_show(seqid)}' comes after a feature on it (line {seq[3]})"
            )
        else:
            self._seqs[seqid] = [start, end, lineno, 0]
            self._regions = True

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
        for name, was, now in zip(("seqid", "source", "type", "strand"), first, (seqid, source, ftype, strand)):
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

    def _close_section(self, lineno: int, where: str) -> None:
        """`###`, ##FASTA or the end: every Parent must be resolved; the section's IDs are closed."""
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

    def _start_fasta(self, lineno: int, where: str) -> None:
        self._close_section(lineno, where)
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
            self._error(lineno, f"FASTA sequence line has the character '{_show(bad[:1])}'; features must come before ##FASTA")

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
        if score and score != b"." and _SCORE.fullmatch(score) is None:
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
                        self._error(lineno, f"attribute {tag.decode()} has an unexpected character '{_show(text[pos:pos + 1])}'")
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
            self._error(lineno, f"line inside the {opener.decode()} block from line {self._block_start} does not start with ##")
            return
        body = line[2:].strip()
        bad = body.translate(None, _SEQUENCE_CHARS)
        if bad:
            self._error(lineno, f"{opener.decode()} block line has the character '{_show(bad[:1])}'")

    # ---------------------------------------------------------------- GFF3, fast path

    def _bulk3(self, text: bytes, base: int) -> bool:
        """Check a chunk of GFF3 lines: whole-chunk checks first, then a lean loop per line.

        Returns False, having changed nothing, when the whole-chunk checks do not vouch for the
        chunk; the caller then runs the careful path on it. The per-line loop hands any line it
        does not recognise as plainly valid to the careful handler, so both paths agree.
        """
        # the separators of each line must form a known skeleton: 9 columns, `tag=value` pairs
        skeleton = text.translate(None, _NOT_SEPARATORS).split(b"\n")
        skeleton.pop()
        if not _FAST_SKELETONS.issuperset(skeleton):
            return False
        # no empty field, tag or value: no two separators side by side
        if text.translate(_SEPARATORS_TO_TAB).find(b"\t\t") >= 0 or text[:1] == b"\t":
            return False
        if b"%" in text and not _HEX_PAIRS.issuperset(p[:2] for p in text.split(b"%")[1:]):
            return False
        if self._regions and b"Is_circular=" in text:
            return False
        lines = text.split(b"\n")
        lines.pop()
        self._fast3(lines, base)
        return True

    def _fast3(self, lines: list[bytes], base: int) -> None:
        """The hot loop. Syntax of the separators is known good (see `_bulk3`)."""
        careful = self._line3
        open_ids = self._open
        open_get = open_ids.get
        pending = self._pending
        seqs = self._seqs
        strands3, phases3, cds_types = _STRANDS3, _PHASES, _CDS_TYPES
        score_ok = _SCORE.fullmatch
        cur_seqid = b""
        lo = hi = 0
        last_at = b""
        ident: bytes | None = None
        pv: bytes | None = None
        for lineno, line in enumerate(lines, base):
            try:
                seqid, source, ftype, s, e, score, strand, phase, at = line.split(b"\t")
            except ValueError:
                if line == b"###":
                    self._close_section(lineno, f"the ### on line {lineno}")
                else:
                    careful(line, lineno)
                    cur_seqid = b""
                continue
            if seqid != cur_seqid:
                seq = seqs.get(seqid)
                if seq is None or not seq[3]:  # a new seqid: validated and recorded there
                    careful(line, lineno)
                    cur_seqid = b""
                    continue
                cur_seqid, lo, hi = seqid, seq[0], seq[1]
            if not (
                s.isdigit()
                and e.isdigit()
                and strand in strands3
                and phase in phases3
                and source
                and ftype
                and (score == b"." or score_ok(score))
            ):
                careful(line, lineno)
                continue
            start = int(s)
            end = int(e)
            if start < lo or end > hi or start > end or (phase == b"." and ftype in cds_types):
                careful(line, lineno)
                continue
            # column 9: the ID and the Parent value, found where they are
            if at != last_at:
                ident = pv = None
                k = at.find(b"ID=")
                if k >= 0:
                    if k and at[k - 1] != 59:  # a tag ending in "ID"
                        careful(line, lineno)
                        continue
                    q = at.find(b";", k)
                    if q < 0:
                        ident = at[k + 3 :]
                    else:
                        ident = at[k + 3 : q]
                        if at.find(b"ID=", q) >= 0:  # a second ID, or a tag ending in "ID"
                            careful(line, lineno)
                            continue
                k = at.find(b"Parent=")
                if k >= 0:
                    if k and at[k - 1] != 59:
                        careful(line, lineno)
                        continue
                    q = at.find(b";", k)
                    if q < 0:
                        pv = at[k + 7 :]
                    else:
                        pv = at[k + 7 : q]
                        if at.find(b"Parent=", q) >= 0:
                            careful(line, lineno)
                            continue
                    if b"," in pv or pv == ident:  # a list, or its own ID
                        careful(line, lineno)
                        continue
                elif ident is None and at != b"." and b"=" not in at:
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
                    self._cds_segment(ident, strand, start, end, int(phase), lineno)
            if pv is not None:
                found = open_get(pv)
                if found is None:
                    if pv not in pending:
                        pending[pv] = (lineno, seqid)
                elif found[0] != seqid:
                    self._refer(pv, seqid, lineno)


# -------------------------------------------------------------------- convenience

_READ_SIZE = 1 << 20


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


def check_file(path: str, max_errors: int | None = 1000, stop_early: bool = False) -> GffResult:
    """Check the GFF file at `path`."""
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
