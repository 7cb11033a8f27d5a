"""The streaming GFF checker (runtime/gff/) and `ferryman gff-check`."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ferryman.runtime import gff
from ferryman.runtime.gff import GffChecker, GffError, check_bytes, check_file
from ferryman.runtime.gff.gff3 import Gff3

from .conftest import ROOT, ferryman
from .gff_fixtures import gff_path  # noqa: F401 (autouse: every test on both paths)

CORPUS = ROOT / "tests" / "data" / "gff"
H = "##gff-version 3\n"


def feat(
    seqid: str = "c1",
    source: str = ".",
    type: str = "gene",
    start: str = "1",
    end: str = "100",
    score: str = ".",
    strand: str = "+",
    phase: str = ".",
    attrs: str = "ID=g1",
) -> str:
    """One GFF3 feature line (with its newline)."""
    return "\t".join((seqid, source, type, start, end, score, strand, phase, attrs)) + "\n"


def errors(text: str | bytes, **kw: int) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    return [(e.line, e.message) for e in check_bytes(data, **kw).errors]


# ------------------------------------------------------------------ the version line

VERSION_EXPECTED = "expected '##gff-version 2' or '##gff-version 3[.x[.y]]' as the first line"


@pytest.mark.parametrize("first", ["##gff-version 3", "##gff-version 3.1", "##gff-version 3.1.26", "##gff-version\t3"])
def test_version_line_accepted(first: str) -> None:
    assert errors(first + "\n" + feat()) == []


@pytest.mark.parametrize("first", ["##gff-version 4", "##gff-version 3x", "##gff-version 3.1.2.3", "# comment", ""])
def test_version_line_rejected_and_nothing_else_checked(first: str) -> None:
    text = first + "\n" + feat(start="x") + feat(strand="!")
    assert errors(text) == [(1, f"{VERSION_EXPECTED}, found '{first}'")]


def test_empty_input() -> None:
    assert errors(b"") == [(1, f"{VERSION_EXPECTED}, found end of input")]
    result = check_bytes(b"")
    assert (result.valid, result.lines, result.version) == (False, 0, None)


def test_version_only_once() -> None:
    assert errors(H + feat() + H) == [(3, "##gff-version may only be the first line")]


# ------------------------------------------------------------------ columns

COLUMN_CASES = [
    (feat(attrs="ID=g1\textra"), "expected 9 tab-separated columns, found 10"),
    ("c1\t.\tgene\t1\t100\t.\t+\t.\n", "expected 9 tab-separated columns, found 8"),
    (feat(source=""), "column 2 (source) is empty; write . for no value"),
    (feat(attrs=""), "column 9 (attributes) is empty; write . for no value"),
    (feat(seqid="c 1"), "seqid 'c 1' contains ' ', which must be percent-encoded"),
    (feat(seqid="c%zz"), "seqid 'c%zz' has a malformed percent-escape '%zz'"),
    (feat(start="1x"), "start '1x' is not a positive integer"),
    (feat(start="+1"), "start '+1' is not a positive integer"),
    (feat(end="1.5"), "end '1.5' is not a positive integer"),
    (feat(start="0"), "start 0 is below 1 (coordinates are 1-based)"),
    (feat(start="200", end="100"), "start 200 is after end 100"),
    (feat(score="high"), "score 'high' is not a number or ."),
    (feat(score=" 3"), "score ' 3' is not a number or ."),
    (feat(strand="x"), "strand 'x' is not one of + - . ?"),
    (feat(phase="3"), "phase '3' is not one of . 0 1 2"),
    (feat(type="CDS", attrs="ID=c1"), "CDS needs a phase of 0, 1 or 2, not ."),
    (feat(type="SO:0000316", attrs="ID=c1"), "SO:0000316 needs a phase of 0, 1 or 2, not ."),
]


@pytest.mark.parametrize(("line", "message"), COLUMN_CASES)
def test_column_rules(line: str, message: str) -> None:
    assert errors(H + line) == [(2, message)]


@pytest.mark.parametrize("score", ["0", "-3.5", "1e-05", ".25", "+7", "2.", "inf", "NaN"])
def test_scores_accepted(score: str) -> None:
    assert errors(H + feat(score=score)) == []


def test_every_column_problem_of_a_line_is_reported() -> None:
    assert errors(H + feat(start="a", end="b", strand="x", phase="7")) == [
        (2, "end 'b' is not a positive integer"),
        (2, "phase '7' is not one of . 0 1 2"),
        (2, "start 'a' is not a positive integer"),
        (2, "strand 'x' is not one of + - . ?"),
    ]


# ------------------------------------------------------------------ column 9

ATTRIBUTE_CASES = [
    ("ID=g1;coding", "attribute 'coding' has no '='"),
    ("ID=g1;Note=a=b", "attribute 'Note=a=b' has more than one '='"),
    ("ID=g1;=x", "attribute '=x' has an empty tag"),
    ("ID=g1;Name=", "attribute 'Name=' has an empty value"),
    ("ID=g1;ID=g2", "attribute ID appears more than once"),
    ("ID=g1;Note=100%", "column 9 has a malformed percent-escape '%'"),
    ("ID=g1;Note=100%2", "column 9 has a malformed percent-escape '%2'"),
    ("ID=g1;Parent=g1", "feature names its own ID 'g1' as Parent"),
]


@pytest.mark.parametrize(("attrs", "message"), ATTRIBUTE_CASES)
def test_attribute_rules(attrs: str, message: str) -> None:
    assert errors(H + feat(attrs=attrs)) == [(2, message)]


def test_attributes_tolerated() -> None:
    text = H + feat(attrs="ID=g1;") + feat(attrs="ID=g2;;Name=x") + feat(attrs=".") + feat(attrs="ID=g%3B3;Note=50%25")
    assert errors(text) == []


def test_parent_list_with_empty_item() -> None:
    text = H + feat() + feat(type="mRNA", attrs="ID=t1;Parent=g1,")
    assert errors(text) == [(3, "attribute 'Parent=g1,' has an empty item in its list")]


# ------------------------------------------------------------------ IDs and Parents


def test_multi_line_feature_shares_its_id() -> None:
    text = H + feat(type="match", attrs="ID=m1") + feat(type="match", start="200", end="300", attrs="ID=m1")
    assert errors(text) == []


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (feat(type="mRNA"), "ID 'g1' is used on line 2 with type 'gene', here 'mRNA'"),
        (feat(seqid="c2"), "ID 'g1' is used on line 2 with seqid 'c1', here 'c2'"),
        (feat(source="x"), "ID 'g1' is used on line 2 with source '.', here 'x'"),
        (feat(strand="-"), "ID 'g1' is used on line 2 with strand '+', here '-'"),
    ],
)
def test_repeated_id_must_continue_the_feature(second: str, message: str) -> None:
    suffix = " (the lines of one feature share seqid, source, type and strand)"
    assert errors(H + feat() + second) == [(3, message + suffix)]


def test_id_reused_after_section_end() -> None:
    assert errors(H + feat() + "###\n" + feat()) == [(4, "ID 'g1' was already used before an earlier ###")]


def test_parent_resolved_forward_within_section() -> None:
    text = H + feat(type="exon", attrs="Parent=t1") + feat(type="mRNA", attrs="ID=t1;Parent=g1") + feat() + "###\n"
    assert errors(text) == []


def test_parent_list_all_resolved() -> None:
    text = (
        H
        + feat()
        + feat(attrs="ID=g2")
        + feat(type="exon", attrs="Parent=g1,g2")
        + feat(type="exon", attrs="Parent=g1,g3")
    )
    assert errors(text) == [(5, "Parent 'g3' is not defined (no ID=g3 before the end of input)")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            H + feat(type="exon", attrs="Parent=nope"),
            [(2, "Parent 'nope' is not defined (no ID=nope before the end of input)")],
        ),
        (
            H + feat(type="exon", attrs="Parent=g1") + "###\n" + feat(),
            [(2, "Parent 'g1' is not defined (no ID=g1 before the ### on line 3)")],
        ),
        (
            H + feat() + "###\n" + feat(type="exon", attrs="Parent=g1"),
            [(4, "Parent 'g1' names a feature already closed by an earlier ###")],
        ),
        (
            H + feat(type="exon", attrs="Parent=x") + "##FASTA\n>c1\nACGT\n",
            [(2, "Parent 'x' is not defined (no ID=x before the ##FASTA on line 3)")],
        ),
        (
            H + feat(type="exon", attrs="Parent=x") + ">c1\nACGT\n",
            [(2, "Parent 'x' is not defined (no ID=x before the FASTA header on line 3)")],
        ),
        (
            H + feat() + feat(seqid="c2", type="exon", attrs="Parent=g1"),
            [(3, "Parent 'g1' is on seqid 'c1' (line 2), not 'c2'")],
        ),
        (
            H + feat(seqid="c2", type="exon", attrs="Parent=g1") + feat(),
            [(2, "Parent 'g1' is on seqid 'c1', not 'c2'")],
        ),
    ],
)
def test_parent_rules(text: str, expected: list[tuple[int, str]]) -> None:
    assert errors(text) == expected


# ------------------------------------------------------------------ CDS phases


def cds(start: int, end: int, phase: int, strand: str = "+", ident: str = "c1") -> str:
    return feat(type="CDS", start=str(start), end=str(end), strand=strand, phase=str(phase), attrs=f"ID={ident}")


def test_cds_phases_follow_on_the_plus_strand() -> None:
    # 100 bp at phase 0 leave 1 base over: the next segment starts 2 bases before a codon
    assert errors(H + cds(1, 100, 0) + cds(201, 250, 2) + cds(301, 400, 0) + cds(501, 600, 2)) == []


def test_cds_phases_follow_on_the_minus_strand_in_either_order() -> None:
    ascending = cds(1, 40, 0, "-") + cds(101, 150, 2, "-") + cds(201, 300, 0, "-")
    descending = cds(201, 300, 0, "-") + cds(101, 150, 2, "-") + cds(1, 40, 0, "-")
    assert errors(H + ascending) == []
    assert errors(H + descending) == []


def test_cds_phase_mismatch_downstream() -> None:
    assert errors(H + cds(1, 50, 0) + cds(60, 100, 0)) == [
        (3, "CDS phase 0 does not follow from the CDS on line 2 of ID 'c1' (expected 1)")
    ]


def test_cds_phase_mismatch_reported_once_along_the_chain() -> None:
    # line 3 is wrong; line 4 follows from what line 3 should have been
    assert errors(H + cds(1, 50, 0) + cds(60, 100, 0) + cds(201, 250, 2)) == [
        (3, "CDS phase 0 does not follow from the CDS on line 2 of ID 'c1' (expected 1)")
    ]


def test_cds_phase_mismatch_upstream() -> None:
    # minus strand listed ascending: the new segment is 5' of the one before it
    assert errors(H + cds(1, 50, 2, "-") + cds(60, 100, 0, "-")) == [
        (3, "CDS phase 2 on line 2 of ID 'c1' does not follow from this CDS (expected 1)")
    ]


def test_overlapping_cds_segments_are_not_phase_checked() -> None:
    # a programmed frameshift: the second segment starts inside the first, at phase 0
    assert errors(H + cds(1, 100, 0) + cds(99, 200, 0)) == []


def test_cds_segments_of_other_ids_do_not_mix() -> None:
    text = (
        H
        + cds(1, 50, 0, ident="a")
        + cds(1, 60, 0, ident="b")
        + cds(60, 100, 1, ident="a")
        + cds(70, 100, 0, ident="b")
    )
    assert errors(text) == []


# ------------------------------------------------------------------ ##sequence-region


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            H + "##sequence-region c1 1 50\n" + feat(),
            [(3, "feature 1..100 is outside ##sequence-region c1 1..50 (line 2)")],
        ),
        (
            H + "##sequence-region c1 5 500\n" + feat(),
            [(3, "feature 1..100 is outside ##sequence-region c1 5..500 (line 2)")],
        ),
        (
            H + feat() + "##sequence-region c1 1 500\n",
            [(3, "##sequence-region for 'c1' comes after a feature on it (line 2)")],
        ),
        (
            H + "##sequence-region c1 1 5\n##sequence-region c1 1 5\n",
            [(3, "##sequence-region for 'c1' was already given on line 2")],
        ),
        (H + "##sequence-region c1 1\n", [(2, "##sequence-region needs a seqid, a start and an end")]),
        (H + "##sequence-region c1 a 9\n", [(2, "##sequence-region start 'a' is not an integer")]),
        (H + "##sequence-region c1 0 9\n", [(2, "##sequence-region start 0 is below 1")]),
        (H + "##sequence-region c1 9 5\n", [(2, "##sequence-region start 9 is after its end 5")]),
    ],
)
def test_sequence_region_rules(text: str, expected: list[tuple[int, str]]) -> None:
    assert errors(text) == expected


def test_circular_landmark_lifts_the_bound() -> None:
    text = (
        H
        + "##sequence-region J02448 1 6407\n"
        + feat(seqid="J02448", type="region", end="6407", attrs="ID=J02448;Is_circular=true")
        + feat(seqid="J02448", type="gene", start="6006", end="7238", attrs="ID=g1")
    )
    assert errors(text) == []


# ------------------------------------------------------------------ FASTA


def test_fasta_section() -> None:
    assert errors(H + feat() + "##FASTA\n>c1 desc\nACGT\n\n>p1\nMKV*\n") == []
    assert errors(H + feat() + "##FASTA\nACGT\n") == [
        (4, "expected a FASTA header line ('>name') after ##FASTA, found 'ACGT'")
    ]
    assert errors(H + "##FASTA\n>c1\nACGT\n" + feat()) == [
        (5, "FASTA sequence line has the character '1'; features must come before ##FASTA")
    ]
    assert errors(H + "##FASTA\n>\nACGT\n") == [(3, "FASTA header has no sequence name")]


# ------------------------------------------------------------------ GFF2

GFF2 = (
    "##gff-version 2\n"
    "##source-version EnsEMBL2GFF 1.0\n"
    "SEQ1\tEMBL\tatg\t103\t105\t.\t+\t0\n"
    'seq1\tBLASTX\tsimilarity\t101\t235\t87.1\t+\t0\tTarget "HBA_HUMAN" 11 55 ; E_value 0.0003\n'
    'dJ102G20\tGD_mRNA\tcoding_exon\t7105\t7201\t.\t-\t2\tSequence "dJ102G20.C1.1" # a comment\n'
    "##DNA SEQ1\n##acggctcggattggcgctggatgatagatcagacgac\n##end-DNA\n"
    "SEQ1\tEMBL\texon\t-5\t172\t.\t+\t.\n"
)


def test_gff2_valid() -> None:
    result = check_bytes(GFF2.encode())
    assert (result.errors, result.version, result.lines) == ((), "2", 9)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("S\tx\texon\t1\t9\t.\t+\t.\tID=g1\n", "attribute tag 'ID=g1' is not an identifier ([A-Za-z][A-Za-z0-9_]*)"),
        ('S\tx\texon\t1\t9\t.\t+\t.\tNote "open\n', "attribute Note has an unterminated quoted value"),
        ("S\tx\texon\t1\t9\t.\t+\t.\tConfirmed\n", "attribute Confirmed has no value"),
        ('S\tx\texon\t1\t9\t.\t+\t.\tNote "a"b\n', "attribute Note has values not separated by spaces"),
        ("S\tx\texon\t1\t9\t.\t?\t.\n", "strand '?' is not one of + - ."),
        ("S\tx\texon\t1\t9\t.\t+\t4\n", "frame '4' is not one of . 0 1 2"),
        ("S\tx\texon\t9\t1\t.\t+\t.\n", "start 9 is after end 1"),
        ("S\tx\texon\t1\n", "expected 8 or 9 tab-separated columns, found 4"),
    ],
)
def test_gff2_rules(line: str, message: str) -> None:
    assert errors("##gff-version 2\n" + line) == [(2, message)]


def test_gff2_in_any_chunk_size() -> None:
    data = GFF2.encode() + b"S\tx\texon\t9\t1\t.\t+\t.\n"
    whole = check_bytes(data)
    assert whole.error_count == 1
    assert feed_in_pieces(data, [1]) == feed_in_pieces(data, [5, 11]) == whole


def test_not_gff_counts_lines_and_reports_once() -> None:
    data = b"<html>\n<body>\n\x00\xff binary\n" * 1000
    for sizes in ([len(data)], [1], [7]):
        result = feed_in_pieces(data, sizes)
        assert result.errors == (GffError(1, f"{VERSION_EXPECTED}, found '<html>'"),)
        assert result.lines == 3000


def test_crlf_line_ends_are_accepted() -> None:
    text = (H + feat() + feat(type="exon", attrs="Parent=g1")).replace("\n", "\r\n")
    assert errors(text) == []
    assert feed_in_pieces(text.encode(), [1]) == check_bytes(text.encode())


def test_gff2_sequence_blocks() -> None:
    head = "##gff-version 2\n"
    assert errors(head + "##DNA s1\nACGT\n##end-DNA\n") == [
        (3, "line inside the ##DNA block from line 2 does not start with ##")
    ]
    assert errors(head + "##Protein p1\n##MKV\n") == [(2, "##Protein block is not closed by ##end-Protein")]
    assert errors(head + "##end-DNA\n") == [(2, "##end-DNA without an open ##DNA block")]
    assert errors(head + "##DNA\n##AC\n##end-DNA\n") == [(2, "##DNA needs a sequence name")]


# ------------------------------------------------------------------ streaming


def gene_block(rng: random.Random, n: int, seqid: str = "chr1") -> str:
    """One gene with a transcript, exons and a multi-line CDS with correct phases."""
    strand = rng.choice("+-")
    pos, exons = 1000 * n + 1, []
    for _ in range(rng.randint(1, 5)):
        length = rng.randint(20, 90)
        exons.append((pos, pos + length - 1))
        pos += length + rng.randint(5, 40)
    lines = [feat(seqid, "src", "gene", str(exons[0][0]), str(exons[-1][1]), ".", strand, ".", f"ID=g{n};Name=G{n}")]
    lines.append(
        feat(seqid, "src", "mRNA", str(exons[0][0]), str(exons[-1][1]), ".", strand, ".", f"ID=t{n};Parent=g{n}")
    )
    phase = 0
    for s, e in exons if strand == "+" else exons[::-1]:
        lines.append(feat(seqid, "src", "exon", str(s), str(e), ".", strand, ".", f"Parent=t{n};rank={len(lines)}"))
        lines.append(feat(seqid, "src", "CDS", str(s), str(e), ".", strand, str(phase), f"ID=p{n};Parent=t{n}"))
        phase = (phase - (e - s + 1)) % 3
    return "".join(lines) + "###\n"


def sample_text(genes: int = 60, seed: int = 7) -> str:
    rng = random.Random(seed)
    return H + "##sequence-region chr1 1 10000000\n" + "".join(gene_block(rng, n) for n in range(genes))


def test_generated_sample_is_valid() -> None:
    assert errors(sample_text()) == []


def feed_in_pieces(data: bytes, sizes: list[int], careful_only: bool = False) -> gff.GffResult:
    checker = GffChecker(max_errors=None, fast=not careful_only)
    pos, i = 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        checker.feed(data[pos : pos + n])
        pos, i = pos + n, i + 1
    checker.close()
    return checker.result()


MUTATIONS = [
    "",
    ".",
    "0",
    "-1",
    "x",
    "CDS",
    "ID=a",
    "Parent=a",
    "ID=",
    "=x",
    "a=b=c",
    ";",
    "%zz",
    "?",
    "3",
    "1e5",
    "Is_circular=true",
    "g1",
    "t1",
    "Parent=a,b",
    "Parent=g1,",
    "ID=x;ID=y",
    "xID=1",
    "Name=x;ID=y",
    "Parent=g1;Parent=t1",
    " Parent=t1",
    "ID=t1",
    "Name=IP",
    "###",
    "##FASTA",
    ">x",
    "#c",
    "##sequence-region chr1 1 500",
    "\t",
    "chr2",
]


def mutate(rng: random.Random, text: str) -> bytes:
    lines = text.split("\n")[:-1]
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(1, len(lines))
        cols = lines[i].split("\t")
        roll = rng.random()
        if roll < 0.55 and len(cols) == 9:
            j = rng.randrange(9)
            if j == 8 and rng.random() < 0.7:
                pieces = cols[8].split(";")
                pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(MUTATIONS))
                cols[8] = ";".join(pieces)
            else:
                cols[j] = rng.choice(MUTATIONS)
            lines[i] = "\t".join(cols)
        elif roll < 0.75:
            lines.insert(i, rng.choice(MUTATIONS))
        elif roll < 0.9:
            lines[i], lines[i - 1] = lines[i - 1], lines[i]
        else:
            del lines[i]
    data = "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")
    if rng.random() < 0.1:
        data = data.replace("\n", "\r\n")
    return data.encode()


def test_chunk_sizes_do_not_change_the_result() -> None:
    data = sample_text(40).encode() + b"c1\t.\tgene\t5\t1\t.\t+\t.\tID=bad\n"
    whole = check_bytes(data)
    assert whole.error_count == 1
    for sizes in ([1], [2], [3], [7, 1, 4096], [64], [100_000]):
        assert feed_in_pieces(data, sizes) == whole


def test_bulk_path_and_careful_path_agree_on_mutated_input() -> None:
    """The fast per-chunk path must report exactly what the line-by-line path reports."""
    rng = random.Random(20240611)
    base = sample_text(25)
    for _ in range(250):
        data = mutate(rng, base)
        careful = feed_in_pieces(data, [1 << 20], careful_only=True)
        assert feed_in_pieces(data, [1 << 20]) == careful, data
        assert feed_in_pieces(data, [rng.choice([1, 13, 500, 8192])]) == careful, data


def test_error_cap_counts_the_rest() -> None:
    text = H + "".join(feat(strand="x", attrs=f"ID=g{i}") for i in range(10))
    checker = GffChecker(max_errors=3)
    checker.feed(text.encode())
    assert checker.limit_reached
    checker.close()
    result = checker.result()
    assert [e.line for e in result.errors] == [2, 3, 4]
    assert (result.error_count, result.truncated, result.valid) == (10, True, False)


def test_stop_early(tmp_path: Path) -> None:
    path = tmp_path / "bad.gff3"
    path.write_text(H + "".join(feat(strand="x", attrs=f"ID=g{i}") for i in range(40_000)))  # > one read
    early = check_file(str(path), max_errors=2, stop_early=True)
    full = check_file(str(path), max_errors=2)
    assert len(early.errors) == 2 and early.error_count < full.error_count == 40_000


def test_state_does_not_grow_with_closed_sections() -> None:
    checker = GffChecker()
    checker.feed(sample_text(200).encode())
    # after the last ###: nothing waits, nothing is open; only the closed IDs remain (for uniqueness)
    body = checker.body
    assert isinstance(body, Gff3)
    assert (len(body.ids), body.pending, body.chains) == (0, {}, {})
    assert len(body.closed) == 200 * 3
    checker.feed(b"chr1\t.\texon\t1\t10\t.\t+\t.\tParent=later\n")
    assert list(body.pending) == [b"later"]


def test_error_text_form() -> None:
    assert GffError(12, "start 0 is below 1").text("out/a.gff") == "out/a.gff:12: start 0 is below 1"


# ------------------------------------------------------------------ agreement with GenomeTools

AGREEMENT = sorted(CORPUS.glob("*.gff3"))
DESIGN_ONLY = sorted((CORPUS / "design").glob("*.gff3"))


def test_corpus_size() -> None:
    names = [p.name for p in AGREEMENT]
    assert sum(n.startswith("valid_") for n in names) >= 20
    assert sum(n.startswith("bad_") for n in names) >= 20
    assert all(n.startswith(("valid_", "bad_")) for n in names)


@pytest.mark.parametrize("path", AGREEMENT + DESIGN_ONLY, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_verdict_follows_the_name(path: Path) -> None:
    assert check_file(str(path)).valid is path.name.startswith("valid_")


@pytest.mark.skipif(shutil.which("gt") is None, reason="GenomeTools (gt) is not installed: apt-get install genometools")
def test_verdicts_agree_with_gt_gff3validator() -> None:
    disagree = []
    for path in AGREEMENT:
        gt = subprocess.run(["gt", "gff3validator", str(path)], capture_output=True, check=False)
        if (gt.returncode == 0) != check_file(str(path)).valid:
            disagree.append(path.name)
    assert disagree == []


# ------------------------------------------------------------------ the command


def test_cli_valid_file() -> None:
    proc = ferryman("gff-check", "tests/data/gff/valid_canonical_gene.gff3")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "ok: 1 file valid\n")


def test_cli_errors_on_stderr() -> None:
    proc = ferryman("gff-check", "tests/data/gff/bad_start_zero.gff3", "tests/data/gff/valid_sections.gff3")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        "tests/data/gff/bad_start_zero.gff3:2: start 0 is below 1 (coordinates are 1-based)\n1 error in 1 of 2 files\n"
    )


def test_cli_max_errors(tmp_path: Path) -> None:
    path = tmp_path / "many.gff3"
    path.write_text(H + "".join(feat(strand="x", attrs=f"ID=g{i}") for i in range(5)))
    proc = ferryman("gff-check", "--max-errors", "2", "-q", str(path))
    assert proc.returncode == 1
    assert proc.stderr == (
        f"{path}:2: strand 'x' is not one of + - . ?\n"
        f"{path}:3: strand 'x' is not one of + - . ?\n"
        f"{path}: 3 more errors not shown (--max-errors 2)\n"
    )


def test_cli_json() -> None:
    proc = ferryman("gff-check", "--format", "json", "tests/data/gff/bad_parent_undefined.gff3")
    assert proc.returncode == 1 and proc.stderr == ""
    assert json.loads(proc.stdout) == {
        "valid": False,
        "files": [
            {
                "path": "tests/data/gff/bad_parent_undefined.gff3",
                "valid": False,
                "version": "3",
                "lines": 2,
                "error_count": 1,
                "truncated": False,
                "errors": [{"line": 2, "message": "Parent 'nope' is not defined (no ID=nope before the end of input)"}],
                "warnings": [],
            }
        ],
    }


def test_cli_stdin() -> None:
    proc = ferryman("gff-check", "-", input=(H + feat(end="0")).encode())
    assert proc.returncode == 1
    assert proc.stderr == "<stdin>:2: start 1 is after end 0\n1 error in 1 of 1 file\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such.gff3"], "ferryman: error: no such file: no/such.gff3\n"),
        (["--max-errors", "0", "x"], "ferryman: error: --max-errors must be at least 1, not 0\n"),
        (["-", "-"], "ferryman: error: standard input (-) can be read only once\n"),
    ],
)
def test_cli_usage_errors(args: list[str], message: str) -> None:
    proc = ferryman("gff-check", *args)
    assert (proc.returncode, proc.stderr) == (2, message)


def test_cli_without_files_is_usage_error() -> None:
    proc = ferryman("gff-check")
    assert proc.returncode == 2
    assert "the following arguments are required: FILE" in proc.stderr
