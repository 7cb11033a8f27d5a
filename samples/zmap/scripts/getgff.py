#!/usr/bin/env python3
"""getgff.py - a ZMap pipe server: the gene models of a GFF3 file that overlap a region.

Arguments are key=value pieces (the pipe:// query, then zmap_start=/zmap_end= from ZMap):
  file=PATH          the GFF3 file, relative to the working folder (script-dir)
  featuresets=A,B    serve only these GFF sources (column 2); default: all
  source=NAME        the name written to the trace file (see below); default: getgff
  zmap_start=S zmap_end=E   the region; default: the whole file
Whole models are served: a top-level feature that overlaps the region comes with all of its
parts, so every Parent resolves. When FERRYMAN_TRACE names a file, one line
"NAME START END" (time.time() at start and end) is appended to it.
"""

import sys
import time

from demotrace import trace


def main(argv):
    started = time.time()
    args = dict(a.split("=", 1) for a in argv if "=" in a)
    try:
        return serve(args)
    finally:
        trace(args.get("source", "getgff"), started)


def serve(args):
    path = args.get("file")
    if not path:
        sys.stderr.write("getgff.py: error: no file= argument\n")
        return 2
    wanted = {s for s in args.get("featuresets", "").split(",") if s}
    start = int(args.get("zmap_start", 1))
    end = int(args.get("zmap_end", 2**62))
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        sys.stderr.write(f"getgff.py: error: cannot read {path}: {exc.strerror}\n")
        return 2

    header = [line for line in lines if line.startswith(("##gff-version", "##sequence-region"))]
    features = [line.split("\t") for line in lines if line and not line.startswith("#")]
    children = {}
    roots = []
    for cols in features:
        attrs = dict(kv.split("=", 1) for kv in cols[8].split(";") if "=" in kv)
        cols.append(attrs)
        parents = attrs.get("Parent")
        if parents:
            for parent in parents.split(","):
                children.setdefault(parent, []).append(cols)
        else:
            roots.append(cols)

    keep = set()
    for cols in roots:
        if wanted and cols[1] not in wanted:
            continue
        if int(cols[3]) <= end and int(cols[4]) >= start:
            stack = [cols]
            while stack:
                node = stack.pop()
                if id(node) in keep:
                    continue
                keep.add(id(node))
                stack.extend(children.get(node[9].get("ID", ""), []))

    out = [*header] if header else ["##gff-version 3"]
    out += ["\t".join(cols[:9]) for cols in features if id(cols) in keep]
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
