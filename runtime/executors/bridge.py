"""The bridge check: the SOCKS port must listen before any task that needs the network starts."""

from __future__ import annotations

import socket
import time

from ferryman.compiler.plan import Task

from ..scheduler import TaskOutcome
from . import RunContext


def tunnel_hint(action: dict[str, object]) -> str:
    port = action.get("socks_port", 1080)
    jump = f" -J {action['jump']}" if action.get("jump") else ""
    target = action.get("target") or "HOST"
    return f"ssh -N -o ExitOnForwardFailure=yes{jump} -R 127.0.0.1:{port} {target}"


def run_bridge_check(task: Task, ctx: RunContext) -> TaskOutcome:
    a = dict(task.action)
    port = int(a["socks_port"])
    deadline = time.monotonic() + float(a.get("wait_s", 10))
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return TaskOutcome(True, f"SOCKS port {port} listens")
        except OSError:
            if time.monotonic() >= deadline or ctx.stop.is_set():
                return TaskOutcome(False, f"nothing listens on 127.0.0.1:{port}; start the tunnel: {tunnel_hint(a)}")
            time.sleep(0.2)
