"""List earlier runs of the workspace, or show one run's per-task status, durations and warnings.

`runs show ID --html FILE` also writes the run's HTML report (a timeline per server group and host,
the summary, each task's details; docs/report.md) to FILE, or to stdout with `--html -`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import TYPE_CHECKING

from ..errors import ExitCode, FerrymanError, UsageError

if TYPE_CHECKING:
    from ferryman.runtime.journal import RunSummary


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("run_id", nargs="?", metavar="ID", help="run id (or a unique prefix, or 'latest')")
    p.add_argument("--html", metavar="FILE", help="with 'show': write the run's HTML report to FILE ('-': stdout)")
    p.add_argument(
        "--workspace", metavar="FILE", default="ferryman.toml", help="the manifest (default: ./ferryman.toml)"
    )


def _state_dir(manifest: str) -> str:
    from . import raw_manifest, state_dir_name

    data = raw_manifest(manifest)
    return os.path.join(os.path.dirname(os.path.abspath(manifest)), state_dir_name(data))


def run(args: argparse.Namespace) -> int:
    from ferryman.runtime import journal
    from ferryman.runtime.report import render_summary

    runs = journal.runs(_state_dir(args.workspace))
    if args.action == "list":
        if args.html:
            raise UsageError("--html goes with 'runs show ID'")
        if args.run_id:
            raise UsageError("'runs list' takes no ID (did you mean 'runs show ID'?)")
        if not runs:
            sys.stderr.write("no runs yet\n")
            return ExitCode.OK
        for r in runs:
            when = dt.datetime.fromtimestamp(r.started).strftime("%Y-%m-%d %H:%M:%S") if r.started else "?"
            c = r.counts()
            counts = ", ".join(f"{n} {s}" for s, n in sorted(c.items()))
            sys.stdout.write(f"{r.run_id}  {when}  {r.status:<11}  {counts}\n")
        return ExitCode.OK
    if not args.run_id:
        raise UsageError("'runs show' needs a run ID (or 'latest')")
    if args.run_id == "latest":
        chosen = runs[-1:] if runs else []
    else:
        chosen = [r for r in runs if r.run_id.startswith(args.run_id)]
    if len(chosen) != 1:
        what = "no run" if not chosen else f"{len(chosen)} runs"
        raise UsageError(f"{what} matches {args.run_id!r}", hint="list them with: ferryman runs")
    run = chosen[0]
    if args.html:
        if args.html != "-":
            _refuse_input(args.html, args.workspace, runs)
        return _write_html(run, args.html)
    sys.stdout.write(render_summary(run))
    return ExitCode.OK


def _refuse_input(target: str, manifest: str, runs: list[RunSummary]) -> None:
    """UsageError when writing the report at `target` would overwrite a journal, the manifest or
    an input of the workspace (a pipe script, a copy plan or a file in a copy-plan folder
    included, when the workspace compiles)."""
    from ferryman.compiler.ir import build
    from ferryman.compiler.plan import compile
    from ferryman.compiler.validate import load_workspace

    def same(a: str, b: str) -> bool:
        try:
            return os.path.samefile(a, b)
        except (OSError, ValueError):
            return False

    hit = next((r.path + "/journal.jsonl" for r in runs if same(target, os.path.join(r.path, "journal.jsonl"))), None)
    if hit is None:
        try:
            loaded = load_workspace(manifest)
            hit = next((p for p in loaded.files if same(target, p)), None)
            if hit is None and loaded.ok:
                hit = compile(build(loaded), include_delayed=True).input_at(target)
        except FerrymanError:
            pass  # a workspace that does not compile: its manifest and loaded files were checked
    if hit is not None:
        raise UsageError(f"--html {target} is {hit}, which the report would overwrite",
                         hint="write it elsewhere, e.g. --html report.html")


def _write_html(run: RunSummary, target: str) -> int:
    from ferryman.runtime.files import atomic_write
    from ferryman.runtime.htmlreport import render

    html = render(run)
    if target == "-":
        sys.stdout.write(html)
        return ExitCode.OK
    if os.path.isdir(target):
        raise UsageError(f"cannot write {target}: it is a folder")
    try:
        atomic_write(target, html)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    sys.stderr.write(f"report of run {run.run_id} written to {target}\n")
    return ExitCode.OK
