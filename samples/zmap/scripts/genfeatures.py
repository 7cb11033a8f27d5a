#!/usr/bin/env python3
"""genfeatures.py - a ZMap pipe server that makes up deterministic features for a region.

Arguments are key=value pieces (the pipe:// query, then zmap_start=/zmap_end= from ZMap):
  seq=NAME           the sequence name (column 1); default chr6-38
  featureset=NAME    the GFF source (column 2), i.e. the ZMap featureset; default generated
  type=SO_TYPE       the feature type (column 3); default repeat_region
  step=N length=N    one feature about every N bases, each about `length` long; defaults 5000, 300
  seed=N             changes the pattern; default 0
  source=NAME        the name written to the trace file; default genfeatures
  zmap_start=S zmap_end=E   the region; default 1..100000
The same arguments always give the same output. When FERRYMAN_TRACE names a file, one line
"NAME START END" (time.time() at start and end) is appended to it.
"""

import sys
import time

from demotrace import trace


def mix(*numbers):
    # a small deterministic hash (Python's hash() of str changes between runs)
    h = 2166136261
    for n in numbers:
        h = ((h ^ (n & 0xFFFFFFFF)) * 16777619) & 0xFFFFFFFF
    return h


def main(argv):
    started = time.time()
    args = dict(a.split("=", 1) for a in argv if "=" in a)
    seq = args.get("seq", "chr6-38")
    featureset = args.get("featureset", "generated")
    ftype = args.get("type", "repeat_region")
    step = max(1, int(args.get("step", 5000)))
    length = max(1, int(args.get("length", 300)))
    seed = int(args.get("seed", 0))
    start = int(args.get("zmap_start", 1))
    end = int(args.get("zmap_end", 100000))

    out = ["##gff-version 3", f"##sequence-region {seq} {start} {end}"]
    pos = (start + step - 1) // step * step
    n = 0
    while pos <= end:
        h = mix(seed, pos)
        fstart = max(start, pos + h % (step // 2 + 1))
        fend = fstart + length // 2 + h % (length + 1) - 1
        if fend <= end:
            n += 1
            strand = "+-"[h >> 8 & 1]
            score = (h >> 12) % 1000 / 10
            attrs = f"ID={featureset}.{fstart};Name={featureset}_{n}"
            out.append(f"{seq}\t{featureset}\t{ftype}\t{fstart}\t{fend}\t{score:.1f}\t{strand}\t.\t{attrs}")
        pos += step
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
    trace(args.get("source", "genfeatures"), started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
