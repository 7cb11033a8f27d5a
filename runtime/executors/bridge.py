"""The bridge check: the SOCKS port must listen before any task that needs the network starts
(docs/bridge.md, "Runs through a tunnel")."""

from __future__ import annotations

import socket
import time

from ferryman.compiler.plan import Task
from ferryman.compiler.tunnel import tunnel_hint

from ..scheduler import TaskOutcome
from . import RunContext

POLL_S = 0.2  # between connection attempts while waiting
CONNECT_TIMEOUT_S = 1.0  # one attempt; a local port answers or refuses at once


def run_bridge_check(task: Task, ctx: RunContext) -> TaskOutcome:
    """Succeeds once something accepts on 127.0.0.1:`socks_port`, trying for up to `wait_s`
    seconds (at least once); else fails with the `ferryman tunnel` line of the `[bridge]`, built
    from the run's environment (`$USER` when the target names no user), so the message and
    `ferryman tunnel` print the same command."""
    a = dict(task.action)
    port = int(a["socks_port"])
    deadline = time.monotonic() + float(a["wait_s"])
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT_S):
                return TaskOutcome(True, f"SOCKS port {port} listens")
        except OSError:
            if ctx.stop.is_set():
                return TaskOutcome(False, "interrupted")
            if time.monotonic() >= deadline:
                line = tunnel_hint(a, ctx.environ)
                return TaskOutcome(False, f"nothing listens on 127.0.0.1:{port}; start the tunnel: {line}")
            ctx.stop.wait(POLL_S)
