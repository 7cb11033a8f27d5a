"""GFF2, line by line: 8 or 9 columns, `tag value…` attributes, `##DNA` … `##end-DNA` blocks.

The rules are in docs/gff.md (GFF2). GFF2 has no IDs or parents, so nothing is kept between
lines except an open sequence block.
"""

from __future__ import annotations

import re

from .model import COLUMN_NAMES, PHASES, SEQUENCE_CHARS, STRANDS2, Report, is_number, show

__all__ = ["Gff2"]

_TAG = re.compile(rb"[A-Za-z][A-Za-z0-9_]*")
_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BARE = re.compile(rb'[^\s;"#]+')
_BLOCKS = {b"##DNA": b"##end-DNA", b"##RNA": b"##end-RNA", b"##Protein": b"##end-Protein"}


class Gff2:
    """The GFF2 body after the version line."""

    def __init__(self, report: Report) -> None:
        self.error = report.error
        self._block_start = 0  # the line of the open ##DNA (##RNA, ##Protein) block; 0: none
        self._block_end = b""

    def lines(self, lines: list[bytes], base: int) -> None:
        """Check `lines`, the first being line number `base`."""
        for lineno, line in enumerate(lines, base):
            if self._block_start:
                self._block_line(line, lineno)
            else:
                self.line(line, lineno)

    def line(self, line: bytes, lineno: int) -> None:
        """Check one line outside a sequence block."""
        error = self.error
        if line[:1] == b"#":
            if line.startswith(b"##"):
                word = line.split(None, 1)[0]
                if word in _BLOCKS:
                    if len(line.split()) < 2:
                        error(lineno, f"{word.decode()} needs a sequence name")
                    self._block_start = lineno
                    self._block_end = _BLOCKS[word]
                elif word in _BLOCKS.values():
                    error(lineno, f"{word.decode()} without an open {word.decode().replace('end-', '')} block")
                elif word == b"##gff-version":
                    error(lineno, "##gff-version may only be the first line")
            return
        if not line.strip():
            return
        cols = line.split(b"\t")
        if len(cols) not in (8, 9):
            error(lineno, f"expected 8 or 9 tab-separated columns, found {len(cols)}")
            return
        for i, value in enumerate(cols[:8]):
            if not value:
                error(lineno, f"column {i + 1} ({COLUMN_NAMES[i]}) is empty; write . for no value")
        s, e, score, strand, frame = cols[3:8]
        nums = []
        for name, value in (("start", s), ("end", e)):
            digits = value[1:] if value[:1] == b"-" else value
            if value and not digits.isdigit():
                error(lineno, f"{name} '{show(value)}' is not an integer")
            elif value:
                nums.append(int(value))
        if len(nums) == 2 and nums[0] > nums[1]:
            error(lineno, f"start {nums[0]} is after end {nums[1]}")
        if score and score != b"." and not is_number(score):
            error(lineno, f"score '{show(score)}' is not a number or .")
        if strand and strand not in STRANDS2:
            error(lineno, f"strand '{show(strand)}' is not one of + - .")
        if frame and frame not in PHASES:
            error(lineno, f"frame '{show(frame)}' is not one of . 0 1 2")
        if len(cols) == 9:
            self._attrs(cols[8], lineno)

    def _attrs(self, text: bytes, lineno: int) -> None:
        """`tag value…` items separated by `;`; free text quoted; `#` outside quotes starts a comment."""
        pos, n = 0, len(text)
        error = self.error
        while True:
            while pos < n and text[pos] in b" ;":
                pos += 1
            if pos >= n or text[pos] == 35:  # '#': the rest is a comment
                return
            m = _TAG.match(text, pos)
            if m is None or (m.end() < n and text[m.end()] not in b" ;#"):
                word = text[pos:].split(None, 1)[0].split(b";")[0]
                error(lineno, f"attribute tag '{show(word)}' is not an identifier ([A-Za-z][A-Za-z0-9_]*)")
                return
            tag, pos, values = m.group(), m.end(), 0
            while True:
                while pos < n and text[pos] == 32:
                    pos += 1
                if pos >= n or text[pos] in b";#":
                    break
                if text[pos] == 34:  # '"'
                    q = _QUOTED.match(text, pos)
                    if q is None:
                        error(lineno, f"attribute {tag.decode()} has an unterminated quoted value")
                        return
                    pos = q.end()
                else:
                    b = _BARE.match(text, pos)
                    if b is None:  # only a tab or other whitespace can get here
                        error(
                            lineno,
                            f"attribute {tag.decode()} has an unexpected character '{show(text[pos : pos + 1])}'",
                        )
                        return
                    pos = b.end()
                values += 1
                if pos < n and text[pos] not in b" ;#":
                    error(lineno, f"attribute {tag.decode()} has values not separated by spaces")
                    return
            if not values:
                error(lineno, f"attribute {tag.decode()} has no value")

    def _block_line(self, line: bytes, lineno: int) -> None:
        if line == self._block_end or line.startswith(self._block_end + b" "):
            self._block_start = 0
            return
        opener = self._block_end.replace(b"end-", b"").decode()
        if not line.startswith(b"##"):
            self.error(lineno, f"line inside the {opener} block from line {self._block_start} does not start with ##")
            return
        bad = line[2:].strip().translate(None, SEQUENCE_CHARS)
        if bad:
            self.error(lineno, f"{opener} block line has the character '{show(bad[:1])}'")

    def finish(self, lines: int) -> None:
        """End of input after `lines` lines."""
        if self._block_start:
            opener = self._block_end.replace(b"end-", b"").decode()
            self.error(self._block_start, f"{opener} block is not closed by {self._block_end.decode()}")
