"""ZMap pipe-server tasks: run the script without a shell, check its GFF as it streams, write the
output atomically; on failure keep what arrived as `<source>.partial.gff` (DESIGN 2.2, 4)."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time

from ferryman.compiler.plan import Task

from ..files import tail_line
from ..gff import GffChecker
from ..scheduler import TaskOutcome
from . import RunContext, kill_group

CHUNK = 1 << 16
GRACE_S = 2.0  # between SIGTERM and SIGKILL
MAX_GFF_ERRORS = 20  # stored per task; the rest are only counted


def run_pipe(task: Task, ctx: RunContext) -> TaskOutcome:
    a = task.action
    out = ctx.path(a["output"])
    folder = os.path.dirname(out)
    os.makedirs(folder, exist_ok=True)
    stem = out[:-4] if out.endswith(".gff") else out
    partial, log_path = stem + ".partial.gff", stem + ".stderr.log"
    tmp = os.path.join(folder, f".{os.path.basename(out)}.{os.getpid()}.tmp")
    timeout = float(a["timeout_s"])

    with open(log_path, "wb") as log, open(tmp, "wb") as sink:
        try:
            proc = subprocess.Popen(
                a["argv"], cwd=a["cwd"], env=ctx.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=log, start_new_session=True, close_fds=True,
            )
        except OSError as exc:
            os.unlink(tmp)
            return TaskOutcome(False, f"cannot start {a['argv'][0]}: {exc.strerror or exc}")
        ctx.track(proc)
        try:
            checker = GffChecker(max_errors=MAX_GFF_ERRORS)
            ended_by = _pump(proc, sink, checker, ctx, time.monotonic() + timeout)
            sink.flush()
            os.fsync(sink.fileno())
        finally:
            ctx.untrack(proc)
    errors = checker.close()
    warning = tail_line(log_path)
    rc = proc.returncode

    failure = None
    if ended_by == "timeout":
        failure = f"timed out after {timeout:g} s (process group killed)"
    elif ended_by == "stopped":
        failure = "interrupted"
    elif rc != 0:
        failure = f"exited with status {rc}" if rc > 0 else f"killed by signal {-rc}"
    elif errors:
        first = errors[0]
        more = f" (and {checker.error_count - 1} more)" if checker.error_count > 1 else ""
        failure = f"invalid GFF at stdout line {first.line}: {first.message}{more}"
    if failure is None:
        os.replace(tmp, out)
        if os.path.exists(partial):
            os.unlink(partial)
        return TaskOutcome(True, f"{checker.lines} lines of GFF{checker.version or ''}", warning)
    os.replace(tmp, partial)
    return TaskOutcome(False, failure, warning)


def _pump(
    proc: subprocess.Popen[bytes], sink: object, checker: GffChecker, ctx: RunContext, deadline: float
) -> str:
    """Copy stdout to `sink` through the checker until EOF and exit; returns how it ended."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    write = sink.write  # type: ignore[attr-defined]
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill(proc)
                return "timeout"
            if ctx.stop.is_set():
                _kill(proc)
                return "stopped"
            if not sel.select(min(remaining, 0.25)):
                continue
            chunk = os.read(fd, CHUNK)
            if not chunk:
                break
            write(chunk)
            if not checker.limit_reached:  # keep copying what arrives, stop checking it
                checker.feed(chunk)
    finally:
        sel.close()
        proc.stdout.close()
    # stdout closed; the script may still be running (or its children holding nothing)
    while True:
        try:
            proc.wait(timeout=min(max(deadline - time.monotonic(), 0.01), 0.25))
            return "exit"
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                _kill(proc)
                return "timeout"
            if ctx.stop.is_set():
                _kill(proc)
                return "stopped"


def _kill(proc: subprocess.Popen[bytes]) -> None:
    kill_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        kill_group(proc, signal.SIGKILL)
        proc.wait()
