"""End to end with real OpenSSH on loopback: the very line `ferryman tunnel` prints opens a SOCKS
proxy that carries HTTP, and the HTTP server sees the connection come from the ssh process.

`-R 127.0.0.1:P` with no destination is a remote dynamic forward: sshd listens on P and the ssh
client makes the outbound connections. On loopback both ends are this machine, so the proof that
traffic went through the tunnel is the owner of the connection's client socket: the ssh process.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import ferryman
from .httpstub import Answer, serve_get
from .sshd import Sshd, free_port


@contextlib.contextmanager
def owner_server(body: bytes, not_found: tuple[str, ...] = ()) -> Iterator[tuple[int, list[int | None]]]:
    """An HTTP server on 127.0.0.1 answering `body` (404 on the `not_found` paths) that records, per
    request, the pid holding the client's end of the connection: (port, those pids)."""
    owners: list[int | None] = []

    def answer(request: http.server.BaseHTTPRequestHandler) -> Answer:
        owners.append(socket_owner(request.client_address[1]))
        return 404 if request.path in not_found else 200, body, None

    with serve_get(answer) as port:
        yield port, owners


@pytest.fixture
def http_server() -> Iterator[tuple[int, list[int | None]]]:
    with owner_server(b"through the ferry\n") as served:
        yield served


def socket_owner(local_port: int) -> int | None:
    """The pid holding the TCP socket bound to 127.0.0.1:`local_port` (Linux /proc), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(fields[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return int(pid)
    return None


@pytest.mark.slow
def test_the_printed_tunnel_line_carries_http(sshd: Sshd, http_server: tuple[int, list[int | None]]) -> None:
    http_port, seen = http_server
    socks_port = free_port()
    r = ferryman("tunnel", "--socks-port", str(socks_port), f"{sshd.user}@127.0.0.1", env={"USER": sshd.user})
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert line == f"ssh -N -o ExitOnForwardFailure=yes -R 127.0.0.1:{socks_port} {sshd.user}@127.0.0.1"
    proxies = {"http": f"socks5h://127.0.0.1:{socks_port}", "https": f"socks5h://127.0.0.1:{socks_port}"}
    url = f"http://127.0.0.1:{http_port}/status"

    with sshd.ssh(shlex.split(line), listens_on=socks_port) as ssh:
        with requests.Session() as session:
            session.trust_env = False
            reply = session.get(url, proxies=proxies, timeout=10)
            assert (reply.status_code, reply.text) == (200, "through the ferry\n")
        # the request reached the server from a socket that the ssh client holds
        assert seen == [ssh.pid], f"connection came from pid {seen}, not ssh {ssh.pid}"
        assert ssh.poll() is None

    # the tunnel is down: the same request fails, and the server saw nothing new
    with requests.Session() as session, pytest.raises(requests.exceptions.ConnectionError):
        session.trust_env = False
        session.get(url, proxies=proxies, timeout=5)
    assert len(seen) == 1
    # control: the owner check tells a direct connection apart (it is this test process)
    with requests.Session() as session:
        session.trust_env = False
        assert session.get(url, timeout=5).status_code == 200
    assert seen[1:] == [os.getpid()]


@pytest.mark.slow
def test_exit_on_forward_failure_when_the_port_is_taken(sshd: Sshd) -> None:
    import socket
    import subprocess

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = ferryman("tunnel", "--socks-port", str(port), f"{sshd.user}@127.0.0.1", env={"USER": sshd.user})
        done = subprocess.run(sshd.with_options(shlex.split(r.stdout)), capture_output=True, text=True, timeout=30)
    # ExitOnForwardFailure=yes: ssh ends (non-zero) instead of idling without a proxy
    assert done.returncode != 0
