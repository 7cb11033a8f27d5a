"""Compile the workspace and print what a run would do, before anything runs.

--out saves the plan (JSON) for `ferryman run PLAN`; a saved plan is refused later if its inputs
changed. Formats: text (for people), json (the plan file), dot and mermaid (drawings).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import ExitCode, FerrymanError, UsageError
from ..say import say


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workspace", metavar="FILE", default="ferryman.toml", help="the manifest (default: ./ferryman.toml)"
    )
    p.add_argument("--out", metavar="FILE", help="save the plan as JSON to FILE (atomically)")
    p.add_argument("--format", choices=["text", "json", "dot", "mermaid"], default="text")
    p.add_argument("--include-delayed", action="store_true", help="delayed sources run too")
    p.add_argument("--only", nargs="+", action="extend", metavar="ID", help="only these tasks (repeatable)")
    p.add_argument("--with-deps", action="store_true", help="with --only: and the tasks they need")
    p.add_argument(
        "--refresh", action="store_true",
        help="ask the NDEx servers what each network would get (copy / update / skip and why); writes nothing",
    )


def compile_workspace(manifest: str, *, include_delayed: bool) -> object:
    """Validate, build the IR and compile; errors are printed as located diagnostics (exit 1)."""
    from ferryman.compiler.ir import build
    from ferryman.compiler.plan import GraphError, compile
    from ferryman.compiler.validate import load_workspace
    from ferryman.output import render_findings, summary_line

    from . import no_gc

    if not os.path.isfile(manifest):
        what = "is not a regular file" if os.path.exists(manifest) else "does not exist"
        raise UsageError(f"workspace manifest {manifest} {what}")
    with no_gc():
        loaded = load_workspace(manifest)
    warnings = [d for d in loaded.diagnostics if not d.is_error]
    if not loaded.ok:
        say(render_findings(loaded.diagnostics, "text", files_checked=len(loaded.files)))
        say(summary_line(loaded.diagnostics, len(loaded.files)) + "\n")
        raise SystemExit(ExitCode.FAILED)
    if warnings:
        say(render_findings(warnings, "text", files_checked=len(loaded.files)))
    try:
        with no_gc():
            return compile(build(loaded), include_delayed=include_delayed)
    except GraphError as exc:
        from ferryman.compiler.taskgraph import diagnostics

        assert loaded.manifest is not None
        say(render_findings(diagnostics(loaded.manifest, exc.problems), "text", files_checked=1))
        raise SystemExit(ExitCode.FAILED) from None


def run(args: argparse.Namespace) -> int:
    from ferryman.compiler.plan import Plan
    from ferryman.compiler.render import render
    from ferryman.runtime.files import atomic_write

    from . import no_gc

    if args.with_deps and not args.only:
        raise UsageError("--with-deps needs --only")
    plan = compile_workspace(args.workspace, include_delayed=args.include_delayed)
    assert isinstance(plan, Plan)
    with no_gc():  # a short burst of many small objects, as in compiling
        if args.only:
            plan = plan.select(args.only, with_deps=args.with_deps)
        if args.out is not None:
            if not args.out:
                raise UsageError("--out needs a file name")
            if os.path.isdir(args.out):
                raise UsageError(f"cannot save the plan to {args.out}: it is a folder", hint="give a file name")
            blocker = _file_in_the_way(args.out)
            if blocker is not None:
                raise UsageError(f"cannot save the plan to {args.out}: {blocker} is not a folder")
            overwritten = plan.input_at(args.out)
            if overwritten is not None:
                what = f"in {overwritten}, the copy-plan folder" if overwritten.endswith("/") else overwritten
                raise UsageError(f"--out {args.out} is {what}, an input of the workspace: saving the plan there "
                                 "would overwrite it" + (" or add a copy plan" if overwritten.endswith("/") else ""),
                                 hint="save it in the state dir, e.g. --out .ferryman/plan.json")
            try:
                atomic_write(args.out, plan.to_json())
            except OSError as exc:
                raise FerrymanError(f"cannot save the plan to {args.out}: {exc.strerror or exc}") from None
            say(f"plan saved to {args.out} ({len(plan.tasks)} tasks, {plan.digest[:19]})\n")
        sys.stdout.write(render(plan, args.format))
    if args.refresh:
        return refresh(plan, args.format)
    return ExitCode.OK


def refresh(plan: object, fmt: str) -> int:
    """`plan --refresh`: for each ndex task, each selected network's decision and reason, asked of
    both servers through the run's HTTP session and secrets (read-only: nothing is written).
    Exit 1 when a plan cannot be asked (a server down, a refused login)."""
    import json

    from ferryman.compiler.plan import Plan
    from ferryman.runtime.executors.ndex import register_logins, summarize
    from ferryman.runtime.ndex.copy import run_copy_plan
    from ferryman.runtime.services import RunContext

    assert isinstance(plan, Plan)
    ctx = RunContext.for_plan(plan, os.path.join(plan.root, plan.state_dir))
    report: dict[str, object] = {}
    failed = 0
    lines = ["", "NDEx refresh (both servers asked; nothing written):"]
    for task in plan.tasks:
        if not task.hosts or "selection" not in task.action:
            continue
        session = ctx.http_session()
        try:
            register_logins(task, ctx)
            records = run_copy_plan(session, task.action, ctx.secret, 4, ctx.stop, refresh=True)
        except FerrymanError as exc:
            failed += 1
            report[task.id] = {"error": ctx.redact(exc.message)}
            lines.append(f"  {task.id}: cannot ask: {ctx.redact(exc.message)}")
            continue
        finally:
            session.close()
        report[task.id] = [r.as_dict() for r in records]
        lines.append(f"  {task.id}: {summarize(records)}")
        for r in records:
            target = f" -> {r.target_id}" if r.target_id else ""
            lines.append(f"    {r.decision:<6} {r.name or '(no name)'} {r.source_id}{target}: {r.reason}")
    if fmt == "json":
        sys.stderr.write(json.dumps({"refresh": report}, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(ctx.redact("\n".join(lines) + "\n"))
    return ExitCode.FAILED if failed else ExitCode.OK


def _file_in_the_way(path: str) -> str | None:
    """The nearest existing ancestor folder of `path` when it is not a folder (a file, a device)."""
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    return parent if parent and not os.path.isdir(parent) else None
