"""pytest fixtures that run local NDEx v2 servers (docs/ndex.md, "Local NDEx server").

* `ndex_server_factory` — a function `start(users=None, faults=(), data_dir=None) -> NdexServer`;
  every server it started is stopped (and its temporary data removed) at the test's end.
* `ndex_server` — one running server with the accounts of DEFAULT_USERS.

Each server listens on 127.0.0.1 on a free port; `.url` is its `/v2` route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import pytest

from .localndex import FaultRule, NdexServer

DEFAULT_USERS: dict[str, str] = {"alice": "alice-secret", "bob": "bob-secret"}

NdexServerFactory = Callable[..., NdexServer]


@pytest.fixture
def ndex_server_factory() -> Iterator[NdexServerFactory]:
    """Start local NDEx servers on demand; all are stopped at teardown."""
    started: list[NdexServer] = []

    def start(
        users: Mapping[str, str] | None = None,
        faults: Iterable[str | FaultRule] = (),
        data_dir: str | None = None,
    ) -> NdexServer:
        server = NdexServer(dict(DEFAULT_USERS if users is None else users), data_dir=data_dir, faults=faults)
        server.start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def ndex_server(ndex_server_factory: NdexServerFactory) -> NdexServer:
    """One running local NDEx server with the accounts of DEFAULT_USERS (alice, bob)."""
    return ndex_server_factory()
