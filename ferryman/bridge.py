"""`ConnectionBridge`: route this Python process's TCP connections through a SOCKS5 proxy.

On a host without internet, `ferryman tunnel` prints the ssh line that opens a SOCKS5 proxy on the
host's 127.0.0.1:1080; the bridge makes every library in this process use it. It patches
`socket.socket` with PySocks' `socksocket` (default proxy: SOCKS5, remote DNS) and
`socket.create_connection` so that the host name, not a locally resolved address, goes to the
proxy (remote DNS: the far side resolves names the host cannot). With `set_env` it also sets
`ALL_PROXY`/`all_proxy` to ``socks5h://HOST:PORT`` for child processes and for clients that read
them (requests). `stop()` puts back exactly what was there before. See docs/bridge.md.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from .errors import FerrymanError

__all__ = ["DEFAULT_TEST_URL", "BridgeError", "ConnectionBridge"]

DEFAULT_TEST_URL = "https://rest.ensembl.org/info/ping"  # what IDTrack's bridge checks too
_ENV_KEYS = ("ALL_PROXY", "all_proxy")  # curl, requests and most tools read one of them


class BridgeError(FerrymanError):
    """The bridge cannot start: another proxy is active, bad arguments, or the test URL failed."""


@dataclasses.dataclass
class _Saved:
    """What the first `start()` replaced, so the last `stop()` can put it back."""

    proxy: tuple[str, int]
    count: int
    socket_class: type[socket.socket]
    create_connection: Callable[..., socket.socket]
    env: dict[str, str | None]
    socks_default: Any  # PySocks' socksocket.default_proxy: None or its 6-tuple


_LOCK = threading.RLock()
_state: _Saved | None = None


def _redacted(url: str) -> str:
    """`url` without user info, query or fragment (they may hold a token)."""
    p = urlsplit(url)
    host = p.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{p.port}" if p.port else ""
    except ValueError:
        port = ""
    return f"{p.scheme}://{host}{port}{p.path}"


class ConnectionBridge:
    """A process-wide SOCKS5 bridge, reference-counted across instances and threads.

    ``proxy_host``/``proxy_port``: the SOCKS5 proxy (``ssh -R 127.0.0.1:1080 …`` opens one on the
    host's 127.0.0.1:1080). ``set_env``: also set ``ALL_PROXY``/``all_proxy`` to
    ``socks5h://HOST:PORT`` while active. ``test``/``timeout``: the defaults for `start` (and so
    for ``with``): a URL to fetch through the proxy (True means `DEFAULT_TEST_URL`), and its
    time limit in seconds.

    Several instances with the same proxy share one bridge: the last `stop()` undoes it. Starting
    with a different proxy while one is active raises `BridgeError`. Raises `BridgeError` for a
    port outside 1..65535 or an empty host. Thread-safe: start and stop hold one process lock.
    """

    def __init__(
        self,
        proxy_host: str = "127.0.0.1",
        proxy_port: int = 1080,
        set_env: bool = True,
        *,
        test: str | bool | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not isinstance(proxy_host, str) or not proxy_host or any(c.isspace() for c in proxy_host):
            raise BridgeError(f"proxy_host must be a host name or address, not {proxy_host!r}")
        if isinstance(proxy_port, bool) or not isinstance(proxy_port, int) or not 1 <= proxy_port <= 65535:
            raise BridgeError(f"proxy_port must be a whole number from 1 to 65535, not {proxy_port!r}")
        self.proxy_host = proxy_host
        self.proxy_port = proxy_port
        self.set_env = set_env
        self.test = test
        self.timeout = timeout
        self._started = False

    @property
    def proxy_url(self) -> str:
        """``socks5h://HOST:PORT`` (the ``h``: names are resolved by the proxy)."""
        host = f"[{self.proxy_host}]" if ":" in self.proxy_host else self.proxy_host
        return f"socks5h://{host}:{self.proxy_port}"

    @property
    def active(self) -> bool:
        """True between this instance's `start()` and `stop()`."""
        return self._started

    def __repr__(self) -> str:
        return f"ConnectionBridge({self.proxy_host!r}, {self.proxy_port}, active={self._started})"

    def start(self, test: str | bool | None = None, timeout: float | None = None) -> ConnectionBridge:
        """Route this process's connections through the proxy; returns self.

        ``test``: a URL fetched (GET) through the proxy once the bridge is on (True: the Ensembl
        REST ping); when it fails (no answer, or HTTP status >= 400) everything this call changed
        is undone and `BridgeError` is raised. None: the instance's default. Starting an active
        instance again does nothing. Raises `BridgeError` when another proxy is active."""
        global _state
        import socks  # type: ignore[import-untyped]  # PySocks: imported here, `import ferryman` stays cheap

        test = self.test if test is None else test
        limit = self.timeout if timeout is None else timeout
        with _LOCK:
            if self._started:
                return self
            wanted = (self.proxy_host, self.proxy_port)
            if _state is not None:
                if _state.proxy != wanted:
                    active_host, active_port = _state.proxy
                    raise BridgeError(
                        f"a ConnectionBridge to {active_host}:{active_port} is active in this process;"
                        f" stop it before starting one to {self.proxy_host}:{self.proxy_port}"
                    )
                _state.count += 1
            else:
                _state = _Saved(
                    proxy=wanted,
                    count=1,
                    socket_class=socket.socket,
                    create_connection=socket.create_connection,
                    env={key: os.environ.get(key) for key in _ENV_KEYS} if self.set_env else {},
                    socks_default=socks.socksocket.default_proxy,
                )
                socks.set_default_proxy(socks.SOCKS5, self.proxy_host, self.proxy_port, rdns=True)
                socket.socket = socks.socksocket  # type: ignore[misc]
                socket.create_connection = self._connector(socks)
                if self.set_env:
                    for key in _ENV_KEYS:
                        os.environ[key] = self.proxy_url
            self._started = True
            if test:
                url = DEFAULT_TEST_URL if test is True else str(test)
                try:
                    self.check(url, limit)
                except BridgeError:
                    self.stop()
                    raise
        return self

    def _connector(self, socks: Any) -> Callable[..., socket.socket]:
        host, port = self.proxy_host, self.proxy_port

        def create_connection(
            address: tuple[str, int],
            timeout: object = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
            source_address: tuple[str, int] | None = None,
            **_: object,
        ) -> socket.socket:
            # the name goes to the proxy unresolved (PySocks: rdns) instead of getaddrinfo here
            sock: socket.socket = socks.create_connection(
                (address[0], address[1]),
                timeout=timeout,
                source_address=source_address,
                proxy_type=socks.SOCKS5,
                proxy_addr=host,
                proxy_port=port,
                proxy_rdns=True,
            )
            return sock

        return create_connection

    def check(self, url: str = DEFAULT_TEST_URL, timeout: float = 10.0) -> int:
        """GET `url` through the active bridge; returns the HTTP status.

        Raises `BridgeError` when the bridge is not active, or the URL cannot be fetched or
        answers with a status >= 400. The message names the URL without its query or user info."""
        if not self._started:
            raise BridgeError("the ConnectionBridge is not active: start() it first")
        shown = _redacted(url)
        # no proxy handler: the patched socket is the path under test, not urllib's env proxies
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(urllib.request.Request(url, method="GET"), timeout=timeout) as reply:
                status = int(reply.status)
        except urllib.error.HTTPError as exc:
            raise BridgeError(f"check through {self.proxy_url} failed: {shown} answered HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise BridgeError(
                f"check through {self.proxy_url} failed: {shown}: {reason}",
                hint="is the tunnel running? `ferryman tunnel` prints the ssh line to start it",
            ) from None
        return status

    def stop(self) -> None:
        """Give up this instance's share of the bridge; the last one restores `socket.socket`,
        `socket.create_connection`, ``ALL_PROXY``/``all_proxy`` (set, or absent) and PySocks'
        default proxy exactly as they were before the first `start()`. Idempotent."""
        global _state
        with _LOCK:
            if not self._started:
                return
            self._started = False
            saved = _state
            if saved is None:  # pragma: no cover - only if the state was torn down behind our back
                return
            saved.count -= 1
            if saved.count > 0:
                return
            import socks

            socket.socket = saved.socket_class  # type: ignore[misc]
            socket.create_connection = saved.create_connection
            for key, value in saved.env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            socks.socksocket.default_proxy = saved.socks_default  # not set_default_proxy(): it re-encodes
            _state = None

    def __enter__(self) -> ConnectionBridge:
        """Start (with the instance's `test`); raises instead of running the body unproxied."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
