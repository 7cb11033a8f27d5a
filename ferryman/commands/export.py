"""Write a compiled plan for another workflow engine: `ferryman export snakemake PLAN [-o Snakefile]`.

The Snakefile runs each task with `ferryman run PLAN --only ID`; server groups and host limits
become Snakemake resources with their capacities (docs/export.md). Exit codes: 0 written; 1 the
plan is not a ferryman plan; 2 usage (no such file, unknown target).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys

from ..errors import ExitCode, UsageError

TARGETS = ("snakemake",)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", choices=TARGETS, help="the workflow engine to write for")
    p.add_argument("plan", metavar="PLAN", help="a plan saved by 'ferryman plan --out'")
    p.add_argument("-o", "--output", metavar="FILE", default="-", help="where to write it (default: stdout)")
    p.add_argument("--include-delayed", action="store_true", help="add the delayed tasks (left out by default)")
    p.add_argument("--ferryman", metavar="COMMAND",
                   help="how the rules call ferryman (default: this ferryman's absolute path); "
                        "split like a shell line, e.g. 'apptainer exec img.sif ferryman'")


def ferryman_command() -> list[str]:
    """This installation's ferryman: the console script beside the interpreter, else the one on
    PATH, else `python -m ferryman` with this interpreter."""
    beside = os.path.join(os.path.dirname(sys.executable), "ferryman")
    if os.access(beside, os.X_OK):
        return [os.path.abspath(beside)]
    found = shutil.which("ferryman")
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "ferryman"]


def run(args: argparse.Namespace) -> int:
    from ferryman.compiler.export import snakefile
    from ferryman.compiler.plan import load_plan
    from ferryman.runtime.files import atomic_write

    plan_path = os.path.abspath(args.plan)
    plan = load_plan(plan_path)
    if args.ferryman is not None:
        try:
            command = shlex.split(args.ferryman)
        except ValueError as exc:
            raise UsageError(f"--ferryman: {exc}") from None
        if not command:
            raise UsageError("--ferryman needs a command")
    else:
        command = ferryman_command()
    text = snakefile(plan, plan_path, command, include_delayed=args.include_delayed)
    if args.output == "-":
        sys.stdout.write(text)
        return ExitCode.OK
    overwritten = plan.input_at(args.output)
    if overwritten is None and _same_file(args.output, plan_path):
        overwritten = "the plan"
    if overwritten is not None:
        raise UsageError(f"-o {args.output} is {overwritten}, an input of the workspace: "
                         "writing the Snakefile there would overwrite it")
    try:
        atomic_write(args.output, text)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    sys.stderr.write(f"Snakefile written to {args.output}; run it with: snakemake -s {shlex.quote(args.output)} "
                     "--cores N\n")
    return ExitCode.OK


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False
