"""The one vocabulary of a task's fate, shared by the scheduler, the journal, progress and `runs`.

A task is ``pending`` until it starts (``running``) and ends ``succeeded``, ``failed``, ``skipped``
(a task it waits for failed) or ``cancelled`` (it never started, or was stopped, because the run was
stopped by a signal or by fail-fast). The journal writes these words as they are (docs/run.md).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

__all__ = ["TERMINAL", "TaskEvent", "TaskOutcome", "TaskRecord", "TaskStatus"]


class TaskStatus(str, enum.Enum):
    """A task's status; compares equal to (and hashes as) its journal word, e.g. ``"cancelled"``."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # a task it waits for (transitively) failed
    CANCELLED = "cancelled"  # never started, or stopped: stop(), a signal, or fail-fast

    def __str__(self) -> str:  # the word, in f-strings and templates alike
        return self.value

    def __hash__(self) -> int:  # equal to its word, so it must hash as its word (Enum hashes the name)
        return str.__hash__(self.value)

    @classmethod
    def parse(cls, word: object, default: TaskStatus) -> TaskStatus:
        """The status a journal word names, or ``default`` for anything else (a damaged journal)."""
        try:
            return cls(word)
        except ValueError:
            return default


TERMINAL = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.SKIPPED, TaskStatus.CANCELLED})


@dataclasses.dataclass(frozen=True)
class TaskOutcome:
    """What an executor returns: success or failure, a message, an optional warning line, and
    per-item records for the journal (e.g. one NDEx copy decision per network, as a JSON object)."""

    ok: bool
    message: str = ""
    warning: str | None = None
    details: tuple[Mapping[str, Any], ...] = ()


@dataclasses.dataclass(frozen=True)
class TaskEvent:
    """One transition of a task to ``status``, stamped with ``time.monotonic()`` seconds.

    ``message`` says why for FAILED (the executor's message), SKIPPED (``because X failed``) and
    CANCELLED (the reason); ``cause`` names the failed task at the root of a SKIPPED; ``outcome`` is
    the executor's result for SUCCEEDED and FAILED.
    """

    status: TaskStatus
    task_id: str
    at_s: float
    message: str = ""
    cause: str | None = None
    outcome: TaskOutcome | None = None


@dataclasses.dataclass
class TaskRecord:
    """What happened to one task: the scheduler's result per task, and the journal's summary of it.

    ``started`` and ``ended`` are seconds on the clock of whoever made the record: the scheduler's
    are ``time.monotonic()`` values, a journal summary's are Unix times. ``message`` is what the
    executor said; ``error`` why the task did not succeed (the executor's message when it failed,
    ``because X failed`` when skipped, the reason when cancelled); ``cause`` the failed task at the
    root of a skip; ``output`` the file it wrote (journal only); ``details`` the executor's per-item
    records.
    """

    id: str
    status: TaskStatus = TaskStatus.PENDING
    started: float | None = None
    ended: float | None = None
    message: str = ""
    warning: str | None = None
    error: str | None = None
    cause: str | None = None
    output: str | None = None
    details: tuple[Mapping[str, Any], ...] = ()

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end, or None when the task did not run to an end."""
        return self.ended - self.started if self.started is not None and self.ended is not None else None
