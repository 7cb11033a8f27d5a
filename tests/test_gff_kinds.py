"""Issue 8, points 1-6 and 19: each example of a kind of fault, with GenomeTools' verdict beside ours.

Every case is checked two ways: ferryman's exact errors and warnings, and (when `gt` is installed)
that `gt gff3validator` gives the same verdict, except the cases docs/gff.md lists as decisions
where ferryman and GenomeTools differ.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ferryman.runtime.gff import LINE_LIMIT, GffChecker, check_bytes

from .conftest import ROOT
from .gff_fixtures import gff_path  # noqa: F401 (autouse: every test on both paths)

H = "##gff-version 3\n"


def row(*cols: str) -> str:
    return "\t".join(cols) + "\n"


def gene(ident: str = "g1", strand: str = "+", start: str = "100", end: str = "900") -> str:
    return row("ctg1", ".", "gene", start, end, ".", strand, ".", f"ID={ident}")


def line(ftype: str, start: int, end: int, strand: str, phase: str, attrs: str, seqid: str = "ctg1") -> str:
    return row(seqid, ".", ftype, str(start), str(end), ".", strand, phase, attrs)


def outcome(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    result = check_bytes(text.encode())
    return [(e.line, e.message) for e in result.errors], [(w.line, w.message) for w in result.warnings]


def gt_valid(text: str, tmp_path: Path) -> bool:
    path = tmp_path / "case.gff3"
    path.write_text(text)
    return subprocess.run(["gt", "gff3validator", str(path)], capture_output=True, check=False).returncode == 0


HAVE_GT = shutil.which("gt") is not None
MRNA = gene() + line("mRNA", 100, 400, "+", ".", "ID=m1;Parent=g1")

CASES = {
    # 1. CDS phases along the CDS lines of one parent, not only along lines sharing an ID
    "phase_by_parent": (
        MRNA + line("CDS", 100, 151, "+", "0", "Parent=m1") + line("CDS", 200, 262, "+", "0", "Parent=m1"),
        [(5, "CDS phase 0 does not follow from the CDS on line 4 of Parent 'm1' (expected 2)")],
        [],
    ),
    "phase_by_parent_with_ids": (
        MRNA + line("CDS", 100, 151, "+", "0", "ID=a;Parent=m1") + line("CDS", 200, 262, "+", "0", "ID=b;Parent=m1"),
        [(5, "CDS phase 0 does not follow from the CDS on line 4 of Parent 'm1' (expected 2)")],
        [],
    ),
    "phase_by_parent_good": (
        MRNA + line("CDS", 100, 151, "+", "0", "Parent=m1") + line("CDS", 200, 262, "+", "2", "Parent=m1"),
        [],
        [],
    ),
    "phase_by_parent_unsorted": (
        MRNA + line("CDS", 200, 262, "+", "2", "Parent=m1") + line("CDS", 100, 151, "+", "0", "Parent=m1"),
        [],
        [],
    ),
    "phase_by_parent_minus": (
        gene(strand="-")
        + line("mRNA", 100, 400, "-", ".", "ID=m1;Parent=g1")
        + line("CDS", 100, 151, "-", "0", "Parent=m1")
        + line("CDS", 200, 262, "-", "0", "Parent=m1"),
        [],
        [],
    ),
    "phase_shared_cds_of_two_parents": (  # one CDS line in two chains (FlyBase writes these)
        MRNA
        + line("mRNA", 100, 400, "+", ".", "ID=m2;Parent=g1")
        + line("CDS", 100, 151, "+", "0", "Parent=m1,m2")
        + line("CDS", 200, 262, "+", "0", "Parent=m2"),
        [(6, "CDS phase 0 does not follow from the CDS on line 5 of Parent 'm2' (expected 2)")],
        [],
    ),
    # 2. a blank after `;` is not part of the tag
    "blank_before_parent": (
        gene() + line("mRNA", 100, 400, "+", ".", "ID=m1; Parent=g9"),
        [(3, "Parent 'g9' is not defined (no ID=g9 before the end of input)")],
        [],
    ),
    "blanks_before_id": (
        gene() + line("mRNA", 100, 400, "+", ".", " ID=m1;Parent=g1") + line("exon", 100, 200, "+", ".", "Parent=m1"),
        [],
        [],
    ),
    "blank_before_second_id": (
        gene() + line("mRNA", 100, 400, "+", ".", "ID=m1;  ID=m2"),
        [(3, "attribute ID appears more than once")],
        [],
    ),
    "blank_after_equals_is_value": (
        gene() + line("mRNA", 100, 400, "+", ".", "ID=m1;Parent= g1"),
        [(3, "Parent ' g1' is not defined (no ID= g1 before the end of input)")],
        [],
    ),
    # 3. directives are their exact word
    "fasta_word_with_protein": ("##FASTAMKLVRT\n" + gene(), [], []),
    "fasta_with_trailing_blank": ("##FASTA \n>x\nACGT\n", [], []),
    "fasta_with_trailing_tab": ("##FASTA\t\n>x\nACGT\n", [], []),
    "terminator_with_trailing_blank": (
        gene() + "### \n" + gene(),
        [(4, "ID 'g1' was already used before an earlier ###")],
        [],
    ),
    "terminator_with_text": (
        gene() + "###x\n" + gene(),
        [(4, "ID 'g1' was already used before an earlier ###")],
        [],
    ),
    # 4. numbers in directives carry no trailing blanks
    "region_end_trailing_blank": (
        "##sequence-region ctg1 1 5000 \n" + gene(),
        [(2, "##sequence-region end '5000 ' is not an integer")],
        [],
    ),
    "region_end_trailing_tab": (
        "##sequence-region ctg1 1 5000\t\n" + gene(),
        [(2, "##sequence-region end '5000\\t' is not an integer")],
        [],
    ),
    "region_end_extra_word": (
        "##sequence-region ctg1 1 5000 x\n" + gene(),
        [(2, "##sequence-region end '5000 x' is not an integer")],
        [],
    ),
    "region_blanks_between": ("##sequence-region  ctg1\t1  5000\n" + gene(), [], []),
    # 5. the lines of one multi-line feature: same type, same Parent set
    "multiline_other_parent": (
        gene()
        + gene("g2")
        + line("mRNA", 100, 200, "+", ".", "ID=m1;Parent=g1")
        + line("mRNA", 300, 400, "+", ".", "ID=m1;Parent=g2"),
        [
            (
                5,
                "ID 'm1' is used on line 4 with another Parent list (the lines of one feature name the same parents)",
            )
        ],
        [],
    ),
    "multiline_parent_missing": (
        gene() + line("mRNA", 100, 200, "+", ".", "ID=m1;Parent=g1") + line("mRNA", 300, 400, "+", ".", "ID=m1"),
        [
            (
                4,
                "ID 'm1' is used on line 3 with another Parent list (the lines of one feature name the same parents)",
            )
        ],
        [],
    ),
    "multiline_parent_repeated": (
        gene()
        + line("mRNA", 100, 200, "+", ".", "ID=m1;Parent=g1,g1")
        + line("mRNA", 300, 400, "+", ".", "ID=m1;Parent=g1"),
        [
            (
                4,
                "ID 'm1' is used on line 3 with another Parent list (the lines of one feature name the same parents)",
            )
        ],
        [],
    ),
    "multiline_other_type": (
        gene()
        + line("mRNA", 100, 200, "+", ".", "ID=m1;Parent=g1")
        + line("transcript", 300, 400, "+", ".", "ID=m1;Parent=g1"),
        [
            (
                4,
                "ID 'm1' is used on line 3 with type 'mRNA', here 'transcript'"
                " (the lines of one feature share seqid, source, type and strand)",
            )
        ],
        [],
    ),
    "multiline_same_parents": (
        gene() + gene("g2") + line("match", 100, 200, "+", ".", "ID=m1;Parent=g1,g2") * 2,
        [],
        [],
    ),
    # 6. one CDS ID on both strands: a warning (trans-splicing)
    "cds_on_both_strands": (
        gene()
        + line("CDS", 100, 200, "+", "0", "ID=c1;Parent=g1")
        + line("CDS", 700, 799, "-", "1", "ID=c1;Parent=g1"),
        [],
        [(4, "ID 'c1' is used on line 3 with strand '+', here '-' (a trans-spliced CDS?)")],
    ),
}

# where ferryman follows docs/gff.md and GenomeTools differs (docs/gff.md, "Agreement with GenomeTools")
DIFFERS_FROM_GT = {
    "multiline_same_parents_other_order": (
        gene()
        + gene("g2")
        + line("match", 100, 200, "+", ".", "ID=m1;Parent=g1,g2")
        # gt compares Parent lists as written; the lines name the same parent set
        + line("match", 300, 400, "+", ".", "ID=m1;Parent=g2,g1"),
        [],
        [],
    ),
}


def _full(text: str) -> str:
    return text if text.startswith("##gff-version") else H + text


@pytest.mark.parametrize("name", sorted(CASES) + sorted(DIFFERS_FROM_GT))
def test_kind(name: str) -> None:
    text, errors, warnings = CASES.get(name) or DIFFERS_FROM_GT[name]
    assert outcome(_full(text)) == (errors, warnings)
    # the fast path and the reference path agree, whatever the chunks
    data = _full(text).encode()
    for fast, size in ((True, 1 << 20), (False, 1 << 20), (True, 7)):
        checker = GffChecker(max_errors=None, fast=fast)
        for pos in range(0, len(data), size):
            checker.feed(data[pos : pos + size])
        checker.close()
        assert checker.result() == check_bytes(data)


@pytest.mark.skipif(not HAVE_GT, reason="GenomeTools (gt) is not installed: apt-get install genometools")
@pytest.mark.parametrize("name", sorted(CASES))
def test_kind_verdict_is_gts(name: str, tmp_path: Path) -> None:
    text, errors, _ = CASES[name]
    assert gt_valid(_full(text), tmp_path) is (not errors)


@pytest.mark.skipif(not HAVE_GT, reason="GenomeTools (gt) is not installed: apt-get install genometools")
@pytest.mark.parametrize("name", sorted(DIFFERS_FROM_GT))
def test_kind_differs_from_gt_on_purpose(name: str, tmp_path: Path) -> None:
    text, errors, _ = DIFFERS_FROM_GT[name]
    assert gt_valid(_full(text), tmp_path) is bool(errors)


def test_cds_strand_warning_reaches_the_command(tmp_path: Path) -> None:
    path = tmp_path / "trans.gff3"
    path.write_text(H + CASES["cds_on_both_strands"][0])
    proc = subprocess.run(
        [sys.executable, "-m", "ferryman", "gff-check", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stderr == (
        f"{path}:4: warning: ID 'c1' is used on line 3 with strand '+', here '-' (a trans-spliced CDS?)\n"
        "ok: 1 file valid\n"
    )


def test_byte_order_mark_is_named() -> None:
    result = check_bytes(b"\xef\xbb\xbf" + (H + gene()).encode())
    assert [(e.line, e.message) for e in result.errors] == [
        (
            1,
            "the first line starts with a byte order mark (BOM); expected '##gff-version 2' or"
            " '##gff-version 3[.x[.y]]' as the first line",
        )
    ]


def test_control_characters_are_shown_escaped() -> None:
    result = check_bytes((H + row("c\x1b]0;x\x07", ".", "gene", "1", "9", ".", "+", ".", "ID=a")).encode())
    assert [e.message for e in result.errors] == [
        "seqid 'c\\x1b]0;x\\x07' contains '\\x1b', which must be percent-encoded"
    ]


# ------------------------------------------------------------------ 19. line length


def test_line_limit_in_any_chunking() -> None:
    long = b"x" * 5000
    data = H.encode() + gene().encode() + long + b"\n" + gene("g2").encode()
    message = (
        "line is longer than 4,096 bytes (starts 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'); the check stops here"
    )
    for size in (1, 100, 4096, 1 << 20):
        checker = GffChecker(line_limit=4096)
        for pos in range(0, len(data), size):
            checker.feed(data[pos : pos + size])
        checker.close()
        result = checker.result()
        assert [(e.line, e.message) for e in result.errors] == [(3, message)], size
        assert result.lines == 4


def test_long_fasta_line_is_checked_in_pieces() -> None:
    seq = b"ACGT" * 3000
    good = H.encode() + gene().encode() + b"##FASTA\n>ctg1\n" + seq + b"\n>ctg2\n" + seq + b"\n"
    bad = good.replace(b"ACGTACGT", b"ACGT9CGT", 1)
    for data, expected in ((good, []), (bad, [(5, "FASTA sequence line has the character '9'")])):
        checker = GffChecker(line_limit=1000)
        for pos in range(0, len(data), 300):
            checker.feed(data[pos : pos + 300])
        checker.close()
        got = [(e.line, e.message.split(";")[0]) for e in checker.result().errors]
        assert got == expected
        assert checker.lines == 7


SCRIPT = """
import sys
out = sys.stdout.buffer
out.write(b"##gff-version 3\\n")
block = b"A" * (1 << 20)
for _ in range(300):
    out.write(block)
"""


@pytest.mark.slow
def test_300_mb_without_newline_fails_in_bounded_memory(tmp_path: Path) -> None:
    """A writer that never ends its line: a clear error, and the checker's memory stays small."""
    script = tmp_path / "flood.py"
    script.write_text(SCRIPT)
    usage = tmp_path / "usage.py"
    usage.write_text(
        "import resource, subprocess, sys\n"
        f"w = subprocess.Popen([sys.executable, {str(script)!r}], stdout=subprocess.PIPE)\n"
        "c = subprocess.run([sys.executable, '-m', 'ferryman', 'gff-check', '-'], stdin=w.stdout,"
        " capture_output=True, text=True)\n"
        "w.stdout.close(); w.wait()\n"
        "print(c.returncode)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(c.stderr, end='')\n"
    )
    proc = subprocess.run([sys.executable, str(usage)], capture_output=True, text=True, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    code, peak_kb, *lines = proc.stdout.splitlines()
    assert code == "1"
    assert lines == [
        f"<stdin>:2: line is longer than {LINE_LIMIT:,} bytes (starts 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…');"
        " the check stops here",
        "1 error in 1 of 1 file",
    ]
    # the largest peak resident size of the two children (the writer and ferryman), KiB on Linux
    assert int(peak_kb) < 100 * 1024, peak_kb
