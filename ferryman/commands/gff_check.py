"""Check GFF2/GFF3 files the way the runtime checks a pipe script's output (see docs/gff.md).

Errors go to stderr as `path:LINE: message`, warnings as `path:LINE: warning: message` (or to
stdout as JSON with --format json); `-` reads standard input.
Exit 0 when every file is valid, 1 when one is not, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from ..errors import ExitCode, UsageError

if TYPE_CHECKING:
    from ferryman.runtime.gff import GffResult

    Outcome = tuple[str, GffResult | None, str | None]  # path as shown, result, read error


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="FILE", help="GFF files to check; - reads standard input")
    p.add_argument(
        "--max-errors",
        type=int,
        default=100,
        metavar="N",
        help="show at most N errors per file; the rest are counted (default 100)",
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")


def run(args: argparse.Namespace) -> int:
    from ferryman.runtime.gff import check_file, check_stream

    if args.max_errors < 1:
        raise UsageError(f"--max-errors must be at least 1, not {args.max_errors}")
    if args.paths.count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    for path in args.paths:
        if path != "-" and not os.path.exists(path):
            raise UsageError(f"no such file: {path}")
        if os.path.isdir(path):
            raise UsageError(f"{path} is a folder; give GFF files")

    outcomes: list[Outcome] = []
    for path in args.paths:
        shown = "<stdin>" if path == "-" else path
        try:
            if path == "-":
                result = check_stream(sys.stdin.buffer, args.max_errors)
            else:
                result = check_file(path, args.max_errors)
        except OSError as exc:
            outcomes.append((shown, None, f"cannot read: {exc.strerror or exc}"))
            continue
        outcomes.append((shown, result, None))

    failed = sum(1 for _, r, problem in outcomes if problem or (r is not None and not r.valid))
    if args.format == "json":
        sys.stdout.write(json.dumps(_as_json(outcomes), indent=2) + "\n")
    else:
        out = []
        for shown, r, problem in outcomes:
            if problem:
                out.append(f"{shown}: {problem}\n")
                continue
            assert r is not None
            shown_lines = [(e.line, 0, e.text(shown)) for e in r.errors]
            shown_lines += [(w.line, 1, f"{shown}:{w.line}: warning: {w.message}") for w in r.warnings]
            out.extend(text + "\n" for _, _, text in sorted(shown_lines))
            if r.truncated:
                hidden = r.error_count - len(r.errors)
                plural = "s" if hidden != 1 else ""
                out.append(f"{shown}: {hidden} more error{plural} not shown (--max-errors {args.max_errors})\n")
        if not args.quiet:
            out.append(_summary(outcomes, failed) + "\n")
        sys.stderr.write("".join(out))
    return ExitCode.FAILED if failed else ExitCode.OK


def _summary(outcomes: list[Outcome], failed: int) -> str:
    files = f"{len(outcomes)} file{'s' if len(outcomes) != 1 else ''}"
    if not failed:
        return f"ok: {files} valid"
    errors = sum(r.error_count for _, r, _ in outcomes if r is not None)
    errors += sum(1 for _, _, problem in outcomes if problem)
    return f"{errors} error{'s' if errors != 1 else ''} in {failed} of {files}"


def _as_json(outcomes: list[Outcome]) -> dict[str, object]:
    files: list[dict[str, object]] = []
    for shown, r, problem in outcomes:
        if r is None:
            files.append({"path": shown, "valid": False, "read_error": problem})
            continue
        files.append(
            {
                "path": shown,
                "valid": r.valid,
                "version": r.version,
                "lines": r.lines,
                "error_count": r.error_count,
                "truncated": r.truncated,
                "errors": [{"line": e.line, "message": e.message} for e in r.errors],
                "warnings": [{"line": w.line, "message": w.message} for w in r.warnings],
            }
        )
    return {"valid": all(f["valid"] for f in files), "files": files}
