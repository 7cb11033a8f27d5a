"""ZMap pipe-server tasks: run the script without a shell, check its GFF as it streams, write the
output atomically; on failure keep what arrived as `<source>.partial.gff` (docs/formats.md, ZMap; docs/run.md).

The script runs in its own process group with PR_SET_PDEATHSIG (it dies with ferryman), its stdout
lines are bounded in length, and a write that fails (a full disk) fails the task, kills the group
and removes the temporary file (docs/run.md, "Pipe tasks").
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time

from ferryman.compiler.paths import below
from ferryman.compiler.plan import Task

from .. import gff
from ..files import existing_mode, last_line
from ..gff import GffChecker
from ..process import ScriptProcess, kill_group, start_script
from ..progress import printable
from ..scheduler import TaskOutcome
from . import RunContext

CHUNK = 1 << 16
GRACE_S = 2.0  # between SIGTERM and SIGKILL
MAX_GFF_ERRORS = 20  # stored per task; the rest are only counted
WARNING_CHARS = 500  # of the stderr line shown as the task's warning
# the longest stdout line in bytes (docs/gff.md, "Line length"); the GFF checker's own limit
LINE_LIMIT: int = getattr(gff, "LINE_LIMIT", 4 << 20)


class _WriteFailed(Exception):
    """Writing the output failed (OSError from the file system, e.g. ENOSPC)."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.strerror or str(exc))
        self.reason = _reason(exc)


def run_pipe(task: Task, ctx: RunContext) -> TaskOutcome:
    a = task.action
    out = os.path.normpath(ctx.path(a["output"]))
    if below(out, os.path.normpath(ctx.state_dir)) is None:  # a hand-edited plan: never write elsewhere
        return TaskOutcome(False, f"output {a['output']} is outside the state dir; not run")
    folder = os.path.dirname(out)
    if os.path.islink(folder):  # planted in the state dir: never written through (docs/run.md, "Output paths")
        return TaskOutcome(False, f"{_rel(folder, ctx)} is a symbolic link: no output is written through it")
    stem = out[:-4] if out.endswith(".gff") else out
    partial, log_path = stem + ".partial.gff", stem + ".stderr.log"
    tmp = os.path.join(folder, f".{os.path.basename(out)}.{os.getpid()}.tmp")
    if ctx.crashed_pid is not None:  # what a run killed mid-task left of this output (docs/run.md)
        _remove(os.path.join(folder, f".{os.path.basename(out)}.{ctx.crashed_pid}.tmp"))
    timeout = float(a["timeout_s"])
    # raw descriptors, not file objects: each task makes few system calls, and each one lets go
    # of the GIL that eight workers and the scheduler share (docs/architecture.md, "Speed")
    try:
        log = _create(log_path)
    except OSError as exc:
        return TaskOutcome(False, f"cannot write {_rel(log_path, ctx)}: {_reason(exc)}")
    try:
        try:
            sink = _create(tmp)
        except OSError as exc:
            return TaskOutcome(False, f"cannot write {_rel(tmp, ctx)}: {_reason(exc)}")
        try:
            try:
                proc = start_script(a["argv"], cwd=a["cwd"], env=ctx.env, stderr=log)
            except (OSError, ValueError) as exc:
                _close(sink)
                _remove(tmp)
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                return TaskOutcome(False, f"cannot start {a['argv'][0]}: {why}")
            ctx.track(proc)
            checker = GffChecker(max_errors=MAX_GFF_ERRORS)
            write_error: _WriteFailed | None = None
            ended_at_line = 0
            try:
                try:
                    ended_by, ended_at_line = _pump(proc, sink, checker, ctx, time.monotonic() + timeout)
                    os.fsync(sink)
                except _WriteFailed as exc:
                    write_error, ended_by = exc, "write-failed"
                    _kill(proc)
                except OSError as exc:  # fsync
                    write_error, ended_by = _WriteFailed(exc), "write-failed"
                    _kill(proc)
            finally:
                ctx.untrack(proc)
                if proc.poll() is None:  # an error of our own: the script must not outlive its task
                    _kill(proc)
        finally:
            _close(sink)
        warning = last_line(log)
    finally:
        _close(log)
    # redacted whole, then shortened: a cut cannot leave a piece of a secret unmasked
    warning = printable(ctx.redact(warning))[:WARNING_CHARS] if warning is not None else None
    rc = proc.wait()  # reaped already (by _pump or _kill): returns at once

    if write_error is not None:
        _remove(tmp)
        return TaskOutcome(False, f"cannot write {_rel(out, ctx)}: {write_error.reason} "
                                  "(process group killed, nothing kept)", warning)
    errors = checker.close()
    failure = None
    if ended_by == "timeout":
        failure = f"timed out after {timeout:g} s (process group killed)"
    elif ended_by == "stopped":
        failure = "interrupted"
    elif ended_by == "line-too-long":
        failure = (f"stdout line {ended_at_line} is longer than {LINE_LIMIT:,} bytes: GFF lines must end "
                   "with a newline (process group killed)")
    elif rc != 0:
        failure = f"exited with status {rc}" if rc > 0 else f"killed by signal {-rc}"
    elif errors:
        first = errors[0]
        more = f" (and {checker.error_count - 1} more)" if checker.error_count > 1 else ""
        failure = f"invalid GFF at stdout line {first.line}: {first.message}{more}"
    try:
        if failure is None:
            _replace(tmp, out)
            _remove(partial)  # an earlier run's, now out of date
            lines = f"{checker.lines} line{'s' if checker.lines != 1 else ''}"
            return TaskOutcome(True, f"{lines} of GFF{checker.version or ''}", warning)
    except OSError as exc:
        _remove(tmp)
        return TaskOutcome(False, f"cannot write {_rel(out, ctx)}: {_reason(exc)}", warning)
    try:
        _replace(tmp, partial)
    except OSError as exc:  # the failure stays the task's error; the partial's fate is added to it
        _remove(tmp)
        failure += f" (what arrived cannot be kept as {_rel(partial, ctx)}: {_reason(exc)})"
    return TaskOutcome(False, failure, warning)


def _pump(
    proc: ScriptProcess, sink: int, checker: GffChecker, ctx: RunContext, deadline: float
) -> tuple[str, int]:
    """Copy stdout to `sink` through the checker until EOF and exit; returns how it ended and the
    number of the line being received then. Raises _WriteFailed when `sink` cannot take the bytes."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    poller = select.poll()  # no descriptor of its own, unlike an epoll selector
    poller.register(fd, select.POLLIN)
    buffer = _read_buffer()
    view = memoryview(buffer)
    line_bytes = 0  # bytes of the line being received, not yet ended by a newline
    line = 1  # its number
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _kill(proc)
                return "timeout", line
            if ctx.stop.is_set():
                _kill(proc)
                return "stopped", line
            if not poller.poll(min(remaining, 0.25) * 1000):
                continue
            n = os.readv(fd, [buffer])
            if not n:
                break
            chunk = bytes(view[:n])  # as many bytes as arrived, not a fresh 64 KiB each read
            _write_all(sink, chunk)
            # the line in progress: its length, and the number of one that passed the limit
            long_line = 0
            last = chunk.rfind(b"\n")
            if last < 0:
                line_bytes += len(chunk)
                if line_bytes > LINE_LIMIT:
                    long_line = line
            else:
                if line_bytes + chunk.find(b"\n") > LINE_LIMIT:
                    long_line = line
                line_bytes = len(chunk) - last - 1
                line += chunk.count(b"\n")
            if not checker.limit_reached:  # keep copying what arrives, stop checking it
                checker.feed(chunk)
            # while it checks, the checker tells a FASTA sequence line (checked in pieces, allowed)
            # from any other; once it stops, no line may pass the limit (docs/run.md, "Pipe tasks")
            if checker.long_line or (long_line and not checker.checking):
                _kill(proc)
                return "line-too-long", checker.long_line or long_line
    finally:
        view.release()
        proc.stdout.close()
    # stdout closed; the script may still be running (or its children holding nothing)
    while True:
        try:
            proc.wait(timeout=min(max(deadline - time.monotonic(), 0.01), 0.25))
            return "exit", line
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline:
                _kill(proc)
                return "timeout", line
            if ctx.stop.is_set():
                _kill(proc)
                return "stopped", line


_buffers = threading.local()


def _read_buffer() -> bytearray:
    """This worker thread's read buffer (CHUNK bytes, reused by every task it runs)."""
    buffer: bytearray | None = getattr(_buffers, "buffer", None)
    if buffer is None:
        buffer = _buffers.buffer = bytearray(CHUNK)
    return buffer


def _create(path: str) -> int:
    """A descriptor of a new, empty file at `path`, open for writing and for reading back (the stderr
    log's last line). Made with O_EXCL | O_NOFOLLOW: whatever was there, a symlink or FIFO planted
    in the state dir (`x.stderr.log -> ~/.bashrc`) included, is removed and replaced, never written
    through or blocked on. A missing folder is made."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(3):
        try:
            return os.open(path, flags, 0o666)
        except FileExistsError:  # an earlier run's file, or something planted there
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        except FileNotFoundError:  # the first task of a run in a new state dir
            os.makedirs(os.path.dirname(path), exist_ok=True)
    return os.open(path, flags, 0o666)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to `fd`; raises _WriteFailed (e.g. ENOSPC)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise _WriteFailed(exc) from None


def _replace(tmp: str, path: str) -> None:
    """Rename `tmp` over `path`. A replaced file's mode carries over; a new one keeps the mode its
    creation gave (0666 less the umask, as open() gives: docs/run.md, "Output files")."""
    mode = existing_mode(path)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def _reason(exc: OSError) -> str:
    """Why a file operation failed, as the end of a sentence ("no space left on device")."""
    return (exc.strerror or str(exc)).lower()


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _rel(path: str, ctx: RunContext) -> str:
    return below(path, ctx.plan.root) or path


def _kill(proc: ScriptProcess) -> None:
    kill_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        kill_group(proc, signal.SIGKILL)
        proc.wait()
