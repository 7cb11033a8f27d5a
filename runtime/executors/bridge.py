"""The bridge check: the SOCKS port must listen before any task that needs the network starts."""

from __future__ import annotations

import socket
import time

from ferryman.compiler.plan import Task
from ferryman.compiler.tunnel import tunnel_hint

from ..scheduler import TaskOutcome
from . import RunContext


def run_bridge_check(task: Task, ctx: RunContext) -> TaskOutcome:
    a = dict(task.action)
    port = int(a["socks_port"])
    deadline = time.monotonic() + float(a["wait_s"])
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return TaskOutcome(True, f"SOCKS port {port} listens")
        except OSError:
            if time.monotonic() >= deadline or ctx.stop.is_set():
                return TaskOutcome(False, f"nothing listens on 127.0.0.1:{port}; start the tunnel: {tunnel_hint(a)}")
            time.sleep(0.2)
