"""ferryman: a declarative config compiler and runner for ZMap pipe servers, NDEx copy plans and
IDTrack external-database profiles.

Python API::

    import ferryman
    ws = ferryman.load("samples/ferryman.toml")   # validated, typed IR (raises on invalid input)
    plan = ferryman.compile(ws)                    # the execution graph
    text = plan.to_json()                          # deterministic; Plan.from_json(text) reads it back

    with ferryman.ConnectionBridge(proxy_port=1080, test=True):   # this process through a SOCKS tunnel
        ...                                        # (docs/bridge.md)

Heavy modules are imported only by the functions that need them, so `import ferryman` stays cheap.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .bridge import BridgeError, ConnectionBridge
    from .compiler.ir import Workspace
    from .compiler.plan import Plan

__all__ = ["BridgeError", "ConnectionBridge", "__version__", "compile", "load"]

_LAZY = {"ConnectionBridge": ".bridge", "BridgeError": ".bridge"}  # imported on first use


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(path: str | os.PathLike[str]) -> Workspace:
    """Load, validate and type a workspace (a `ferryman.toml`, or a folder holding one).

    Raises `ferryman.errors.InputError` when any input has an error."""
    from .compiler.ir import build
    from .compiler.validate import load_workspace

    p = os.fspath(path)
    if os.path.isdir(p):
        p = os.path.join(p, "ferryman.toml")
    if not os.path.isfile(p):
        from .errors import UsageError

        raise UsageError(f"workspace manifest {p} does not exist")
    return build(load_workspace(p))


def compile(workspace: Workspace, *, include_delayed: bool = False) -> Plan:
    """Compile a loaded workspace into a `Plan` (tasks, edges, groups, limits, digest)."""
    from .compiler.plan import compile as compile_plan

    return compile_plan(workspace, include_delayed=include_delayed)
