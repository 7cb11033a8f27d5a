"""Check workspace inputs against their JSON Schemas and semantic rules.

With no PATH, the workspace in the current folder (ferryman.toml). Exit 0 when valid (warnings
allowed), 1 when invalid or, with --strict, when there are warnings; 2 on usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from ..errors import ExitCode, UsageError
from ..output import FORMATS

if TYPE_CHECKING:
    from ferryman.compiler.pipeline import Report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check (default: the workspace)")
    p.add_argument("--workspace", metavar="FILE", help="a ferryman.toml to check with every input it names")
    p.add_argument(
        "--kind",
        choices=["manifest", "zmap", "styles", "copy-plan", "externals"],
        help="treat every PATH as this kind instead of detecting it",
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (docs/validate.md)")
    p.add_argument("--strict", action="store_true", help="warnings fail the check too")
    p.add_argument(
        "--skip-unknown",
        action="store_true",
        help="skip named files whose kind is not recognized (for pre-commit hooks)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")


def run(args: argparse.Namespace) -> int:
    from ..output import render_findings, summary_line
    from . import no_gc

    if args.workspace and args.paths:
        raise UsageError("give PATHs or --workspace, not both")
    with no_gc():
        report = _validate(args)
    out = render_findings(report.diagnostics, args.format, files_checked=report.files)
    if args.format == "text":
        sys.stderr.write(out)
        if not args.quiet:
            sys.stderr.write(summary_line(report.diagnostics, report.files) + "\n")
    else:
        sys.stdout.write(out)
    failed = report.errors > 0 or (args.strict and report.warnings > 0)
    return ExitCode.FAILED if failed else ExitCode.OK


def _validate(args: argparse.Namespace) -> Report:
    from ferryman.compiler.pipeline import validate_paths, validate_workspace

    if args.workspace:
        if not os.path.isfile(args.workspace):
            raise UsageError(f"workspace manifest {args.workspace} does not exist")
        report = validate_workspace(args.workspace)
    elif args.paths:
        missing = [p for p in args.paths if not os.path.lexists(p)]
        if missing:
            raise UsageError(f"no such file or folder: {missing[0]}")
        report = validate_paths(args.paths, args.kind, skip_unknown=args.skip_unknown)
    else:
        if not os.path.isfile("ferryman.toml"):
            raise UsageError(
                "no ferryman.toml in the current folder",
                hint="give PATHs to check, or --workspace FILE",
            )
        report = validate_workspace("ferryman.toml")
    return report
