"""NDEx copy-plan tasks: run one copy plan through the run's HTTP session, one decision per
network in the journal (docs/ndex.md, "Copy decisions").

Secrets are resolved through `RunContext.secret` (so every value, and its Basic-auth token, is
redacted everywhere); networks of the plan are copied in parallel, at most the smaller of the
source's and the target's host capacity at once, and each network's work holds one unit of both
hosts' run-wide slots (`RunContext.host_slot`), so parallel tasks on one server share its limit.
A plan that cannot start (unreachable server, refused login) fails its task; one network that
fails does not stop the others, but fails the task at the end.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

from ferryman.compiler.plan import Task
from ferryman.errors import FerrymanError

from ..ndex.copy import NetworkDecision, run_copy_plan
from ..scheduler import TaskOutcome
from . import RunContext

FAILED_OUTCOMES = ("failed", "cancelled")


def _workers(task: Task, ctx: RunContext) -> int:
    return max(1, min((ctx.host_capacity(h) for h in task.hosts), default=ctx.plan.per_host_limit))


def register_logins(task: Task, ctx: RunContext) -> None:
    """Resolve both logins now, so the redaction filter knows every form they take on the wire."""
    for side in ("source", "target"):
        spec = task.action.get(side) or {}
        user = ctx.secret(str(spec.get("username") or ""))
        password = ctx.secret(str(spec.get("password") or ""))
        ctx.redact.add_basic_auth(user, password)


def summarize(records: list[NetworkDecision]) -> str:
    """`3 networks: 1 copied, 2 skipped` (outcomes in a fixed order)."""
    counts = Counter(r.outcome for r in records)
    order = ("copied", "updated", "adopted", "skipped", "planned", "failed", "cancelled")
    parts = [f"{counts[o]} {o}" for o in order if counts[o]]
    n = len(records)
    return f"{n} network{'s' if n != 1 else ''}" + (": " + ", ".join(parts) if parts else "")


def run_ndex(task: Task, ctx: RunContext) -> TaskOutcome:
    try:
        register_logins(task, ctx)
    except FerrymanError as exc:
        return TaskOutcome(False, exc.message)
    hosts = task.hosts

    @contextlib.contextmanager
    def per_network() -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for host in hosts:
                stack.enter_context(ctx.host_slot(host))
            yield

    session = ctx.http_session()
    try:
        records = run_copy_plan(session, task.action, ctx.secret, _workers(task, ctx), ctx.stop,
                                around_network=per_network)
    except FerrymanError as exc:
        return TaskOutcome(False, ctx.redact(exc.message))
    finally:
        session.close()
    details = tuple(r.as_dict() for r in records)
    bad = [r for r in records if r.outcome in FAILED_OUTCOMES]
    message = summarize(records)
    if bad:
        first = bad[0]
        why = f"{first.name or first.source_id}: {first.error or first.outcome}"
        return TaskOutcome(False, ctx.redact(f"{message}; {why}"), details=details)
    return TaskOutcome(True, message, details=details)
