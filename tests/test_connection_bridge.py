"""`ferryman.ConnectionBridge` against real SOCKS5 proxies: OpenSSH's (`ssh -D` through the test
sshd) and, to prove remote DNS, a small in-test SOCKS5 server that resolves one name no resolver
here knows. Every test leaves the process as it found it (checked by the autouse fixture)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socks

import ferryman
from ferryman.bridge import BridgeError, ConnectionBridge

from .sshd import Sshd, free_port
from .test_ssh_tunnel import owner_server

FAR_NAME = "ferryman-far-side.invalid"  # .invalid never resolves (RFC 2606): only the proxy knows it
_DIRECT_SOCKET = socket.socket  # the in-test proxy lives in this process: it must connect directly


def _snapshot() -> tuple[Any, ...]:
    return (
        socket.socket,
        socket.create_connection,
        os.environ.get("ALL_PROXY"),
        os.environ.get("all_proxy"),  # noqa: SIM112
        socks.socksocket.default_proxy,
    )


@pytest.fixture(autouse=True)
def process_is_restored() -> Iterator[None]:
    before = _snapshot()
    yield
    after = _snapshot()
    if after != before:  # undo for the tests that follow, then fail this one
        import ferryman.bridge as fb

        if fb._state is not None:
            fb._state.count = 1
            leaked = ConnectionBridge(*fb._state.proxy)
            leaked._started = True
            leaked.stop()
        pytest.fail(f"process not restored: {before} -> {after}")


@pytest.fixture
def web() -> Iterator[tuple[int, list[int | None]]]:
    with owner_server(b"pong\n", not_found=("/missing",)) as served:
        yield served


@pytest.fixture(scope="module")
def ssh_socks(sshd: Sshd) -> Iterator[tuple[int, int]]:
    """OpenSSH's SOCKS5 proxy (`ssh -D`) through the test sshd: (port, ssh pid)."""
    port = free_port()
    with sshd.ssh(["ssh", "-N", "-D", f"127.0.0.1:{port}", f"{sshd.user}@127.0.0.1"], listens_on=port) as proc:
        yield port, proc.pid


class _Socks5:
    """A minimal SOCKS5 server (no auth, CONNECT only) that maps FAR_NAME to 127.0.0.1 and
    records each request's address type and address."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, str]] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            _ver, n = conn.recv(2)
            conn.recv(n)
            conn.sendall(b"\x05\x00")
            _ver, _cmd, _rsv, atyp = conn.recv(4)
            if atyp == 3:
                (length,) = conn.recv(1)
                addr = conn.recv(length).decode()
            else:
                addr = socket.inet_ntoa(conn.recv(4))
            (port,) = struct.unpack("!H", conn.recv(2))
            self.requests.append((atyp, addr))
            host = "127.0.0.1" if addr == FAR_NAME else addr
            upstream = _DIRECT_SOCKET()
            try:
                upstream.settimeout(5)
                upstream.connect((host, port))
            except OSError:
                upstream.close()
                conn.sendall(b"\x05\x04\x00\x01" + bytes(6))
                return
            conn.sendall(b"\x05\x00\x00\x01" + bytes(6))
            with upstream, contextlib.suppress(OSError):  # a reset ends the relay
                pair = {conn: upstream, upstream: conn}
                while True:
                    ready, _, _ = select.select(list(pair), [], [], 5)
                    if not ready:
                        return
                    for s in ready:
                        data = s.recv(65536)
                        if not data:
                            return
                        pair[s].sendall(data)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def toy_socks() -> Iterator[_Socks5]:
    proxy = _Socks5()
    try:
        yield proxy
    finally:
        proxy.close()


def _get(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as reply:
        return reply.status, reply.read()


@pytest.mark.slow
def test_traffic_goes_through_the_ssh_socks_proxy(
    ssh_socks: tuple[int, int], web: tuple[int, list[int | None]]
) -> None:
    socks_port, _ = ssh_socks
    http_port, owners = web
    url = f"http://127.0.0.1:{http_port}/ping"
    assert _get(url) == (200, b"pong\n")
    assert owners == [os.getpid()]  # control: a direct connection is this process's own
    with ConnectionBridge(proxy_port=socks_port) as bridge:
        assert bridge.active
        assert socket.socket is socks.socksocket
        assert os.environ["ALL_PROXY"] == os.environ["all_proxy"] == f"socks5h://127.0.0.1:{socks_port}"  # noqa: SIM112
        assert _get(url) == (200, b"pong\n")
        # requests follows ALL_PROXY (socks5h): through the tunnel too
        assert requests.get(url, timeout=10).text == "pong\n"
    assert len(owners) == 3
    assert os.getpid() not in owners[1:] and None not in owners[1:]  # sshd made those connections
    assert _get(url) == (200, b"pong\n")
    assert owners[-1] == os.getpid()


@pytest.mark.slow
def test_start_with_a_test_url_checks_through_the_proxy(
    ssh_socks: tuple[int, int], web: tuple[int, list[int | None]]
) -> None:
    socks_port, _ = ssh_socks
    http_port, owners = web
    bridge = ConnectionBridge(proxy_port=socks_port).start(test=f"http://127.0.0.1:{http_port}/ping")
    try:
        assert owners and owners[0] != os.getpid()
    finally:
        bridge.stop()


def test_names_are_resolved_by_the_proxy(toy_socks: _Socks5, web: tuple[int, list[int | None]]) -> None:
    http_port, _ = web
    url = f"http://{FAR_NAME}:{http_port}/ping"
    with pytest.raises(OSError):
        socket.getaddrinfo(FAR_NAME, http_port)  # no resolver here knows the name
    with ConnectionBridge(proxy_port=toy_socks.port, set_env=False):
        assert _get(url) == (200, b"pong\n")
        # a raw socket connect goes through PySocks' default proxy with remote DNS too
        with socket.socket() as raw:
            raw.settimeout(5)
            raw.connect((FAR_NAME, http_port))
            raw.sendall(b"GET /ping HTTP/1.0\r\n\r\n")
            assert raw.recv(100).startswith(b"HTTP/1.0 200")
    assert toy_socks.requests == [(3, FAR_NAME), (3, FAR_NAME)]  # ATYP 3: a domain name, not an address


def test_stop_restores_environment_and_pysocks_default_exactly(
    toy_socks: _Socks5, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://before.example:3128")
    monkeypatch.delenv("all_proxy", raising=False)
    socks.set_default_proxy(socks.HTTP, "old.example", 8080, rdns=False, username="u", password="p")
    old_default = socks.socksocket.default_proxy
    old_socket, old_connect = socket.socket, socket.create_connection
    try:
        bridge = ConnectionBridge(proxy_port=toy_socks.port).start()
        assert os.environ["all_proxy"] == f"socks5h://127.0.0.1:{toy_socks.port}"  # noqa: SIM112
        assert socks.get_default_proxy()[:4] == (socks.SOCKS5, "127.0.0.1", toy_socks.port, True)
        bridge.stop()
        assert os.environ["ALL_PROXY"] == "http://before.example:3128"
        assert "all_proxy" not in os.environ
        assert socks.socksocket.default_proxy is old_default
        assert (socket.socket, socket.create_connection) == (old_socket, old_connect)
    finally:
        socks.socksocket.default_proxy = None
    # and from a pristine PySocks (default None), None comes back, not a tuple of Nones
    with ConnectionBridge(proxy_port=toy_socks.port):
        pass
    assert socks.socksocket.default_proxy is None


def test_set_env_false_leaves_the_environment_alone(toy_socks: _Socks5, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALL_PROXY", raising=False)
    with ConnectionBridge(proxy_port=toy_socks.port, set_env=False):
        assert "ALL_PROXY" not in os.environ
        monkeypatch.setenv("ALL_PROXY", "set-by-the-body")
    assert os.environ["ALL_PROXY"] == "set-by-the-body"


def test_reference_counting_and_a_second_proxy_refused(toy_socks: _Socks5) -> None:
    a = ConnectionBridge(proxy_port=toy_socks.port).start()
    b = ferryman.ConnectionBridge("127.0.0.1", toy_socks.port).start()
    try:
        a.start()  # starting an active instance again takes no second share
        with pytest.raises(BridgeError) as err:
            ConnectionBridge(proxy_port=toy_socks.port + 1 if toy_socks.port < 65535 else 1).start()
        assert str(err.value).startswith(f"a ConnectionBridge to 127.0.0.1:{toy_socks.port} is active in this process;")
        a.stop()
        a.stop()  # idempotent: does not take b's share
        assert socket.socket is socks.socksocket  # b still holds the bridge
    finally:
        b.stop()
    assert socket.socket is not socks.socksocket


def test_a_failed_test_rolls_back_and_the_with_body_never_runs(
    toy_socks: _Socks5, web: tuple[int, list[int | None]]
) -> None:
    before = _snapshot()
    closed = free_port()
    bridge = ConnectionBridge(proxy_port=closed, test="http://example.org:80/ping?token=SECRET")
    ran = False
    with pytest.raises(BridgeError) as err, bridge:
        ran = True
    assert not ran and not bridge.active
    assert _snapshot() == before
    msg = err.value.message
    assert msg.startswith(f"check through socks5h://127.0.0.1:{closed} failed: http://example.org:80/ping: ")
    assert "SECRET" not in msg and "\n" not in msg
    # an HTTP error status fails the check too
    http_port, _ = web
    with pytest.raises(BridgeError, match=r"answered HTTP 404$"):
        ConnectionBridge(proxy_port=toy_socks.port).start(test=f"http://127.0.0.1:{http_port}/missing")
    assert _snapshot() == before


def test_a_failed_test_keeps_the_other_share(toy_socks: _Socks5) -> None:
    holder = ConnectionBridge(proxy_port=toy_socks.port).start()
    try:
        with pytest.raises(BridgeError):
            ConnectionBridge(proxy_port=toy_socks.port).start(test=f"http://127.0.0.1:{free_port()}/")
        assert socket.socket is socks.socksocket
    finally:
        holder.stop()


def test_threads_share_one_bridge(toy_socks: _Socks5) -> None:
    before = _snapshot()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(50):
                b = ConnectionBridge(proxy_port=toy_socks.port)
                barrier.wait(timeout=10) if _ == 0 else None
                b.start()
                assert socket.socket is socks.socksocket
                b.stop()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert _snapshot() == before


@pytest.mark.parametrize(("host", "port"), [("", 1080), ("127.0.0.1", 0), ("127.0.0.1", 70000), ("a b", 1)])
def test_bad_arguments(host: str, port: int) -> None:
    with pytest.raises(BridgeError):
        ConnectionBridge(host, port)


def test_check_needs_an_active_bridge() -> None:
    with pytest.raises(BridgeError, match="not active"), contextlib.closing(socket.socket()):
        ConnectionBridge().check("http://127.0.0.1:1/")


@pytest.mark.slow
def test_the_documented_example_runs(ssh_socks: tuple[int, int], web: tuple[int, list[int | None]]) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    doc = (ROOT / "docs" / "bridge.md").read_text()
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    socks_port, _ = ssh_socks
    http_port, owners = web
    code = code.replace("proxy_port=1080", f"proxy_port={socks_port}").replace(
        "https://rest.ensembl.org/info/ping", f"http://127.0.0.1:{http_port}/ping"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (0, "b'pong\\n'\n", "")
    assert len(owners) == 2 and None not in owners and proc.pid not in owners  # test + fetch, via sshd
