#!/usr/bin/env python3
"""slowgff.py - a slow ZMap pipe server: waits, then serves EST matches for a region.

Arguments are key=value pieces (the pipe:// query, then zmap_start=/zmap_end= from ZMap):
  wait=N             seconds to sleep before answering (a slow remote database); default 1
  seq=NAME           the sequence name; default chr6-38
  featureset=NAME    the GFF source (column 2); default ests
  source=NAME        the name written to the trace file; default slowgff
  zmap_start=S zmap_end=E   the region; default 1..100000
Like many real servers it writes a warning to stderr and still succeeds. When FERRYMAN_TRACE
names a file, one line "NAME START END" (time.time() at start and end) is appended to it.
"""

import sys
import time

from demotrace import trace


def main(argv):
    started = time.time()
    args = dict(a.split("=", 1) for a in argv if "=" in a)
    wait = float(args.get("wait", 1))
    seq = args.get("seq", "chr6-38")
    featureset = args.get("featureset", "ests")
    start = int(args.get("zmap_start", 1))
    end = int(args.get("zmap_end", 100000))

    time.sleep(wait)
    sys.stderr.write(f"slowgff.py: warning: EST cache is stale for {seq}:{start}-{end}, served anyway\n")
    out = ["##gff-version 3", f"##sequence-region {seq} {start} {end}"]
    step = 7919  # a prime, so the matches do not line up with other columns
    pos = start + step // 3
    n = 0
    while pos + 499 <= end:
        n += 1
        length = 120 + (pos * 31) % 380
        strand = "+" if n % 3 else "-"
        score = 80 + (pos % 200) / 10
        attrs = f"ID=est.{pos};Name=EST{n:05d};Target=EST{n:05d} 1 {length} +"
        cols = [seq, featureset, "expressed_sequence_match", pos, pos + length - 1, f"{score:.1f}", strand, ".", attrs]
        out.append("\t".join(str(c) for c in cols))
        pos += step
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
    trace(args.get("source", "slowgff"), started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
