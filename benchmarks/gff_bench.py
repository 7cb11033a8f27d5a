"""GFF checking benchmark: `ferryman gff-check` against `gt gff3validator`.

Two files of about 100 MB, built once into `benchmarks/_data/` (git-ignored):

* generated: a valid Ensembl-like GFF3 file (genes with mRNA/exon/CDS/UTR children, correct CDS
  phases, `###` after every gene);
* real-shaped: FlyBase's 50,000-line dmel r5.49 GFF3 from gffutils' test data, replicated to the
  size with every ID, Parent and Derives_from renamed per copy (`_c0`, `_c1`, ...) and no `###`,
  so every ID stays open to the end. The source file comes from the gffutils sdist on PyPI
  (`pip download gffutils==0.14 --no-deps --no-binary :all:`) unless it is already in `_data/`.

Each tool runs on each file as a subprocess (median of `--runs`), and both must give the same
verdict on every file of the agreement corpus `tests/data/gff/`. Prints one table:

    python benchmarks/gff_bench.py [--size-mb 100] [--runs 3]

Columns: median wall seconds, MB/s, median CPU seconds (user + system), the ratio of gt's wall
time to the tool's, the same ratio on CPU time, and peak resident memory (the largest of the runs,
from wait4's ru_maxrss). Targets: speed >= 3x gt and peak memory <= gt's on both files.

Exit status: 0 when the corpus verdicts agree, 1 otherwise, 2 when `gt` is missing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "_data"
CORPUS = ROOT / "tests" / "data" / "gff"
SEED = 20240611
GENERATOR_VERSION = 1  # bump when the generated text changes, so a cached file is rebuilt
FLYBASE = "dmel-all-no-analysis-r5.49_50k_lines.gff"
FLYBASE_SDIST = "gffutils==0.14"
_REFERENCES = re.compile(rb"(^|;)(ID|Parent|Derives_from)=([^;]*)")

_CHROMOSOMES = [(str(n), 250_000_000 - n * 7_000_000) for n in range(1, 23)] + [("X", 156_040_895)]
_BIOTYPES = ("protein_coding", "protein_coding", "protein_coding", "lncRNA", "processed_pseudogene")
_WORDS = (
    "olfactory",
    "receptor",
    "family",
    "subfamily",
    "member",
    "zinc",
    "finger",
    "protein",
    "kinase",
    "domain",
    "containing",
    "transmembrane",
    "ribosomal",
    "solute",
    "carrier",
    "homeobox",
    "binding",
)


def _description(rng: random.Random, gene_no: int) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 6)))
    # the `;` inside the value is percent-encoded, as Ensembl writes it
    return f"{words} [Source:HGNC Symbol%3BAcc:HGNC:{10000 + gene_no % 90000}]"


def _segments(exons: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """The parts of `exons` (ascending) that fall within [lo, hi]."""
    out = []
    for s, e in exons:
        if e < lo or s > hi:
            continue
        out.append((max(s, lo), min(e, hi)))
    return out


def _gene(rng: random.Random, seqid: str, pos: int, gene_no: int) -> tuple[list[str], int]:
    """Lines of one gene starting near `pos`, and the position after it."""
    strand = rng.choice("+-")
    biotype = rng.choice(_BIOTYPES)
    gid = f"ENSG{gene_no:011d}"
    lines: list[str] = []
    transcripts: list[list[str]] = []
    gene_start, gene_end = pos + rng.randint(500, 20_000), 0
    for t in range(rng.randint(1, 3)):
        tid = f"ENST{gene_no:09d}{t:02d}"
        exons: list[tuple[int, int]] = []
        cursor = gene_start + rng.randint(0, 300)
        for _ in range(rng.randint(1, 9) if biotype != "processed_pseudogene" else 1):
            length = rng.randint(60, 400)
            exons.append((cursor, cursor + length - 1))
            cursor += length + rng.randint(80, 3000)
        t_start, t_end = exons[0][0], exons[-1][1]
        gene_end = max(gene_end, t_end)
        coding = biotype == "protein_coding"
        ttype = "mRNA" if coding else ("lnc_RNA" if biotype == "lncRNA" else "pseudogenic_transcript")
        rows = [
            f"{seqid}\thavana\t{ttype}\t{t_start}\t{t_end}\t.\t{strand}\t.\tID=transcript:{tid};"
            f"Parent=gene:{gid};Name=GENE{gene_no}-{201 + t};biotype={biotype};tag=basic;"
            f"transcript_id={tid};version={1 + t}"
        ]
        for rank, (s, e) in enumerate(exons if strand == "+" else exons[::-1], 1):
            rows.append(
                f"{seqid}\thavana\texon\t{s}\t{e}\t.\t{strand}\t.\tParent=transcript:{tid};"
                f"Name=ENSE{gene_no:08d}{t}{rank:02d};constitutive={rank % 2};ensembl_end_phase=-1;"
                f"ensembl_phase=-1;exon_id=ENSE{gene_no:08d}{t}{rank:02d};rank={rank};version=1"
            )
        if coding:
            total = sum(e - s + 1 for s, e in exons)
            utr5, utr3 = rng.randint(0, min(150, total // 4)), rng.randint(0, min(300, total // 4))
            # genomic bounds of the coding part: trim the UTRs from the 5' and 3' ends of the transcript
            left, right = (utr5, utr3) if strand == "+" else (utr3, utr5)
            lo = _offset_to_genomic(exons, left)
            hi = _offset_to_genomic(exons, total - 1 - right)
            cds = _segments(exons, lo, hi)
            order = cds if strand == "+" else cds[::-1]
            phase, phases = 0, {}
            for s, e in order:  # 5' to 3': each phase follows from the segments before it
                phases[(s, e)] = phase
                phase = (phase - (e - s + 1)) % 3
            pid = f"ENSP{gene_no:09d}{t:02d}"
            for s, e in cds:  # written in ascending order on both strands, as Ensembl does
                rows.append(
                    f"{seqid}\thavana\tCDS\t{s}\t{e}\t.\t{strand}\t{phases[(s, e)]}\tID=CDS:{pid};"
                    f"Parent=transcript:{tid};protein_id={pid}"
                )
            five, three = (
                ("five_prime_UTR", "three_prime_UTR") if strand == "+" else ("three_prime_UTR", "five_prime_UTR")
            )
            if lo > t_start:
                for s, e in _segments(exons, t_start, lo - 1):
                    rows.append(f"{seqid}\thavana\t{five}\t{s}\t{e}\t.\t{strand}\t.\tParent=transcript:{tid}")
            if hi < t_end:
                for s, e in _segments(exons, hi + 1, t_end):
                    rows.append(f"{seqid}\thavana\t{three}\t{s}\t{e}\t.\t{strand}\t.\tParent=transcript:{tid}")
        transcripts.append(rows)
    lines.append(
        f"{seqid}\tensembl_havana\tgene\t{gene_start}\t{gene_end}\t.\t{strand}\t.\tID=gene:{gid};"
        f"Name=GENE{gene_no};biotype={biotype};description={_description(rng, gene_no)};"
        f"gene_id={gid};logic_name=ensembl_havana_gene_homo_sapiens;version={rng.randint(1, 20)}"
    )
    for rows in transcripts:
        lines.extend(rows)
    if rng.random() < 0.15:  # an unparented feature with a score
        s = gene_end + rng.randint(10, 400)
        lines.append(
            f"{seqid}\t.\tbiological_region\t{s}\t{s + rng.randint(5, 60)}\t{rng.uniform(0, 1000):.3f}\t"
            f"{strand}\t.\tlogic_name=cpg;external_name=oe%3D{rng.uniform(0, 2):.2f}"
        )
        gene_end = s + 61
    lines.append("###")
    return lines, gene_end + rng.randint(1_000, 60_000)


def _offset_to_genomic(exons: list[tuple[int, int]], offset: int) -> int:
    """Genomic position of the `offset`-th spliced base, counting from the left (ascending exons)."""
    for s, e in exons:
        length = e - s + 1
        if offset < length:
            return s + offset
        offset -= length
    return exons[-1][1]


def generate_lines(target_bytes: int, seed: int = SEED) -> Iterator[str]:
    """Lines of a valid GFF3 file of about `target_bytes`; the same bytes for the same arguments."""
    rng = random.Random(seed)
    yield "##gff-version 3"
    for seqid, length in _CHROMOSOMES:
        yield f"##sequence-region {seqid} 1 {length}"
    written, gene_no = 0, 1
    for seqid, length in _CHROMOSOMES:
        pos = 1
        while pos < length - 1_000_000:
            rows, pos = _gene(rng, seqid, pos, gene_no)
            gene_no += 1
            for row in rows:
                written += len(row) + 1
                yield row
            if written >= target_bytes:
                return
    raise SystemExit(f"--size-mb too large: one genome gives {written // 1_000_000} MB")


def ensure_file(size_mb: int) -> Path:
    """Generate the benchmark file once; later runs reuse it."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"bench_{size_mb}mb_v{GENERATOR_VERSION}.gff3"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="ascii", newline="\n") as fh:
        for row in generate_lines(size_mb * 1_000_000):
            fh.write(row + "\n")
    os.replace(tmp, path)
    return path


def _flybase_source() -> Path:
    """FlyBase's 50,000-line GFF3 from gffutils' test data: cached, else taken from the sdist."""
    path = DATA / FLYBASE
    if path.exists():
        return path
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", FLYBASE_SDIST, "--no-deps", "--no-binary", ":all:", "-d", tmp],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (sdist,) = Path(tmp).glob("gffutils-*.tar.gz")
        with tarfile.open(sdist) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("/test/data/" + FLYBASE))
            extracted = tar.extractfile(member)
            assert extracted is not None
            path.write_bytes(extracted.read())
    return path


def ensure_real_shaped(size_mb: int) -> Path:
    """FlyBase's file replicated to about `size_mb` MB, IDs renamed per copy, no `###`."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"flybase_{size_mb}mb_v{GENERATOR_VERSION}.gff3"
    if path.exists():
        return path
    lines = _flybase_source().read_bytes().split(b"\n")
    header = [line for line in lines if line.startswith(b"#")]
    body = [line.split(b"\t") for line in lines if line and not line.startswith(b"#")]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(b"\n".join(header) + b"\n")
        written, copy = 0, 0
        while written < size_mb * 1_000_000:
            suffix = b"_c%d" % copy

            def rename(m: re.Match[bytes], suffix: bytes = suffix) -> bytes:
                return m[1] + m[2] + b"=" + b",".join(v + suffix for v in m[3].split(b","))

            chunk = b"".join(b"\t".join([*cols[:8], _REFERENCES.sub(rename, cols[8])]) + b"\n" for cols in body)
            fh.write(chunk)
            written += len(chunk)
            copy += 1
    os.replace(tmp, path)
    return path


def _ferryman_cmd() -> list[str]:
    exe = shutil.which("ferryman", path=str(Path(sys.executable).parent)) or shutil.which("ferryman")
    return [exe] if exe else [sys.executable, "-m", "ferryman"]


def _run_once(cmd: list[str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system), exit code and peak resident KiB of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode, usage.ru_maxrss


Timing = tuple[float, float, int, int]  # median wall s, median CPU s, exit code, peak KiB


def time_tools(tools: dict[str, list[str]], runs: int) -> dict[str, Timing]:
    """Median wall and CPU seconds and peak memory per tool; the tools take turns so that load
    hits them alike."""
    samples: dict[str, list[Timing]] = {name: [] for name in tools}
    for _ in range(runs):
        for name, cmd in tools.items():
            samples[name].append(_run_once(cmd))
    out = {}
    for name, runs_ in samples.items():
        codes = {s[2] for s in runs_}
        if len(codes) != 1:
            raise SystemExit(f"{name}: exit codes differ between runs: {sorted(codes)}")
        walls = statistics.median(s[0] for s in runs_)
        cpus = statistics.median(s[1] for s in runs_)
        out[name] = (walls, cpus, codes.pop(), max(s[3] for s in runs_))
    return out


def corpus_verdicts(gt: str) -> list[tuple[str, bool, bool]]:
    """(file name, ferryman says valid, gt says valid) for every file of the agreement corpus."""
    files = sorted(CORPUS.glob("*.gff3"))
    ferry = [*_ferryman_cmd(), "gff-check"]
    rows = []
    for f in files:
        ours = subprocess.run([*ferry, str(f)], capture_output=True, check=False).returncode == 0
        theirs = subprocess.run([gt, "gff3validator", str(f)], capture_output=True, check=False).returncode == 0
        rows.append((f.name, ours, theirs))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--size-mb", type=int, default=100, help="size of each benchmark file (default 100)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per tool and file (median is reported)")
    args = ap.parse_args(argv)
    gt = shutil.which("gt")
    if gt is None:
        sys.stderr.write("gt (GenomeTools) is not installed: apt-get install -y genometools\n")
        return 2

    files = {"generated": ensure_file(args.size_mb), "real-shaped": ensure_real_shaped(args.size_mb)}
    ferry = [*_ferryman_cmd(), "gff-check", "-q"]
    load = os.getloadavg()[0]
    print(f"median of {args.runs} runs per tool and file; load average {load:.2f} at the start")
    print(
        f"{'file':<13}{'MB':>6}  {'tool':<19}{'exit':>5}{'wall s':>8}{'MB/s':>7}{'CPU s':>7}"
        f"{'speed':>8}{'CPU':>7}{'peak MB':>9}"
    )
    failed = False
    for label, path in files.items():
        mb = path.stat().st_size / 1e6
        timings = time_tools(
            {"ferryman gff-check": [*ferry, str(path)], "gt gff3validator": [gt, "gff3validator", str(path)]}, args.runs
        )
        gt_wall, gt_cpu = timings["gt gff3validator"][:2]
        for name, (wall, cpu, rc, peak) in timings.items():
            failed |= rc != 0
            print(
                f"{label:<13}{mb:>6.1f}  {name:<19}{rc:>5}{wall:>8.2f}{mb / wall:>7.1f}{cpu:>7.2f}"
                f"{gt_wall / wall:>7.2f}x{gt_cpu / cpu:>6.2f}x{peak / 1024:>9.0f}"
            )
    rows = corpus_verdicts(gt)
    disagree = [name for name, ours, theirs in rows if ours != theirs]
    valid = sum(1 for _, _, theirs in rows if theirs)
    print(
        f"corpus: {len(rows)} files ({valid} valid, {len(rows) - valid} invalid per gt), "
        f"{len(rows) - len(disagree)} verdicts agree"
    )
    for name in disagree:
        print(f"  DISAGREE: {name}")
    return 0 if not disagree and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
