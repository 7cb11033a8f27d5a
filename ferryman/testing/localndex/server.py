"""A running local NDEx v2 server: werkzeug's threaded WSGI server in a background thread.

Used by `ferryman ndex-server` and by the pytest fixtures (`ferryman.testing`). It binds
127.0.0.1 only: the ndex2 client rewrites any host containing "localhost" to its own default.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from .app import NdexApp
from .faults import FaultRule, FaultSwitch, parse_rule
from .storage import Storage

HOST = "127.0.0.1"


class NdexServer:
    """A local NDEx v2 server with its own data directory.

    `users` maps user name to password (the accounts are created or their passwords reset at
    start). `data_dir` None means a temporary directory, removed by `stop()`. `port` 0 picks a free
    port. `faults` are rule strings or FaultRule objects (see `ferryman.testing.localndex.faults`).
    Use as a context manager, or call `start()` and `stop()`.
    """

    def __init__(
        self,
        users: Mapping[str, str] | None = None,
        *,
        data_dir: str | None = None,
        port: int = 0,
        faults: Iterable[str | FaultRule] = (),
        access_log: bool = False,
    ) -> None:
        self.users: dict[str, str] = dict(users or {})
        self._own_dir = data_dir is None
        self.data_dir = data_dir if data_dir is not None else tempfile.mkdtemp(prefix="ferryman-ndex-")
        self._port = port
        self._initial_faults = [parse_rule(f) if isinstance(f, str) else f for f in faults]
        self._access_log = access_log
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.storage: Storage | None = None
        self.app: NdexApp | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> NdexServer:
        """Open the storage and listen; raises OSError when the port cannot be bound."""
        from werkzeug.serving import WSGIRequestHandler, make_server

        access_log = self._access_log

        class Handler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                if access_log:
                    super().log_request(code, size)

            def log_error(self, format: str, *args: Any) -> None:
                if access_log:
                    super().log_error(format, *args)

        self.storage = Storage(self.data_dir)
        for name, password in self.users.items():
            self.storage.put_user(name, password)
        switch = FaultSwitch()
        for rule in self._initial_faults:
            switch.add(rule)
        self.app = NdexApp(self.storage, switch)
        # Bind here: werkzeug's own bind prints to stderr and calls sys.exit on a busy port.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((HOST, self._port))
            listener.listen(128)
            self._server = make_server(
                HOST, listener.getsockname()[1], self.app, threaded=True, request_handler=Handler,
                fd=listener.fileno(),
            )
        except BaseException:
            self.storage.close()
            self.storage = None
            raise
        finally:
            listener.close()  # werkzeug listens on its own duplicate of the descriptor
        self._server.daemon_threads = True
        # loads that a stop interrupted start again
        for row in self.storage._query("SELECT id FROM networks WHERE is_valid=0"):
            self.app.loader.submit(row["id"], None)
        self._thread = threading.Thread(target=self._server.serve_forever, name="ndex-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, let running loads stop, close the database; idempotent."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self.app is not None:
            self.app.loader.stop()
        if self.storage is not None:
            self.storage.close()
            self.storage = None
        if self._own_dir and os.path.isdir(self.data_dir):
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> NdexServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT` — what the ndex2 client takes as its host."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT/v2` — a copy plan's route."""
        return self.root_url + "/v2"

    # -- seeding and inspection ---------------------------------------------------------------

    def _running(self) -> tuple[Storage, NdexApp]:
        if self.storage is None or self.app is None:
            raise RuntimeError("the server is not running")
        return self.storage, self.app

    def add_network(
        self,
        cx: bytes | str | list[Any],
        owner: str,
        *,
        visibility: str = "PRIVATE",
        read_only: bool = False,
        provenance: Mapping[str, Any] | None = None,
        wait: float = 30.0,
        network_id: str | None = None,
    ) -> str:
        """Store a network directly (no HTTP request, not counted as a write) and return its UUID
        (`network_id` when given: seeding with known ids, as a demo's copy plan names them).

        `cx` is the CX as a list of aspect fragments, as bytes, or the path of a CX file (str).
        The load runs as for an upload; with `wait` > 0 this returns once the network is loaded
        (or its load failed), waiting at most `wait` seconds (TimeoutError past that).
        """
        storage, app = self._running()
        user = storage.user_by_name(owner)
        if user is None:
            raise KeyError(f"no user {owner!r} on this server")
        tmp = storage.new_tmp_path()
        if isinstance(cx, str):
            shutil.copyfile(cx, tmp)
        else:
            data = cx if isinstance(cx, bytes) else json.dumps(cx).encode("utf-8")
            with open(tmp, "wb") as fh:
                shutil.copyfileobj(io.BytesIO(data), fh)
        network_id = storage.create_network(user, tmp, None, network_id)
        app.loader.submit(network_id, visibility)
        if wait > 0:
            self.wait_loaded(network_id, wait)
            if read_only:
                storage.set_flag(network_id, "read_only", 1)
            if provenance is not None:
                storage.set_flag(network_id, "provenance", json.dumps(dict(provenance)))
        elif read_only or provenance is not None:
            raise ValueError("read_only and provenance need wait > 0")
        return network_id

    def wait_loaded(self, network_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until the network's isValid is true; returns its summary. TimeoutError past `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            summary = self.summary(network_id)
            if summary["isValid"]:
                return summary
            if time.monotonic() > deadline:
                raise TimeoutError(f"network {network_id} still loading after {timeout} s")
            time.sleep(0.02)

    def summary(self, network_id: str) -> dict[str, Any]:
        """The network's summary as the server would answer it (KeyError if there is none)."""
        storage, _ = self._running()
        net = storage.network(network_id)
        if net is None:
            raise KeyError(network_id)
        return storage.summary(net)

    def network_ids(self) -> list[str]:
        """Every network's UUID, oldest first."""
        storage, _ = self._running()
        return [r["id"] for r in storage._query("SELECT id FROM networks ORDER BY creation_time, id")]

    # -- faults and counters ------------------------------------------------------------------

    def add_fault(self, rule: str | FaultRule) -> FaultRule:
        """Add a fault rule (`METHOD PATH ACTION=VALUE [times=N]`); raises FaultSpecError."""
        _, app = self._running()
        parsed = parse_rule(rule) if isinstance(rule, str) else rule
        app.faults.add(parsed)
        return parsed

    def clear_faults(self) -> None:
        _, app = self._running()
        app.faults.clear()

    @property
    def writes(self) -> dict[str, int]:
        """Write requests received per route label, e.g. `{"POST /v2/network": 2}`."""
        _, app = self._running()
        with app._stats_lock:
            return dict(app.writes)

    @property
    def write_count(self) -> int:
        """All write requests received (POST/PUT/DELETE that change state; search is a read)."""
        return sum(self.writes.values())

    @property
    def requests(self) -> dict[str, int]:
        """All requests received per route label."""
        _, app = self._running()
        with app._stats_lock:
            return dict(app.requests)

    def reset_counts(self) -> None:
        _, app = self._running()
        with app._stats_lock:
            app.requests.clear()
            app.writes.clear()
