"""Execute a compiled plan (or compile the workspace and execute it).

Exit codes: 0 every task succeeded; 1 a task failed (or invalid input); 2 usage; 3 the saved plan is
stale (an input changed; --force-stale runs it anyway); 4 another run holds the workspace lock;
70 internal error (a bug); 130 interrupted (SIGINT/SIGTERM: children are terminated and the journal
is written). A reader that closes stdout or stderr early does not change the exit code.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError
from ..output import FORMATS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("plan", nargs="?", metavar="PLAN", help="a plan saved by 'ferryman plan --out'")
    p.add_argument("--workspace", metavar="FILE", help="compile this manifest and run it (default: ./ferryman.toml)")
    p.add_argument("--only", nargs="+", action="extend", metavar="ID", default=[],
                   help="run only these tasks (repeatable)")
    p.add_argument("--with-deps", action="store_true", help="with --only: and the tasks they need")
    p.add_argument("--include-delayed", action="store_true", help="run delayed sources too")
    p.add_argument("--featureset", action="append", default=[], metavar="NAME",
                   help="run the sources that provide this featureset (repeatable)")
    p.add_argument("--max-parallel", type=int, metavar="N", help="override the workspace's max_parallel")
    p.add_argument("--fail-fast", action="store_true", help="start nothing new after the first failure")
    p.add_argument("--resume", action="store_true", help="skip tasks that succeeded for this plan already")
    p.add_argument("--progress", choices=["auto", "plain", "none"], default="auto",
                   help="progress lines on stderr: auto (on a terminal only), plain (always), none")
    p.add_argument("--log-format", choices=["text", "json"], default="text",
                   help="json: every task transition as a JSON line on stdout instead of progress lines")
    p.add_argument("--force-stale", action="store_true", help="run a saved plan even if its inputs changed")
    p.add_argument("--format", choices=FORMATS,
                   help="the final result: text (the summary), json (one line), github (annotations of failed"
                        " tasks); default text, or json with --log-format json (docs/run.md)")
    p.add_argument("--shared-lock", action="store_true",
                   help="share the workspace lock with other --shared-lock runs, locking only the tasks run: "
                        "for a scheduler that keeps the groups and host limits itself (docs/export.md)")


def run(args: argparse.Namespace) -> int:
    from ferryman.compiler.plan import Plan, load_plan
    from ferryman.runtime.runner import RunOptions, execute

    from .plan import compile_workspace

    if args.plan and args.workspace:
        raise UsageError("give a PLAN or --workspace, not both")
    if args.with_deps and not args.only:
        raise UsageError("--with-deps needs --only")
    if args.max_parallel is not None and args.max_parallel < 1:
        raise UsageError("--max-parallel must be at least 1")
    if args.plan:
        plan = load_plan(args.plan)
    else:
        compiled = compile_workspace(args.workspace or "ferryman.toml", include_delayed=False)
        assert isinstance(compiled, Plan)
        plan = compiled
    opts = RunOptions(
        only=tuple(args.only), with_deps=args.with_deps, include_delayed=args.include_delayed,
        featuresets=tuple(args.featureset), max_parallel=args.max_parallel, fail_fast=args.fail_fast,
        resume=args.resume, progress=args.progress, log_format=args.log_format, force_stale=args.force_stale,
        shared_lock=args.shared_lock,
    )
    result = execute(plan, opts)
    # the final result (ferryman/output.py); with --log-format json it defaults to json, the last
    # line of the event stream
    from ..output import render_run

    fmt = args.format or ("json" if args.log_format == "json" else "text")
    _write_summary(render_run(result.summary, fmt))
    return result.exit_code


def _write_summary(text: str) -> None:
    """Print the summary; a reader that left (`| head -1`) changes nothing: the run has ended and
    its exit code still says how the tasks went (docs/run.md, "Exit status")."""
    from ferryman.runtime.progress import stream_gone

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (OSError, ValueError, AttributeError):  # BrokenPipeError, a closed or missing stdout
        stream_gone(sys.stdout)
