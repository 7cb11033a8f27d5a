"""Test helpers for ferryman users: a local NDEx v2 server and pytest fixtures for it.

    from ferryman.testing import NdexServer            # the server (extra: ndex-server)
    from ferryman.testing import ndex_server, ndex_server_factory   # pytest fixtures
    from ferryman.testing import make_cx                # a small CX network to seed a server

Importing a fixture name into a conftest.py (or `pytest_plugins = ["ferryman.testing.pytest_plugin"]`)
makes it available to the tests. docs/ndex.md, "Local NDEx server", has a runnable example.
Names are loaded lazily, so `import ferryman.testing` costs nothing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_USERS", "NdexServer", "cx_bytes", "make_cx", "ndex_server", "ndex_server_factory"]


def __getattr__(name: str) -> Any:
    if name == "NdexServer":
        from .localndex import NdexServer

        return NdexServer
    if name in ("make_cx", "cx_bytes"):
        from . import cx

        return getattr(cx, name)
    if name in ("ndex_server", "ndex_server_factory", "DEFAULT_USERS"):
        from . import pytest_plugin

        return getattr(pytest_plugin, name)
    raise AttributeError(f"module 'ferryman.testing' has no attribute {name!r}")
