"""The `bridge` kind: one `bridge:check` task when the workspace has a `[bridge]` (docs/bridge.md).

It gates the network: every task whose kind needs the network waits for it. Its executor checks
that the SOCKS port listens and otherwise fails with the `ferryman tunnel` line to run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import BaseKind, TaskSpec

if TYPE_CHECKING:
    from ..ir import Workspace

TASK_ID = "bridge:check"


class BridgeKind(BaseKind):
    name = "bridge"
    rank = 0
    network_gate = True
    executor = "ferryman.runtime.executors.bridge:run_bridge_check"

    def specs(self, ws: Workspace) -> Iterable[TaskSpec]:
        b = ws.bridge
        if b is None:
            return
        yield TaskSpec(TASK_ID, {"socks_port": b.socks_port, "jump": b.jump, "target": b.target, "wait_s": b.wait_s})

    def proxy(self, action: Mapping[str, Any]) -> str | None:
        """`socks5h://`: host names resolve on the far side of the tunnel (docs/bridge.md)."""
        return f"socks5h://127.0.0.1:{int(action['socks_port'])}"

    def details(self, action: Mapping[str, Any], root: str) -> list[tuple[str, str]]:
        wait = action["wait_s"]
        return [("check", f"SOCKS port 127.0.0.1:{action['socks_port']} listens (wait up to {wait} s)")]


KIND = BridgeKind()
