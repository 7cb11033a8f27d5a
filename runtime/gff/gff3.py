"""GFF3, line by line: the reference path, the state both paths share, and the FASTA section.

`Gff3` checks one line at a time with the exact messages (`line`). The fast path (fast.py) reads
and updates the same public state and hands it any line it does not recognise as plainly valid,
so both report the same errors. The rules and the decisions behind them are in docs/gff.md.

State kept per open ID is one int (`record`): the line of its first use, the index of its
(seqid, source, type, strand) in `keys`, and a 64-bit hash of its sorted Parent list (0: none).
A file without `###` keeps every ID open to its end, so this is what memory grows with.
"""

from __future__ import annotations

from typing import cast

from .model import (
    CDS_TYPES,
    COLUMN_NAMES,
    PHASE_VALUE,
    PHASES,
    SEQUENCE_CHARS,
    STRANDS3,
    Report,
    bad_escape,
    is_number,
    show,
)

__all__ = ["INF", "KEY_SHIFT", "LINE_MASK", "PARENT_SHIFT", "Chain", "Gff3", "parent_sign"]

INF = 1 << 62  # no ##sequence-region: every coordinate fits
KEY_SHIFT = 40  # record = line | key index << KEY_SHIFT | parent sign << PARENT_SHIFT
PARENT_SHIFT = 72
LINE_MASK = (1 << KEY_SHIFT) - 1
KEY_MASK = (1 << (PARENT_SHIFT - KEY_SHIFT)) - 1
_HASH_MASK = (1 << 64) - 1
_SEQID_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:^*$@!+_?|-%"
_KEY_NAMES = ("seqid", "source", "type", "strand")  # what the lines of one feature share
_BLANKS = b" \t"


def parent_sign(parents: list[bytes] | tuple[bytes, ...] | None) -> int:
    """A 65-bit sign of a Parent list as a multiset (order does not matter): 0 for no Parent."""
    if parents is None:
        return 0
    if len(parents) == 1:  # the usual case, as the fast path computes it
        return (hash(parents[0]) & _HASH_MASK) | (1 << 64)
    return (hash(tuple(sorted(parents))) & _HASH_MASK) | (1 << 64)


class Chain:
    """The CDS lines of one parent (or of one ID without a parent): its two end segments.

    Segments arriving in order along the sequence (either direction) are each checked against
    their neighbour; a segment that overlaps or falls between earlier ones (a programmed
    frameshift, or unsorted lines), or lies on another seqid or strand, stops the check for that
    chain, which would otherwise need every segment in memory.
    """

    __slots__ = ("checking", "hi", "lo", "seqid", "strand")

    def __init__(self, seqid: bytes, strand: bytes, segment: tuple[int, int, int, int]) -> None:
        self.seqid = seqid
        self.strand = strand
        self.lo = segment  # (start, end, phase, line)
        self.hi = segment
        self.checking = strand in (b"+", b"-")


class Gff3:
    """The GFF3 body after the version line: features, directives, and FASTA after ##FASTA."""

    def __init__(self, report: Report, native: bool = False) -> None:
        """`native`: keep the IDs in the compiled `_scan.IdTable` (same interface as the dict and
        set used here) so that `_scan.scan` can check lines against them (docs/gff.md, "Speed")."""
        self.report = report
        self.error = report.error
        self.in_fasta = False
        self.native = native
        self.ids: dict[bytes, int] = {}  # open IDs (since the last ###) -> record
        self.keys: list[tuple[bytes, bytes, bytes, bytes]] = []  # (seqid, source, type, strand)
        self.key_index: dict[tuple[bytes, bytes, bytes, bytes], int] = {}
        self.closed: set[bytes] = set()  # IDs of sections closed by ###
        self.pending: dict[bytes, tuple[int, bytes]] = {}  # Parent -> first line naming it, its seqid
        self.chains: dict[bytes, Chain] = {}  # CDS chains: Parent, or b"\n" + ID without Parent
        self.seqs: dict[bytes, list[int]] = {}  # seqid -> [lo, hi, region line, first feature line]
        self._fasta_header_due = False
        if native:
            from . import _scan

            # the IdTable offers the dict and set operations this class uses
            self.ids = cast("dict[bytes, int]", _scan.IdTable())
            self.closed = cast("set[bytes]", _scan.IdTable())

    # ---------------------------------------------------------------- lines

    def lines(self, lines: list[bytes], base: int) -> None:
        """Check `lines`, the first being line number `base`."""
        for lineno, line in enumerate(lines, base):
            self.line(line, lineno)

    def line(self, line: bytes, lineno: int) -> None:
        """Check one line (without its newline)."""
        if self.in_fasta:
            self._fasta_line(line, lineno)
            return
        if line[:1] == b"#":
            self._directive(line, lineno)
            return
        if line[:1] == b">":
            self._start_fasta(lineno, "FASTA header")
            self._fasta_line(line, lineno)
            return
        if not line.strip():
            return  # blank lines are ignored
        cols = line.split(b"\t")
        if len(cols) != 9:
            self.error(lineno, f"expected 9 tab-separated columns, found {len(cols)}")
            return
        seqid, source, ftype, s, e, score, strand, phase, attrs = cols
        error = self.error
        for i, value in enumerate(cols):
            if not value:
                error(lineno, f"column {i + 1} ({COLUMN_NAMES[i]}) is empty; write . for no value")
        ok_seqid = bool(seqid) and self.check_seqid(seqid, lineno)
        if s and not s.isdigit():
            error(lineno, f"start '{show(s)}' is not a positive integer")
        if e and not e.isdigit():
            error(lineno, f"end '{show(e)}' is not a positive integer")
        start = end = 0  # 0: unusable coordinates, so nothing below looks at them
        if s.isdigit() and e.isdigit():
            start, end = int(s), int(e)
            if start < 1:
                error(lineno, f"start {start} is below 1 (coordinates are 1-based)")
                start = end = 0
            elif start > end:
                error(lineno, f"start {start} is after end {end}")
                start = end = 0
        if score and score != b"." and not is_number(score):
            error(lineno, f"score '{show(score)}' is not a number or .")
        if strand and strand not in STRANDS3:
            error(lineno, f"strand '{show(strand)}' is not one of + - . ?")
        if phase and phase not in PHASES:
            error(lineno, f"phase '{show(phase)}' is not one of . 0 1 2")
        elif phase == b"." and ftype in CDS_TYPES:
            error(lineno, f"{show(ftype)} needs a phase of 0, 1 or 2, not .")
        ident, parents, circular = self._attrs(attrs, lineno) if attrs else (None, None, False)
        if ok_seqid:
            seq = self.seqs.get(seqid)
            if seq is None:
                seq = self.seqs[seqid] = [1, INF, 0, lineno]
            elif not seq[3]:
                seq[3] = lineno
            if circular:
                seq[1] = INF
            elif start and (start < seq[0] or end > seq[1]):
                self.outside(seqid, start, end, seq, lineno)
        if ident is not None:
            self.define(ident, (seqid, source, ftype, strand), parent_sign(parents), lineno)
        if parents is not None:
            for parent in parents:
                if parent == ident:
                    error(lineno, f"feature names its own ID '{show(parent)}' as Parent")
                else:
                    self.refer(parent, seqid, lineno)
        if start and ftype in CDS_TYPES and phase in PHASE_VALUE:
            seg = (start, end, PHASE_VALUE[phase], lineno)
            if parents:
                for parent in dict.fromkeys(parents):
                    self.cds_segment(parent, seqid, strand, seg)
            elif ident is not None:
                self.cds_segment(b"\n" + ident, seqid, strand, seg)

    def check_seqid(self, seqid: bytes, lineno: int) -> bool:
        """A seqid seen before, or one whose characters are allowed (else an error, False)."""
        if seqid in self.seqs:
            return True
        bad = seqid.translate(None, _SEQID_CHARS)
        if bad:
            self.error(lineno, f"seqid '{show(seqid)}' contains '{show(bad[:1])}', which must be percent-encoded")
            return False
        escape = bad_escape(seqid)
        if escape is not None:
            self.error(lineno, f"seqid '{show(seqid)}' has a malformed percent-escape '{show(escape)}'")
            return False
        return True

    def _attrs(self, attrs: bytes, lineno: int) -> tuple[bytes | None, list[bytes] | None, bool]:
        """Check column 9; return its ID, its Parent list and whether it says Is_circular=true.

        Blanks after a `;` (or at the start) are not part of the tag, as GenomeTools reads them.
        """
        if attrs == b".":
            return None, None, False
        error = self.error
        escape = bad_escape(attrs)
        if escape is not None:
            error(lineno, f"column 9 has a malformed percent-escape '{show(escape)}'")
        ident: bytes | None = None
        parents: list[bytes] | None = None
        circular = False
        seen: set[bytes] = set()
        for raw in attrs.split(b";"):
            piece = raw.lstrip(b" ")
            if not piece:
                continue  # `;;` and a trailing `;` are tolerated
            n = piece.count(b"=")
            if n == 0:
                error(lineno, f"attribute '{show(piece)}' has no '='")
                continue
            if n > 1:
                error(lineno, f"attribute '{show(piece)}' has more than one '='")
                continue
            tag, _, value = piece.partition(b"=")
            if not tag:
                error(lineno, f"attribute '{show(piece)}' has an empty tag")
                continue
            if not value:
                error(lineno, f"attribute '{show(piece)}' has an empty value")
                continue
            if tag == b"ID" or tag == b"Parent":
                if tag in seen:
                    error(lineno, f"attribute {tag.decode()} appears more than once")
                    continue
                seen.add(tag)
                if tag == b"ID":
                    ident = value
                else:
                    parents = value.split(b",")
                    if b"" in parents:
                        error(lineno, f"attribute '{show(piece)}' has an empty item in its list")
                        parents = [p for p in parents if p]
            elif tag == b"Is_circular" and value == b"true":
                circular = True
        return ident, parents, circular

    def _directive(self, line: bytes, lineno: int) -> None:
        """A line starting with '#'. A directive is its first word, matched exactly: `##FASTAMKL`
        is a comment; `###` followed by anything ends a section, as in GenomeTools."""
        if line[:3] == b"###":
            self.close_section(lineno, "###")
            return
        word = line.split(None, 1)[0]
        if word == b"##FASTA":
            self._start_fasta(lineno, "##FASTA")
        elif word == b"##sequence-region":
            self._region(line, lineno)
        elif word == b"##gff-version":
            self.error(lineno, "##gff-version may only be the first line")
        # other directives and comments carry nothing to check

    def _region(self, line: bytes, lineno: int) -> None:
        """`##sequence-region seqid start end`: blanks between the words; the end is the rest of
        the line, so a trailing blank makes it no number (GenomeTools agrees)."""
        rest = line[len(b"##sequence-region") :].lstrip(_BLANKS)
        words = rest.split(None, 2)
        if len(words) < 3:
            self.error(lineno, "##sequence-region needs a seqid, a start and an end")
            return
        seqid, s = words[0], words[1]
        e = rest[rest.index(s, len(seqid)) + len(s) :].lstrip(_BLANKS)
        if not self.check_seqid(seqid, lineno):
            return
        for name, value in (("start", s), ("end", e)):
            if not value.isdigit():
                self.error(lineno, f"##sequence-region {name} '{show(value)}' is not an integer")
                return
        start, end = int(s), int(e)
        if start < 1:
            self.error(lineno, f"##sequence-region start {start} is below 1")
            return
        if start > end:
            self.error(lineno, f"##sequence-region start {start} is after its end {end}")
            return
        seq = self.seqs.get(seqid)
        if seq is not None and seq[2]:
            self.error(lineno, f"##sequence-region for '{show(seqid)}' was already given on line {seq[2]}")
        elif seq is not None and seq[3]:
            self.error(lineno, f"##sequence-region for '{show(seqid)}' comes after a feature on it (line {seq[3]})")
        else:
            self.seqs[seqid] = [start, end, lineno, 0]

    def outside(self, seqid: bytes, start: int, end: int, seq: list[int], lineno: int) -> None:
        """Report a feature outside its ##sequence-region."""
        self.error(
            lineno,
            f"feature {start}..{end} is outside ##sequence-region {show(seqid)} {seq[0]}..{seq[1]} (line {seq[2]})",
        )

    # ---------------------------------------------------------------- relations (both paths)

    def key_of(self, key: tuple[bytes, bytes, bytes, bytes]) -> int:
        """The index of a (seqid, source, type, strand) in `keys`, added when new."""
        index = self.key_index.get(key)
        if index is None:
            index = self.key_index[key] = len(self.keys)
            self.keys.append(key)
        return index

    def define(self, ident: bytes, key: tuple[bytes, bytes, bytes, bytes], sign: int, lineno: int) -> None:
        """A line with ID=`ident`: a new ID, or the next line of a multi-line feature."""
        record = self.ids.get(ident)
        if record is None:
            self.ids[ident] = lineno | self.key_of(key) << KEY_SHIFT | sign << PARENT_SHIFT
            if self.pending:
                self.resolve(ident, key[0])
        else:
            self.repeat(ident, record, key, sign, lineno)

    def repeat(self, ident: bytes, record: int, key: tuple[bytes, bytes, bytes, bytes], sign: int, lineno: int) -> None:
        """A second line with an ID of the open section: fine when it continues the same feature
        (same seqid, source, type, strand and Parent set). A CDS on the other strand is only a
        warning: trans-splicing makes one (GenomeTools warns too)."""
        first_line = record & LINE_MASK
        first = self.keys[record >> KEY_SHIFT & KEY_MASK]
        if first != key:
            for name, was, now in zip(_KEY_NAMES, first, key, strict=True):
                if was == now:
                    continue
                text = f"ID '{show(ident)}' is used on line {first_line} with {name} '{show(was)}', here '{show(now)}'"
                if name == "strand" and key[2] in CDS_TYPES:
                    self.report.warn(lineno, text + " (a trans-spliced CDS?)")
                    continue
                self.error(lineno, text + " (the lines of one feature share seqid, source, type and strand)")
                return
        if sign != record >> PARENT_SHIFT:
            self.error(
                lineno,
                f"ID '{show(ident)}' is used on line {first_line} with another Parent list"
                " (the lines of one feature name the same parents)",
            )

    def resolve(self, ident: bytes, seqid: bytes) -> None:
        """A new ID: the Parent references waiting for it are resolved."""
        waiting = self.pending.pop(ident, None)
        if waiting is not None and waiting[1] != seqid:
            self.error(waiting[0], f"Parent '{show(ident)}' is on seqid '{show(seqid)}', not '{show(waiting[1])}'")

    def refer(self, parent: bytes, seqid: bytes, lineno: int) -> None:
        """A Parent reference: to an open ID on the same seqid, or one still to come."""
        record = self.ids.get(parent)
        if record is None:
            if parent not in self.pending:
                self.pending[parent] = (lineno, seqid)
            return
        first = self.keys[record >> KEY_SHIFT & KEY_MASK]
        if first[0] != seqid:
            self.error(
                lineno,
                f"Parent '{show(parent)}' is on seqid '{show(first[0])}' (line {record & LINE_MASK}),"
                f" not '{show(seqid)}'",
            )

    def close_section(self, lineno: int, closer: str) -> None:
        """`###`, ##FASTA, a FASTA header or the end (closer ""): resolve every Parent, close the IDs."""
        where = f"the {closer} on line {lineno}" if closer else "the end of input"
        for parent, (line, _) in self.pending.items():
            if parent in self.closed:
                self.error(line, f"Parent '{show(parent)}' names a feature already closed by an earlier ###")
            else:
                self.error(line, f"Parent '{show(parent)}' is not defined (no ID={show(parent)} before {where})")
        self.pending.clear()
        closed = self.closed
        if not closed.isdisjoint(self.ids):
            for ident, record in self.ids.items():
                if ident in closed:
                    self.error(record & LINE_MASK, f"ID '{show(ident)}' was already used before an earlier ###")
        closed.update(self.ids)
        self.ids.clear()
        self.chains.clear()

    def cds_segment(self, name: bytes, seqid: bytes, strand: bytes, seg: tuple[int, int, int, int]) -> None:
        """One CDS line of the chain `name`: its phase against its neighbour's."""
        chain = self.chains.get(name)
        if chain is None:
            self.chains[name] = Chain(seqid, strand, seg)
            return
        if not chain.checking:
            return
        if strand != chain.strand or seqid != chain.seqid:
            chain.checking = False
            return
        start, end = seg[0], seg[1]
        lo, hi = chain.lo, chain.hi
        if start > hi[1]:  # beyond the highest segment
            if strand == b"+":
                chain.hi = self._downstream(name, hi, seg)
            else:
                self._upstream(name, seg, hi)
                chain.hi = seg
        elif end < lo[0]:  # before the lowest segment
            if strand == b"-":
                chain.lo = self._downstream(name, lo, seg)
            else:
                self._upstream(name, seg, lo)
                chain.lo = seg
        else:
            chain.checking = False

    @staticmethod
    def _chain_name(name: bytes) -> str:
        return f"ID '{show(name[1:])}'" if name[:1] == b"\n" else f"Parent '{show(name)}'"

    def _downstream(
        self, name: bytes, prev: tuple[int, int, int, int], seg: tuple[int, int, int, int]
    ) -> tuple[int, int, int, int]:
        """`seg` comes after `prev` in the direction of transcription: its phase must follow."""
        want = (prev[2] - (prev[1] - prev[0] + 1)) % 3
        if seg[2] != want:
            self.error(
                seg[3],
                f"CDS phase {seg[2]} does not follow from the CDS on line {prev[3]} of {self._chain_name(name)}"
                f" (expected {want})",
            )
            return (seg[0], seg[1], want, seg[3])  # go on from the right phase: report each problem once
        return seg

    def _upstream(self, name: bytes, seg: tuple[int, int, int, int], later: tuple[int, int, int, int]) -> None:
        """`seg` arrived after `later` but comes before it in the direction of transcription."""
        want = (seg[2] - (seg[1] - seg[0] + 1)) % 3
        if later[2] != want:
            self.error(
                seg[3],
                f"CDS phase {later[2]} on line {later[3]} of {self._chain_name(name)} does not follow from"
                f" this CDS (expected {want})",
            )

    # ---------------------------------------------------------------- FASTA

    def _start_fasta(self, lineno: int, closer: str) -> None:
        self.close_section(lineno, closer)
        self.in_fasta = True
        self._fasta_header_due = True

    def _fasta_line(self, line: bytes, lineno: int) -> None:
        if line[:1] == b">":
            self._fasta_header_due = False
            if not line[1:].strip():
                self.error(lineno, "FASTA header has no sequence name")
            return
        if not line.strip():
            return
        if self._fasta_header_due:
            self._fasta_header_due = False
            self.error(lineno, f"expected a FASTA header line ('>name') after ##FASTA, found '{show(line)}'")
            return
        self.sequence_piece(line, lineno)

    def sequence_piece(self, piece: bytes, lineno: int) -> None:
        """Part of a sequence line (a very long line is checked piece by piece)."""
        bad = piece.translate(None, SEQUENCE_CHARS)
        if bad:
            self.error(
                lineno, f"FASTA sequence line has the character '{show(bad[:1])}'; features must come before ##FASTA"
            )

    def finish(self, lines: int) -> None:
        """End of input after `lines` lines."""
        if not self.in_fasta:
            self.close_section(lines, "")
