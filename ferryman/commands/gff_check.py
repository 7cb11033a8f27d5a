"""Check GFF2/GFF3 files the way the runtime checks a pipe script's output (see docs/gff.md).

Errors go to stderr as `path:LINE: message`, warnings as `path:LINE: warning: message`; with
--format json or github to stdout (ferryman/output.py). `-` reads standard input.
Exit 0 when every file is valid, 1 when one is not, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys

from ..errors import ExitCode, UsageError
from ..output import FORMATS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="FILE", help="GFF files to check; - reads standard input")
    p.add_argument(
        "--max-errors",
        type=int,
        default=100,
        metavar="N",
        help="show at most N errors per file; the rest are counted (default 100)",
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (docs/gff.md)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")


def run(args: argparse.Namespace) -> int:
    from ferryman.runtime.gff import check_file, check_stream

    from ..output import GffOutcome, gff_summary_line, render_gff

    if args.max_errors < 1:
        raise UsageError(f"--max-errors must be at least 1, not {args.max_errors}")
    if args.paths.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    for path in args.paths:
        if path != "-" and not os.path.exists(path):
            raise UsageError(f"no such file: {path}")
        if os.path.isdir(path):
            raise UsageError(f"{path} is a folder; give GFF files")
        if path != "-" and not (os.path.isfile(path) or stat.S_ISFIFO(os.stat(path).st_mode)):
            # a device such as /dev/zero never ends; a FIFO (`gff-check <(script)`) streams (docs/gff.md)
            raise UsageError(f"{path} is not a regular file or a pipe; give GFF files")

    outcomes: list[GffOutcome] = []
    for path in args.paths:
        shown = "<stdin>" if path == "-" else path
        try:
            if path == "-":
                result = check_stream(sys.stdin.buffer, args.max_errors)
            else:
                result = check_file(path, args.max_errors)
        except OSError as exc:
            outcomes.append(GffOutcome(shown, None, f"cannot read: {exc.strerror or exc}"))
            continue
        outcomes.append(GffOutcome(shown, result))

    if args.format == "text":
        out = render_gff(outcomes, "text", max_errors=args.max_errors)
        if not args.quiet:
            out += gff_summary_line(outcomes) + "\n"
        sys.stderr.write(out)
    else:
        sys.stdout.write(render_gff(outcomes, args.format, max_errors=args.max_errors))
    return ExitCode.OK if all(o.valid for o in outcomes) else ExitCode.FAILED
