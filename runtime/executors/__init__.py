"""One executor per task kind (named by the kind, `compiler.tasks`). Each takes a plan Task and the
run's `RunContext` (runtime services) and returns a `TaskOutcome`."""

from __future__ import annotations

from ..process import kill_group
from ..services import Executor, RunContext

__all__ = ["Executor", "RunContext", "executor_for", "kill_group"]


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
