"""The GFF3 fast path: whole-chunk checks in C loops, then a lean loop per line.

`plain_chunk` proves, for a chunk of complete lines, what the lean loop then need not check line
by line: `bytes.translate` maps the chunk to a shape of separators whose `istitle()` proves no
empty column, tag or value, and whose per-line skeletons prove 9 columns of well-formed
`tag=value` pairs. `check_lines` then checks the rest of each line and keeps the ID/Parent
bookkeeping of `Gff3`, through its public state and methods. Any line it does not recognise as
plainly valid goes to `Gff3.line`, the reference, so both paths report the same errors (the tests
check this on mutated input).
"""

from __future__ import annotations

from .gff3 import KEY_MASK, KEY_SHIFT, PARENT_SHIFT, Chain, Gff3, parent_sign
from .model import CDS_TYPES, PHASE_VALUE, PHASES, STRANDS3, bad_escape, is_number

__all__ = ["check_lines", "plain_chunk"]

# tab, newline, ';' and '=' as the capitals T, N, S and E; every other byte as '.' (not a letter)
_SHAPE = bytes(b"TNSE"[b"\t\n;=".index(c)] if c in b"\t\n;=" else 46 for c in range(256))
_MAX_PAIRS = 64
# skeletons (the separators of a line, in order) the fast path accepts: a tab-less line without
# `;`/`=` (b""), and a feature line whose column 9 has no `=` or 1..64 well-formed `tag=value` pairs
_SKELETONS = frozenset([b"", b"T" * 8] + [b"T" * 8 + b"E" + b"SE" * k for k in range(_MAX_PAIRS)])
_HASH_MASK = (1 << 64) - 1
_PRESENT = 1 << 64


def plain_chunk(text: bytes) -> bool:
    """Whole-chunk checks that let `check_lines` skip them line by line; False: use `Gff3.lines`."""
    # separators become capitals, everything else '.': `istitle()` is then true exactly when
    # no two separators touch (no empty column, tag or value) ...
    shape = text.translate(_SHAPE)
    if not shape.istitle() or text[:1] in b"\t;=":
        return False
    # ... and the separators of each line must form a known skeleton: 9 columns, tag=value pairs
    skeleton = shape.translate(None, b".").split(b"N")
    skeleton.pop()
    if not _SKELETONS.issuperset(skeleton):
        return False
    # a blank before a tag is dropped (`; Parent=x`): the reference path handles that
    if b"; " in text or b"\t " in text:
        return False
    # every '%' starts an escape %XX (a bare memchr finds none in most chunks)
    return bad_escape(text) is None


def check_lines(g: Gff3, lines: list[bytes], base: int) -> None:
    """The hot loop over the lines of a chunk that passed `plain_chunk`, the first being line `base`."""
    careful = g.line
    ids = g.ids
    ids_get = ids.get
    ids_setdefault = ids.setdefault
    pending = g.pending
    closed = g.closed
    chains = g.chains
    chains_get = chains.get
    keys = g.keys
    key_get = g.key_index.get
    seqs = g.seqs
    strands3, phases3, cds_types = STRANDS3, PHASES, CDS_TYPES
    cur_seqid = b""
    lo_is_1 = True
    lo = hi_len = 0
    hi_text = b""
    last_at = b""
    ident: bytes | None = None
    pv: bytes | None = None
    parents: list[bytes] | None = None
    sign = 0
    for lineno, line in enumerate(lines, base):
        try:  # every line with a tab has exactly 8 (the skeletons say so): no need to scan column 9
            seqid, source, ftype, s, e, score, strand, phase, at = line.split(b"\t", 8)
        except ValueError:
            if line == b"###":
                if pending or not closed.isdisjoint(ids):
                    g.close_section(lineno, "###")
                else:  # the usual case, inline
                    closed.update(ids)
                    ids.clear()
                    chains.clear()
                continue
            seqid = b"\n"  # a directive, comment or FASTA line: no seqid has a newline
        if seqid != cur_seqid:
            seq = seqs.get(seqid)
            if seq is None or not seq[3]:  # the reference path records new seqids and directives
                careful(line, lineno)
                if g.in_fasta:  # ##FASTA or '>': the rest is not GFF3
                    g.lines(lines[lineno - base + 1 :], lineno + 1)
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
            and (score == b"." or is_number(score))
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
        # column 9: ID and Parent, where writers usually put them (ID first, Parent first or
        # second); anywhere else `_tags` finds them
        if at != last_at:
            last_at = b""  # until this line's values are known good
            p0, _, rest = at.partition(b";")
            if p0[:3] == b"ID=":
                ident = p0[3:]
                if rest[:7] == b"Parent=":
                    pv, _, rest = rest.partition(b";")
                    pv = pv[7:]
                else:
                    pv = None
            elif p0[:7] == b"Parent=":
                ident = None
                pv = p0[7:]
            else:
                ident = pv = None
                rest = at
            # another ID=, Parent= or Is_circular= in the rest? Usually there is no capital I or
            # P at all, which a bare memchr tells (an int operand to `in`)
            if (73 in rest and (b"ID=" in rest or b"Is_circular=" in rest)) or (80 in rest and b"Parent=" in rest):
                tags = _tags(at)
                if tags is None:  # ID or Parent twice, or Is_circular: the reference path decides
                    careful(line, lineno)
                    continue
                ident, pv = tags
            parents = None
            if pv is None:
                if ident is None and at != b"." and 61 not in at:  # text without '='
                    careful(line, lineno)
                    continue
                sign = 0
            else:
                if pv == ident:  # its own ID: the reference path says so
                    careful(line, lineno)
                    continue
                if 44 in pv:  # a list
                    parents = pv.split(b",")
                    if b"" in parents or (ident is not None and ident in parents):
                        careful(line, lineno)
                        continue
                    sign = parent_sign(parents)
                else:
                    sign = hash(pv) & _HASH_MASK | _PRESENT
            last_at = at
        # the same bookkeeping as `Gff3.line`
        if ident is not None:
            key = (seqid, source, ftype, strand)
            index = key_get(key)
            if index is None:
                index = g.key_of(key)
            new = lineno | index << KEY_SHIFT | sign << PARENT_SHIFT
            record = ids_setdefault(ident, new)  # one lookup: the big dict's cache misses cost most
            if record is new:
                if pending:
                    g.resolve(ident, seqid)
            elif record >> KEY_SHIFT != new >> KEY_SHIFT:
                g.repeat(ident, record, key, sign, lineno)
        if parents is not None:
            for parent in parents:
                g.refer(parent, seqid, lineno)
            if ftype in cds_types:
                seg = (int(s), int(e), PHASE_VALUE[phase], lineno)
                for parent in dict.fromkeys(parents):
                    g.cds_segment(parent, seqid, strand, seg)
            continue
        if pv is not None:
            target = ids_get(pv)
            if target is None:
                if pv not in pending:
                    pending[pv] = (lineno, seqid)
            elif keys[target >> KEY_SHIFT & KEY_MASK][0] != seqid:
                g.refer(pv, seqid, lineno)
        if ftype in cds_types:
            name = pv if pv is not None else (b"\n" + ident if ident is not None else None)
            if name is not None:
                start, end, ph = int(s), int(e), PHASE_VALUE[phase]
                chain = chains_get(name)
                if chain is None:
                    chains[name] = Chain(seqid, strand, (start, end, ph, lineno))
                elif chain.checking and strand == chain.strand and seqid == chain.seqid and strand == b"+":
                    top = chain.hi
                    # the usual next segment: above the others, its phase as expected
                    if start > top[1] and ph == (top[2] - top[1] + top[0] - 1) % 3:
                        chain.hi = (start, end, ph, lineno)
                    else:
                        g.cds_segment(name, seqid, strand, (start, end, ph, lineno))
                else:
                    g.cds_segment(name, seqid, strand, (start, end, ph, lineno))


def _tags(attrs: bytes) -> tuple[bytes | None, bytes | None] | None:
    """ID and Parent of a column 9 whose pieces each hold one '=' and start with their tag;
    None if either repeats or the line says Is_circular (which the reference path records)."""
    if b"Is_circular=" in attrs:
        return None
    text = b";" + attrs
    found: list[bytes | None] = []
    for tag in (b";ID=", b";Parent="):
        k = text.find(tag)
        if k < 0:
            found.append(None)
            continue
        k += len(tag)
        j = text.find(b";", k)
        if j >= 0 and text.find(tag, j) >= 0:
            return None
        found.append(text[k:] if j < 0 else text[k:j])
    return found[0], found[1]
