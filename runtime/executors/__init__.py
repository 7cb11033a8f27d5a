"""One executor per task kind. Each takes a plan Task and the run's context and returns an outcome."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import threading
from collections.abc import Callable

from ferryman.compiler.plan import Plan, Task

from ..scheduler import TaskOutcome


@dataclasses.dataclass
class RunContext:
    """What every executor of one run shares."""

    plan: Plan
    state_dir: str  # absolute
    env: dict[str, str]  # the environment scripts get (proxy variables included)
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    _procs: set[subprocess.Popen[bytes]] = dataclasses.field(default_factory=set)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def path(self, rel: str) -> str:
        return rel if os.path.isabs(rel) else os.path.join(self.plan.root, rel)

    def track(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)

    def untrack(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def terminate_all(self) -> None:
        """Stop every running child's whole process group (SIGTERM; executors follow with SIGKILL)."""
        self.stop.set()
        with self._lock:
            procs = list(self._procs)
        for p in procs:
            kill_group(p, signal.SIGTERM)


def kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


Executor = Callable[[Task, RunContext], TaskOutcome]


def executor_for(kind: str) -> Executor | None:
    """The executor of a task kind (imported when first asked for), or None when the kind is
    unknown or this version cannot run it."""
    from ferryman.compiler import tasks

    k = tasks.registry().get(kind)
    if k is None or k.executor is None:
        return None
    try:
        ex: Executor = tasks.load_executor(k.executor)
    except (ImportError, AttributeError):
        return None
    return ex
