"""Pipe spawning: `ferryman run PLAN` on 1,000 tiny pipe scripts against `xargs -P` running the same
scripts with the same arguments and parallelism, each writing its stdout to a file .

Target: ferryman's throughput (scripts per second) at least half of xargs'. Both sides include
process start-up; ferryman's also includes its own start-up, plan loading, the streaming GFF
check, the atomic write and the journal. The plan is compiled before timing starts (run time
only), as a cron job that runs a reviewed plan would.

    python benchmarks/pipe_bench.py [--tasks 1000] [--parallel 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BENCH_ENV  # with bytecode caching, as a user's command runs

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """#!/bin/sh
# a tiny pipe server: one feature for the region
for a in "$@"; do case "$a" in n=*) n=${a#n=};; zmap_start=*) s=${a#zmap_start=};; esac; done
printf '##gff-version 3\\nchr1\\tbench\\tgene\\t%s\\t%s\\t.\\t+\\t.\\tID=g%s\\n' "$s" "$((s + 10))" "$n"
"""


def build(root: Path, tasks: int, parallel: int) -> Path:
    scripts = root / "zmap" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "tiny.sh").write_text(SCRIPT)
    (scripts / "tiny.sh").chmod(0o755)
    (root / "zmap" / "styles.ini").write_text("[fs]\nmode = basic\n")
    names = [f"s{i:05d}" for i in range(tasks)]
    cfg = ["[ZMap]", "sources = " + " ; ".join(names), "script-dir = scripts", "stylesfile = styles.ini", ""]
    for i, n in enumerate(names):
        cfg += [f"[{n}]", f"url = pipe:///tiny.sh?n={i}", "featuresets = fs", ""]
    (root / "zmap" / "ZMap").write_text("\n".join(cfg))
    (root / "ferryman.toml").write_text(
        f'[workspace]\nname = "pipe-bench"\nmax_parallel = {parallel}\n\n'
        '[zmap]\nconfig = "zmap/ZMap"\nregion = { start = 1000, end = 2000 }\n'
    )
    plan = root / "plan.json"
    subprocess.run([sys.executable, "-m", "ferryman", "plan", "--out", str(plan), "--format", "json"], env=BENCH_ENV,
                   cwd=root, check=True, capture_output=True)
    return plan


def time_ferryman(root: Path, plan: Path) -> float:
    shutil.rmtree(root / ".ferryman", ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ferryman", "run", str(plan), "--progress", "none"], env=BENCH_ENV,
                          cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"ferryman run failed:\n{proc.stderr[-2000:]}")
    return elapsed


def time_xargs(root: Path, tasks: int, parallel: int) -> float:
    out = root / "xargs-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    lines = "".join(f"s{i:05d} n={i}\n" for i in range(tasks))
    cmd = ["xargs", "-P", str(parallel), "-L", "1", "sh", "-c",
           f'cd {root}/zmap/scripts && ./tiny.sh "$1" zmap_start=1000 zmap_end=2000 > {out}/"$0".gff']
    t0 = time.perf_counter()
    subprocess.run(cmd, input=lines, text=True, check=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ferryman-pipe-bench-") as tmp:
        root = Path(tmp)
        plan = build(root, args.tasks, args.parallel)
        ours, peer = [], []
        for _ in range(args.repeat):  # interleaved, so drift hits both alike
            ours.append(time_ferryman(root, plan))
            peer.append(time_xargs(root, args.tasks, args.parallel))
        produced = len(list((root / ".ferryman" / "gff").glob("*.gff")))
    f, x = statistics.median(ours), statistics.median(peer)
    ratio = (args.tasks / f) / (args.tasks / x)
    ok = ratio >= 0.5
    print(f"pipe spawning: {args.tasks} scripts, parallelism {args.parallel}, median of {args.repeat}, "
          f"{os.cpu_count()} CPUs")
    print(f"{'tool':<22}{'median s':>10}{'scripts/s':>12}")
    print(f"{'ferryman run PLAN':<22}{f:>10.3f}{args.tasks / f:>12.0f}")
    print(f"{'xargs -P':<22}{x:>10.3f}{args.tasks / x:>12.0f}")
    print(f"throughput ratio ferryman/xargs: {ratio:.2f} (target >= 0.50) {'ok' if ok else 'MISS'}")
    assert produced == args.tasks, f"ferryman wrote {produced} GFF files, expected {args.tasks}"
    if args.json:
        Path(args.json).write_text(json.dumps({"ferryman_s": ours, "xargs_s": peer, "ratio": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
