"""The run journal (JSON lines, flushed per event), the workspace lock, and reading earlier runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from ferryman.errors import LockHeldError

from .status import TERMINAL, TaskRecord, TaskStatus


def new_run_id() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z-{secrets.token_hex(2)}"


class Journal:
    """Append-only JSON-lines log of one run: one event per task transition, flushed at once."""

    def __init__(self, state_dir: str, run_id: str, *, redact: Callable[[Any], Any] | None = None) -> None:
        """`redact` filters every record before it is written (RunContext.redact.scrub)."""
        self.run_id = run_id
        self._redact = redact
        self.dir = os.path.join(state_dir, "runs", run_id)
        os.makedirs(self.dir, exist_ok=True)
        self.path = os.path.join(self.dir, "journal.jsonl")
        self._fh: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, event: str, **fields: Any) -> None:
        rec = {"event": event, "time": round(time.time(), 6), **fields}
        if self._redact is not None:
            rec = self._redact(rec)
        self._fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


def read_events(path: str) -> Iterator[dict[str, Any]]:
    """Events of a journal; a torn last line (a crash mid-write) is ignored."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict):
                    yield rec
    except OSError:
        return


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
            for tid in ev.get("tasks") or ():
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
            elif t.status in TERMINAL:
                t.ended = _time(ev.get("time"))
                t.started = t.started if t.started is not None else _time(ev.get("started"))
                t.warning = _text(ev.get("warning"))
                t.error = _text(ev.get("error"))
                t.output = _text(ev.get("output"))
                t.message = _text(ev.get("message")) or ""
                t.details = tuple({str(k): _text(v) if isinstance(v, str) else v for k, v in d.items()}
                                  for d in ev.get("details") or () if isinstance(d, dict))
        elif kind == "run-end":
            status = ev.get("status", "failed")
            s.ended, s.status = _time(ev.get("time")), status if status in _RUN_STATUSES else "failed"
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

    With `tasks`, the lock is for a run whose caller schedules it (the Snakefile of `ferryman export
    snakemake`, docs/export.md): it holds `<state_dir>/lock` shared with other such runs, so an
    ordinary run is still refused while they go on, and each of `tasks` exclusively through
    `<state_dir>/locks/<task>.lock`, so one task never runs twice at once. Server groups and host
    limits are then the caller's to keep. Raises LockHeldError (exit 4) when a lock is taken."""

    def __init__(self, state_dir: str, *, tasks: Sequence[str] | None = None) -> None:
        os.makedirs(state_dir, exist_ok=True)
        self.path = os.path.join(state_dir, "lock")
        self._tasks = tuple(tasks) if tasks is not None else None
        self._task_dir = os.path.join(state_dir, "locks")
        self._fh: IO[str] | None = None
        self._held: list[IO[str]] = []

    def acquire(self) -> None:
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        shared = self._tasks is not None
        try:
            fcntl.flock(fh.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or ("runs started by a scheduler (--shared-lock)" if not shared
                                           else "another process")
            fh.close()
            raise LockHeldError(
                f"another run holds the workspace lock ({holder})",
                hint=f"wait for it to finish; the lock is {self.path}",
            ) from None
        if not shared:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
        self._fh = fh
        if shared:
            self._lock_tasks(self._tasks or ())

    def _lock_tasks(self, task_ids: Sequence[str]) -> None:
        from ferryman.compiler.paths import file_name

        os.makedirs(self._task_dir, exist_ok=True)
        for tid in sorted(task_ids):  # one order for every run: two runs cannot wait on each other
            path = os.path.join(self._task_dir, file_name(tid) + ".lock")
            fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
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

    def release(self) -> None:
        for fh in self._held:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
        self._held = []
        if self._fh is not None:
            if self._tasks is None:
                self._fh.seek(0)
                self._fh.truncate()
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
