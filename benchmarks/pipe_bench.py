"""Pipe spawning: `ferryman run PLAN` on N pipe scripts against `xargs -P` running the same scripts
with the same arguments and parallelism, each writing its stdout to a file.

Two measures, each timing both sides alternately (drift hits both alike) and comparing medians:

(a) generated: N tiny scripts, each printing a two-line GFF3 for its region: the cost of starting,
    watching and recording a script, nearly nothing else;
(b) real-shaped: N scripts, each printing the repository's FlyBase excerpt (801 real lines of
    FlyBase r5.49 from gffutils' test data, 132 kB: genes, mRNAs, exons, CDSs with phases,
    multi-Parent and Derives_from attributes, tests/data/gff/valid_flybase_excerpt.gff3), as a
    pipe server answering for a gene-dense region does: ferryman checks every line as it streams.

Target (an earlier issue's): ferryman's throughput at least half of xargs', i.e. its wall time at
most 2x. ferryman's side includes its own start-up, plan loading, the streaming GFF check, the
atomic write (fsync'd) and the journal; the plan is compiled before timing starts (run time only),
as a cron job that runs a reviewed plan would. Exit 0 even when a target is missed (a report).

    python benchmarks/pipe_bench.py [--tasks 1000] [--parallel 8] [--repeat 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BENCH_ENV, Row, environment, outcome, table  # BENCH_ENV: bytecode caching on, as a user's

ROOT = Path(__file__).resolve().parent.parent
FLYBASE_EXCERPT = ROOT / "tests" / "data" / "gff" / "valid_flybase_excerpt.gff3"
TARGET = 2.0  # wall-time ratio: throughput at least half of xargs'

TINY = """#!/bin/sh
# a tiny pipe server: one feature for the region
for a in "$@"; do case "$a" in n=*) n=${a#n=};; zmap_start=*) s=${a#zmap_start=};; esac; done
printf '##gff-version 3\\nchr1\\tbench\\tgene\\t%s\\t%s\\t.\\t+\\t.\\tID=g%s\\n' "$s" "$((s + 10))" "$n"
"""

REAL = """#!/bin/sh
# a pipe server answering for a gene-dense region: FlyBase's own lines
exec cat flybase.gff3
"""


def build(root: Path, tasks: int, parallel: int, script: str) -> Path:
    """A workspace of `tasks` pipe sources all running `script` (as script-dir/server.sh); returns
    the compiled plan."""
    scripts = root / "zmap" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "server.sh").write_text(script)
    (scripts / "server.sh").chmod(0o755)
    shutil.copyfile(FLYBASE_EXCERPT, scripts / "flybase.gff3")
    (root / "zmap" / "styles.ini").write_text("[fs]\nmode = basic\n")
    names = [f"s{i:05d}" for i in range(tasks)]
    cfg = ["[ZMap]", "sources = " + " ; ".join(names), "script-dir = scripts", "stylesfile = styles.ini", ""]
    for i, n in enumerate(names):
        cfg += [f"[{n}]", f"url = pipe:///server.sh?n={i}", "featuresets = fs", ""]
    (root / "zmap" / "ZMap").write_text("\n".join(cfg))
    (root / "ferryman.toml").write_text(
        f'[workspace]\nname = "pipe-bench"\nmax_parallel = {parallel}\n\n'
        '[zmap]\nconfig = "zmap/ZMap"\nregion = { start = 1000, end = 2000 }\n'
    )
    plan = root / "plan.json"
    subprocess.run([sys.executable, "-m", "ferryman", "plan", "--out", str(plan), "--format", "json"], env=BENCH_ENV,
                   cwd=root, check=True, capture_output=True)
    return plan


def time_ferryman(root: Path, plan: Path, tasks: int) -> float:
    shutil.rmtree(root / ".ferryman", ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ferryman", "run", str(plan), "--progress", "none"], env=BENCH_ENV,
                          cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"ferryman run failed:\n{proc.stderr[-2000:]}")
    produced = len(list((root / ".ferryman" / "gff").glob("*.gff")))
    if produced != tasks:
        raise RuntimeError(f"ferryman wrote {produced} GFF files, expected {tasks}")
    return elapsed


def time_xargs(root: Path, tasks: int, parallel: int) -> float:
    out = root / "xargs-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    lines = "".join(f"s{i:05d} n={i}\n" for i in range(tasks))
    cmd = ["xargs", "-P", str(parallel), "-L", "1", "sh", "-c",
           f'cd {root}/zmap/scripts && ./server.sh "$1" zmap_start=1000 zmap_end=2000 > {out}/"$0".gff']
    t0 = time.perf_counter()
    subprocess.run(cmd, input=lines, text=True, check=True)
    return time.perf_counter() - t0


def measure(name: str, script: str, args: argparse.Namespace) -> Row:
    peer = f"xargs -P {args.parallel}"
    with tempfile.TemporaryDirectory(prefix="ferryman-pipe-bench-") as tmp:
        root = Path(tmp)
        try:
            plan = build(root, args.tasks, args.parallel, script)
            ours, theirs = [], []
            for _ in range(args.repeat):
                ours.append(time_ferryman(root, plan, args.tasks))
                theirs.append(time_xargs(root, args.tasks, args.parallel))
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            return Row.failed(name, peer, TARGET, str(exc))
    return Row(name, peer, ours, theirs, TARGET)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    if args.tasks < 1 or args.parallel < 1 or args.repeat < 1:
        ap.error("--tasks, --parallel and --repeat must be at least 1")
    rows = [
        measure(f"(a) run {args.tasks:,} tiny scripts", TINY, args),
        measure(f"(b) run {args.tasks:,} FlyBase-excerpt scripts", REAL, args),
    ]
    print(f"pipe spawning: {args.tasks:,} scripts, parallelism {args.parallel}, median of {args.repeat}, "
          f"{os.cpu_count()} CPUs; target: wall time <= {TARGET:g}x xargs' (throughput >= 0.5)")
    print()
    print(table(rows), end="")
    for r in rows:
        if not r.error:
            print(f"  {r.measure}: {args.tasks / r.ours_median:,.0f} scripts/s against xargs' "
                  f"{args.tasks / r.peer_median:,.0f} (throughput ratio {r.peer_median / r.ours_median:.2f})")
    missed, failed = outcome(rows)
    if args.json:
        doc = {"benchmark": "pipe spawning", "tasks": args.tasks, "parallel": args.parallel, "repeat": args.repeat,
               "environment": environment(), "rows": [r.as_dict() for r in rows],
               "all_ok": not missed and not failed}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
