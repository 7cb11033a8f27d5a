"""The run journal (JSON lines, flushed per event), the workspace lock, and reading earlier runs."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import fcntl
import json
import os
import secrets
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from ferryman.errors import FerrymanError, LockHeldError

from .status import TERMINAL, TaskRecord, TaskStatus


def new_run_id() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z-{secrets.token_hex(2)}"


class Journal:
    """Append-only JSON-lines log of one run: one event per task transition, flushed at once.

    Raises FerrymanError when the run's folder cannot be made. A write that fails later (a full
    disk) does not stop the run: the first error is kept in `error`, reported once on stderr, and
    later events are still tried (a torn line is skipped by readers)."""

    def __init__(self, state_dir: str, run_id: str, *, redact: Callable[[Any], Any] | None = None) -> None:
        """`redact` filters every record before it is written (RunContext.redact.scrub)."""
        self.run_id = run_id
        self._redact = redact
        self.dir = os.path.join(state_dir, "runs", run_id)
        self.path = os.path.join(self.dir, "journal.jsonl")
        self.error: str | None = None
        try:
            os.makedirs(self.dir, exist_ok=True)
            self._fh: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise FerrymanError(f"cannot write the journal {self.path}: {exc.strerror or exc}") from None

    def write(self, event: str, **fields: Any) -> None:
        rec = {"event": event, "time": round(time.time(), 6), **fields}
        if self._redact is not None:
            rec = self._redact(rec)
        try:
            self._fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
            self._fh.flush()
        except OSError as exc:
            self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        if self.error is None:
            self.error = exc.strerror or str(exc)
            _warn_stderr(f"cannot write the journal {self.path}: {self.error}")

    def close(self) -> None:
        if not self._fh.closed:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except OSError as exc:
                self._failed(exc)
            with contextlib.suppress(OSError):
                self._fh.close()


def read_events(path: str, *, warn: Callable[[str], None] | None = None) -> Iterator[dict[str, Any]]:
    """Events of a journal, in order. A line that is not a JSON object in UTF-8 (a torn last line
    after a crash mid-write, stray bytes) is skipped, and `warn` (default: a line on stderr) is
    told which line of which file (docs/run.md, "Journal, resume, lock, signals")."""
    if warn is None:
        warn = _warn_stderr
    try:
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw.decode("utf-8"))
                except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
                    rec = None
                if isinstance(rec, dict):
                    yield rec
                else:
                    warn(f"{path}:{lineno}: skipped a damaged journal line (not a JSON object)")
    except OSError:
        return


_warned: set[str] = set()  # each damaged line is reported once per process


def _warn_stderr(text: str) -> None:
    if text in _warned:
        return
    _warned.add(text)
    with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr closed: say nothing
        sys.stderr.write(f"ferryman: warning: {text}\n")
        sys.stderr.flush()


@dataclasses.dataclass
class RunSummary:
    run_id: str
    path: str
    digest: str | None = None
    workspace: str | None = None
    started: float | None = None
    ended: float | None = None
    status: str = "incomplete"  # succeeded | failed | interrupted | incomplete (crashed)
    tasks: dict[str, TaskRecord] = dataclasses.field(default_factory=dict)
    resources: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # task -> resource ids
    lines: dict[str, list[tuple[str, str]]] = dataclasses.field(default_factory=dict)  # task -> plan lines

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.tasks.values():
            out[t.status] = out.get(t.status, 0) + 1
        return out


def summarize(run_dir: str) -> RunSummary:
    """What a run's journal says. A journal is read back as input: any field may be of the wrong
    type or hostile (a damaged or crafted file), so texts are masked (URL passwords) and have their
    control characters escaped, times are finite numbers or None, and an event without a task id
    is skipped (docs/run.md, "Journal")."""
    s = RunSummary(_name(os.path.basename(run_dir)), run_dir)
    for ev in read_events(os.path.join(run_dir, "journal.jsonl")):
        kind = ev.get("event")
        if kind == "run-start":
            s.digest, s.workspace = _text(ev.get("digest")), _text(ev.get("workspace"))
            s.started = _time(ev.get("time"))
            ids = ev.get("tasks")
            for tid in ids if isinstance(ids, list) else ():
                if isinstance(tid, str):
                    s.tasks.setdefault(_name(tid), TaskRecord(_name(tid)))
            s.resources = {_name(k): tuple(_name(r) for r in v) for k, v in _mapping(ev.get("resources")).items()
                           if isinstance(v, list)}
            s.lines = {_name(k): [(_line(x[0]), _line(x[1])) for x in v if isinstance(x, list) and len(x) == 2]
                       for k, v in _mapping(ev.get("lines")).items() if isinstance(v, list)}
        elif kind == "task":
            if not isinstance(ev.get("task"), str) or not ev["task"]:
                continue
            tid = _name(ev["task"])
            t = s.tasks.setdefault(tid, TaskRecord(tid))
            t.status = TaskStatus.parse(ev.get("status"), t.status)
            if t.status is TaskStatus.RUNNING:
                t.started = _time(ev.get("time"))
            elif t.status in TERMINAL and ev.get("resumed") is True:
                t.started = t.ended = None  # done in an earlier run of the plan, not timed in this one
                t.output = _text(ev.get("output"))
                t.message = _text(ev.get("message")) or "resumed"
                t.warning = _text(ev.get("warning"))
            elif t.status in TERMINAL:
                t.ended = _time(ev.get("time"))
                t.started = t.started if t.started is not None else _time(ev.get("started"))
                t.warning = _text(ev.get("warning"))
                t.error = _text(ev.get("error"))
                out = ev.get("output")  # one path, or several joined (a kind with many outputs)
                t.output = _text(", ".join(o for o in out if isinstance(o, str)) if isinstance(out, list) else out)
                t.message = _text(ev.get("message")) or ""
                t.details = tuple({str(k): _text(v) if isinstance(v, str) else v for k, v in d.items()}
                                  for d in ev.get("details") or () if isinstance(d, dict))
        elif kind == "run-end":
            status = ev.get("status", "failed")
            s.ended = _time(ev.get("time"))
            s.status = status if isinstance(status, str) and status in _RUN_STATUSES else "failed"
    return s


_RUN_STATUSES = frozenset({"succeeded", "failed", "interrupted", "incomplete"})


def _time(value: Any) -> float | None:
    """A journal time: Unix seconds from 0 to 10^11 (year 5138), else None (NaN, 1e308, a string,
    a bool), so that durations and the report's scale stay finite."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e11:
        return float(value)
    return None


def _text(value: Any) -> str | None:
    """A journal text as every report shows it: URL passwords and query strings masked, control
    characters other than newline and tab escaped (a crafted journal cannot drive a terminal);
    None when absent."""
    if value is None:
        return None
    from ferryman.compiler.secrets import mask_text

    return _name(mask_text(value if isinstance(value, str) else json.dumps(value)))


def _name(value: Any) -> str:
    """A task or resource id from a journal (`group:ndex-target:me@host` is no URL): control
    characters other than newline and tab escaped."""
    text = value if isinstance(value, str) else json.dumps(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in "\n\t" else ch.encode("unicode_escape").decode() for ch in text)


def _line(value: Any) -> str:
    return _text(value) or ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def task_facts(tasks: Sequence[Any], root: str) -> dict[str, Any]:
    """Fields of the run-start event that let a report stand on the journal alone: `resources`,
    task id -> the resource ids it holds (`group:NAME`, `host:NAME`), and `lines`, task id -> its
    lines in the text plan as [label, text] pairs (the command line of a pipe task; passwords are
    already masked there). `tasks` are plan Tasks; `root` is the workspace root."""
    from ferryman.compiler import tasks as kinds

    registry = kinds.registry()
    lines: dict[str, list[list[str]]] = {}
    for t in tasks:
        k = registry.get(t.kind)
        if k is not None:
            lines[t.id] = [[label, text] for label, text in k.details(t.action, root)]
    return {"resources": {t.id: list(t.resources) for t in tasks}, "lines": lines}


def runs(state_dir: str) -> list[RunSummary]:
    """Every run recorded under `state_dir`, oldest first."""
    folder = os.path.join(state_dir, "runs")
    if not os.path.isdir(folder):
        return []
    found = [summarize(os.path.join(folder, d)) for d in os.listdir(folder)
             if os.path.isfile(os.path.join(folder, d, "journal.jsonl"))]
    return sorted(found, key=lambda r: (r.started or 0.0, r.run_id))


def succeeded_for(state_dir: str, digest: str) -> dict[str, TaskRecord]:
    """Tasks that succeeded in earlier runs of the same plan digest (what --resume skips)."""
    done: dict[str, TaskRecord] = {}
    for r in runs(state_dir):
        if r.digest != digest:
            continue
        for tid, t in r.tasks.items():
            if t.status == "succeeded":
                done[tid] = t
            elif t.status in ("failed",) and tid in done:
                del done[tid]
    return done


def expected_durations(state_dir: str) -> dict[str, float]:
    """Each task's most recent successful duration, for longest-expected-first ordering."""
    out: dict[str, float] = {}
    for r in runs(state_dir)[-20:]:
        for tid, t in r.tasks.items():
            if t.status == "succeeded" and t.duration_s is not None:
                out[tid] = t.duration_s
    return out


class WorkspaceLock:
    """One run per workspace: an exclusive flock on `<state_dir>/lock` (released if the process dies).

    The lock file names its holder (`pid N`) and, while scripts run, their process groups
    (`group PGID START`, START the leader's start time from /proc/PID/stat, in clock ticks since
    boot). A run that takes the lock from a holder that died (kill -9, a crash) first ends the
    process groups it left behind, so no script of a crashed run overlaps the next one
    (docs/run.md, "Journal, resume, lock, signals"). Raises FerrymanError when the state dir
    cannot be made or written, LockHeldError (exit 4) when another run holds the lock.

    With `tasks`, the lock is for a run whose caller schedules it (the Snakefile of `ferryman export
    snakemake`, docs/export.md): it holds `<state_dir>/lock` shared with other such runs, so an
    ordinary run is still refused while they go on, and each of `tasks` exclusively through
    `<state_dir>/locks/<task>.lock`, so one task never runs twice at once. Server groups and host
    limits are then the caller's to keep; a shared holder records no process groups."""

    def __init__(self, state_dir: str, *, tasks: Sequence[str] | None = None) -> None:
        self.state_dir = state_dir
        self.path = os.path.join(state_dir, "lock")
        self._tasks = tuple(tasks) if tasks is not None else None
        self._task_dir = os.path.join(state_dir, "locks")
        self._fh: IO[str] | None = None
        self._held: list[IO[str]] = []
        self._write_lock = threading.Lock()
        self._starts: dict[int, int | None] = {}  # process group -> its leader's start time
        self.reaped: list[int] = []  # process groups of a dead holder this run ended
        self.crashed_pid: int | None = None  # that holder's pid (executors name temporaries by it)

    def acquire(self) -> None:
        try:
            os.makedirs(self.state_dir, exist_ok=True)
            # never through a symlink planted in the state dir, never blocking on a FIFO
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(0, "the lock file is not a regular file")
            fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            why = f"{self.path} is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror or exc
            raise FerrymanError(
                f"cannot use the state dir {self.state_dir}: {why}",
                hint="state_dir in [workspace] must name a folder this user can write",
            ) from None
        shared = self._tasks is not None
        try:
            fcntl.flock(fh.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            default = "another process" if shared else "runs started by a scheduler (--shared-lock)"
            holder = (fh.read().strip().splitlines() or [default])[0]
            fh.close()
            raise LockHeldError(
                f"another run holds the workspace lock ({holder})",
                hint=f"wait for it to finish; the lock is {self.path}",
            ) from None
        self._fh = fh
        if shared:
            self._lock_tasks(self._tasks or ())
            return
        fh.seek(0)
        left = fh.read()
        self._rewrite([])
        dead_pid, groups = _read_record(left)  # a record left behind: its holder died holding the lock
        self.reaped = end_groups(groups)
        self.crashed_pid = dead_pid if dead_pid != os.getpid() else None

    def _lock_tasks(self, task_ids: Sequence[str]) -> None:
        from ferryman.compiler.paths import file_name

        os.makedirs(self._task_dir, exist_ok=True)
        for tid in sorted(task_ids):  # one order for every run: two runs cannot wait on each other
            path = os.path.join(self._task_dir, file_name(tid) + ".lock")
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
            fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                self.release()
                raise LockHeldError(
                    f"task {tid} is running in another run",
                    hint=f"wait for it to finish; the lock is {path}",
                ) from None
            self._held.append(fh)

    def record_groups(self, groups: list[int]) -> None:
        """Record the process groups of the scripts running now (called on every start and end)."""
        if self._tasks is None:
            self._rewrite(groups)

    def _rewrite(self, groups: list[int]) -> None:
        lines = [f"pid {os.getpid()}"]
        with self._write_lock:
            # a running group's start time does not change: read once from /proc, not again on
            # every start and end of every other script
            starts = {g: self._starts[g] if g in self._starts else _start_time(g) for g in groups}
            self._starts = starts
            lines += [f"group {g} {starts[g]}" for g in sorted(groups) if starts[g] is not None]
            fh = self._fh
            if fh is None:
                return
            try:  # two system calls, at every script's start and end (the descriptor has no O_APPEND)
                data = ("\n".join(lines) + "\n").encode()
                os.pwrite(fh.fileno(), data, 0)
                os.ftruncate(fh.fileno(), len(data))
            except OSError as exc:  # a full disk: the lock still holds, only the record is lost
                if not groups:
                    raise FerrymanError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def release(self) -> None:
        for held in self._held:
            fcntl.flock(held.fileno(), fcntl.LOCK_UN)
            held.close()
        self._held = []
        with self._write_lock:
            if self._fh is not None:
                if self._tasks is None:
                    with contextlib.suppress(OSError):
                        self._fh.seek(0)
                        self._fh.truncate()
                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
                with contextlib.suppress(OSError):
                    self._fh.close()
                self._fh = None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_record(text: str) -> tuple[int | None, list[tuple[int, int]]]:
    """A lock record (`pid N` on its first line, then `group PGID START` lines): the holder's pid
    and the groups. Lines of any other shape (a torn rewrite, a crafted file) are skipped."""
    holder: int | None = None
    groups: list[tuple[int, int]] = []
    for i, line in enumerate(text.splitlines()):
        parts = line.split()
        if i == 0 and len(parts) == 2 and parts[0] == "pid" and parts[1].isdigit():
            holder = int(parts[1])
        elif len(parts) == 3 and parts[0] == "group" and parts[1].isdigit() and parts[2].isdigit():
            groups.append((int(parts[1]), int(parts[2])))
    return holder, groups


def _stat(pid: int | str) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (state, ppid, pgrp, session, …), or None when it is gone."""
    try:  # os-level: three system calls, not a buffered file's eight (this runs at every script's start)
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
        try:
            raw = os.read(fd, 4096)  # one line of about 300 bytes; /proc gives it in one read
        finally:
            os.close(fd)
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2 :].decode("ascii", "replace").split()


def _start_time(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[19]) if fields is not None and len(fields) > 19 else None


def _members(pgid: int) -> list[int]:
    """Live processes (not zombies) whose process group and session are `pgid`: a script started
    with start_new_session and everything it started that stayed in its group."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = _stat(name)
        if f is not None and len(f) > 3 and f[0] != "Z" and f[2] == str(pgid) and f[3] == str(pgid):
            out.append(int(name))
    return out


def _still_ours(pgid: int, start: int) -> bool:
    """The recorded group still exists and is the one a run started. While any member lives the
    kernel does not give the number to a new process; if a process with that pid exists, it must be
    the leader that was recorded (same start time), not a newcomer that reused the pid."""
    if not _members(pgid):
        return False
    leader_start = _start_time(pgid)
    return leader_start is None or leader_start == start


def end_groups(groups: list[tuple[int, int]], grace_s: float = 2.0) -> list[int]:
    """SIGTERM every recorded group that is still ours, then SIGKILL what is left after `grace_s`.
    Returns the groups signalled."""
    ours = [g for g, start in groups if _still_ours(g, start)]
    for g in ours:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(g, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_members(g) for g in ours):
        time.sleep(0.05)
    for g in ours:
        if _members(g):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(g, signal.SIGKILL)
    return ours
