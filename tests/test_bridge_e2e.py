"""A whole run through a real OpenSSH SOCKS tunnel (docs/bridge.md, "Runs through a tunnel").

The test starts its own sshd on 127.0.0.1 (tests/sshd.py), writes a workspace whose `[bridge]`
names it, runs the very line `ferryman tunnel` prints for that workspace (plus the non-interactive
options of `Sshd.ssh_options()`), and runs the workspace: an NDEx copy plan between two local NDEx
servers, and a pipe script that fetches its GFF over HTTP through `ALL_PROXY`.

How the test knows the traffic went through the tunnel — two independent proofs:

1. Names only the far side can resolve. `-R 127.0.0.1:PORT` (no destination) is a remote dynamic
   forward: sshd listens on PORT, and the *ssh client* speaks SOCKS and makes the outbound
   connections, resolving host names itself when the request carries a name (`socks5h`). The test
   runs that ssh client in its own mount namespace (`unshare -m`) where a private copy of
   /etc/hosts maps `ndex-source.ferry.test`, `ndex-target.ferry.test` and `gff.ferry.test` to
   127.0.0.1. Every route and URL of the workspace uses those names, which this process (and so
   ferryman, and the pipe script) cannot resolve (checked first). A copy that arrives therefore
   went through the tunnel *and* left ferryman as a name: remote DNS. Needs the right to create
   a mount namespace (root, or unprivileged user namespaces with `unshare -r`); where neither
   is allowed the routes use 127.0.0.1 and proof 2 stands alone (the test prints so).
2. Every connection's owner. Each server records, per request, the pid that holds the client end of
   the TCP connection (/proc/net/tcp inode -> /proc/PID/fd). Every one must be the ssh client;
   none may be ferryman, the pipe script or this test.

The run's environment also carries `http_proxy`/`HTTPS_PROXY` pointing at a closed port, as a
login shell on a cluster often does: with a `[bridge]`, neither the NDEx client nor the script may
follow them.

Then the tunnel goes down and the same run fails: exit 1, `bridge:check` names the exact
`ferryman tunnel` line after waiting `wait_s`, the ndex and pipe tasks are skipped because of it,
and no server sees a request. Every process the test starts (ssh, the runs, the servers; sshd is
the session fixture's) is stopped in `finally` blocks, also on failure.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ferryman.testing import NdexServer, make_cx

from .conftest import ferryman
from .httpstub import Answer, serve_get
from .sshd import Sshd, free_port, stop_process, wait_listening
from .test_ssh_tunnel import socket_owner

NAMES = {"source": "ndex-source.ferry.test", "target": "ndex-target.ferry.test", "gff": "gff.ferry.test"}
SOURCE_PW = "src-Pw-5ocks!"
TARGET_PW = "tgt-Pw-7unnel#"
WAIT_S = 4.0
GFF = "##gff-version 3\n##sequence-region chr1 1 1000\nchr1\tferry\tgene\t100\t200\t.\t+\t.\tID=ferry.g1\n"

FETCH_SCRIPT = '''#!{python}
"""Pipe server of the test: prints the GFF it fetches (requests follows ALL_PROXY/all_proxy)."""
import sys

import requests

reply = requests.get({url!r}, timeout=20)
reply.raise_for_status()
sys.stdout.write(reply.text)
'''


class PeerLog:
    """What one server saw: per request, (Host header, pid owning the client's end)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, int | None]] = []
        self._lock = threading.Lock()

    def record(self, host: str, client_port: int) -> None:
        owner = socket_owner(client_port)
        with self._lock:
            self.requests.append((host, owner))

    def owners(self) -> set[int | None]:
        with self._lock:
            return {pid for _, pid in self.requests}

    def hosts(self) -> set[str]:
        with self._lock:
            return {h.rsplit(":", 1)[0] for h, _ in self.requests}

    def __len__(self) -> int:
        with self._lock:
            return len(self.requests)


def _watch_ndex(server: NdexServer, log: PeerLog) -> None:
    """Record every request of a running NdexServer. The WSGI app is wrapped inside werkzeug's
    server object (it took the app at start), which is the one place that sees the client port."""
    wsgi = server._server  # test instrumentation of the test server
    app = wsgi.app

    def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        log.record(str(environ.get("HTTP_HOST", "")), int(environ["REMOTE_PORT"]))
        return app(environ, start_response)  # type: ignore[no-any-return]

    wsgi.app = recorded


@contextlib.contextmanager
def gff_server(log: PeerLog) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 that answers every GET with GFF; yields its port."""

    def answer(request: http.server.BaseHTTPRequestHandler) -> Answer:
        log.record(request.headers.get("Host", ""), request.client_address[1])
        return 200, GFF.encode(), "text/plain"

    with serve_get(answer) as port:
        yield port


def _resolvable_here(name: str) -> bool:
    try:
        socket.getaddrinfo(name, 80)
    except OSError:
        return False
    return True


def far_side_prefix(folder: Path) -> list[str] | None:
    """A command prefix that runs a program with a private /etc/hosts knowing NAMES (its own
    mount namespace, so nothing else on the machine sees it), or None where that is not allowed."""
    unshare = shutil.which("unshare")
    if unshare is None or not sys.platform.startswith("linux"):
        return None
    hosts = folder / "far-side-hosts"
    hosts.write_text(Path("/etc/hosts").read_text() + "".join(f"127.0.0.1\t{n}\n" for n in NAMES.values()))
    mount = 'mount --bind "$0" /etc/hosts && exec "$@"'
    for flags in (["-m"], ["-r", "-m"]):  # as root; else in a user namespace
        prefix = [unshare, *flags, "--", "sh", "-c", mount, str(hosts)]
        probe = subprocess.run([*prefix, "getent", "hosts", NAMES["gff"]], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.startswith("127.0.0.1"):
            return prefix
    return None


@contextlib.contextmanager
def started(argv: list[str], log: Path, **kw: Any) -> Iterator[subprocess.Popen[bytes]]:
    """Popen that is always stopped (SIGTERM, then SIGKILL) and reaped when the block ends."""
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, **kw)
    try:
        yield proc
    finally:
        stop_process(proc)


def _workspace(root: Path, hosts: dict[str, str], ports: dict[str, int], socks_port: int, user: str) -> Path:
    def route(side: str) -> str:
        return f"http://{hosts[side]}:{ports[side]}/v2"

    (root / "copy-plans").mkdir(parents=True)
    (root / "copy-plans" / "pathways.json").write_text(json.dumps({
        "planType": "QueryCopyPlan",
        "source": {"route": route("source"), "username": "curator", "password": "${env:NDEX_SOURCE_PASSWORD}"},
        "target": {"route": route("target"), "username": "mirror", "password": "${env:NDEX_TARGET_PASSWORD}"},
        "queryString": "pathway", "queryLimit": "10", "queryAccountName": "curator",
    }, indent=2))
    zmap = root / "zmap"
    (zmap / "scripts").mkdir(parents=True)
    script = zmap / "scripts" / "fetch.py"
    script.write_text(FETCH_SCRIPT.format(python=sys.executable, url=f"http://{hosts['gff']}:{ports['gff']}/chr1.gff"))
    script.chmod(0o755)
    (zmap / "styles.ini").write_text("[genes]\nmode=basic\n")
    (zmap / "ZMap").write_text(
        "[ZMap]\nsources = remote\nscript-dir = scripts\nstylesfile = styles.ini\n\n"
        "[remote]\nurl = pipe:///fetch.py\nfeaturesets = genes\n"
    )
    (root / "ferryman.toml").write_text(
        '[workspace]\nname = "ferry"\n\n'
        '[zmap]\nconfig = "zmap/ZMap"\nregion = { sequence = "chr1", start = 1, end = 1000 }\ntimeout_s = 60\n\n'
        '[ndex]\nplans = "copy-plans"\n\n'
        f'[bridge]\nsocks_port = {socks_port}\ntarget = "{user}@127.0.0.1"\nwait_s = {WAIT_S}\n'
    )
    return root


def _wait_for_event(out: Path, task: str, status: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the run's JSON log (stdout, in `out`) shows `task` in `status`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in out.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                e = json.loads(line)
                if e.get("task") == task and e.get("event") == status:
                    return
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {task} was {status}: {out.read_text(errors='replace')}")
        time.sleep(0.05)
    pytest.fail(f"{task} was not {status} within {timeout} s: {out.read_text(errors='replace')}")


@pytest.mark.slow
def test_a_run_reaches_ndex_and_the_pipe_server_only_through_the_tunnel(sshd: Sshd, tmp_path: Path) -> None:
    prefix = far_side_prefix(tmp_path)
    hosts = dict(NAMES) if prefix is not None else dict.fromkeys(NAMES, "127.0.0.1")
    if prefix is not None:
        for name in NAMES.values():  # only the ssh client's namespace knows these names
            assert not _resolvable_here(name), f"{name} resolves in the test process: the proof needs it not to"
    else:
        print("no mount namespace here: routes use 127.0.0.1, the proof is the connections' owner alone")

    logs = {side: PeerLog() for side in NAMES}
    dead = free_port()  # an http_proxy nothing listens on
    env = {
        "NDEX_SOURCE_PASSWORD": SOURCE_PW, "NDEX_TARGET_PASSWORD": TARGET_PW, "USER": sshd.user,
        "http_proxy": f"http://127.0.0.1:{dead}", "HTTPS_PROXY": f"http://127.0.0.1:{dead}",
        "HTTP_PROXY": f"http://127.0.0.1:{dead}", "https_proxy": f"http://127.0.0.1:{dead}",
        "ALL_PROXY": "", "all_proxy": "", "NO_PROXY": "", "no_proxy": "",
    }
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(NdexServer({"curator": SOURCE_PW}))
        target = stack.enter_context(NdexServer({"mirror": TARGET_PW}))
        _watch_ndex(source, logs["source"])
        _watch_ndex(target, logs["target"])
        gff_port = stack.enter_context(gff_server(logs["gff"]))
        for name, nodes in (("WNT pathway", 5), ("Notch pathway", 3)):
            source.add_network(make_cx(name=name, nodes=nodes), "curator", visibility="PUBLIC")
        ports = {"source": source.port, "target": target.port, "gff": gff_port}
        socks_port = free_port()
        root = _workspace(tmp_path / "ws", hosts, ports, socks_port, sshd.user)

        tunnel = ferryman("tunnel", cwd=root, env=env)
        assert tunnel.returncode == 0, tunnel.stderr
        line = tunnel.stdout.strip()
        assert line == f"ssh -N -o ExitOnForwardFailure=yes -R 127.0.0.1:{socks_port} {sshd.user}@127.0.0.1"
        ssh_argv = [*(prefix or []), *sshd.with_options(shlex.split(line))]

        # 1. the run starts first; bridge:check waits for the port; the tunnel comes up meanwhile
        run_env = {**os.environ, "FERRYMAN_DEBUG": "1", **env}
        out = tmp_path / "run1.out"
        run_argv = [sys.executable, "-m", "ferryman", "run", "--progress", "none", "--log-format", "json"]
        with open(out, "wb") as fh:
            run1 = subprocess.Popen(run_argv, cwd=root, env=run_env, stdout=fh, stderr=subprocess.STDOUT)
        stack.callback(stop_process, run1)
        _wait_for_event(out, "bridge:check", "running", run1, 60)
        ssh = stack.enter_context(started(ssh_argv, tmp_path / "ssh.log"))
        if not wait_listening(socks_port, 15.0, ssh):
            pytest.fail(f"ssh did not open {socks_port}: {(tmp_path / 'ssh.log').read_text()}\n"
                        f"sshd log:\n{sshd.log.read_text(errors='replace')}")
        assert run1.wait(120) == 0, out.read_text()
        events = [json.loads(x) for x in out.read_text().splitlines() if x.startswith("{")]
        done = {e["task"]: e["event"] for e in events if "task" in e}
        assert done == {"bridge:check": "succeeded", "pipe:remote": "succeeded", "ndex:pathways": "succeeded"}, done

        # what the run produced: the GFF the script fetched, both networks on the target
        assert (root / ".ferryman" / "gff" / "remote.gff").read_text() == GFF
        copied = sorted(target.summary(i)["name"] for i in target.network_ids())
        assert copied == ["Notch pathway", "WNT pathway"]
        # how it got there: every request on every server came from the ssh client, by name
        assert ssh.poll() is None
        for side, log in logs.items():
            assert len(log) > 0, f"the {side} server saw nothing"
            assert log.owners() == {ssh.pid}, f"{side}: connections held by {log.owners()}, not ssh {ssh.pid}"
            assert log.hosts() == {hosts[side]}, log.hosts()
        seen = {side: len(log) for side, log in logs.items()}

        # 2. the tunnel is down: the same run fails in bridge:check, after waiting, with the line
        stop_process(ssh)
        began = time.monotonic()
        failed = ferryman("run", "--progress", "plain", cwd=root, env=env)
        took = time.monotonic() - began
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert took >= WAIT_S
        text = failed.stdout + failed.stderr
        assert f"bridge:check: nothing listens on 127.0.0.1:{socks_port}; start the tunnel: {line}" in text, text
        assert "(skipped because of it: ndex:pathways, pipe:remote)" in text, text
        assert re.search(r"ndex:pathways +skipped +- +because bridge:check failed", text), text
        assert re.search(r"pipe:remote +skipped +- +because bridge:check failed", text), text
        assert {side: len(log) for side, log in logs.items()} == seen, "a server was reached without the tunnel"
        for secret in (SOURCE_PW, TARGET_PW):
            assert secret not in text and secret not in out.read_text()


def test_the_bridge_proxy_wins_over_proxy_variables_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets HTTP(S)_PROXY override `Session.proxies`; the run's session must not: with a
    bridge, its first bytes go to the SOCKS port (a SOCKS5 greeting), never to the env's proxy."""
    import requests

    from ferryman.runtime.services import http_session

    with socket.socket() as socks_side, socket.socket() as env_side:
        for s in (socks_side, env_side):
            s.bind(("127.0.0.1", 0))
            s.listen()
            s.settimeout(10)
        env_proxy = f"http://127.0.0.1:{env_side.getsockname()[1]}"
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, env_proxy)
        monkeypatch.setenv("NO_PROXY", "ndex.example.org")
        session = http_session(proxy=f"socks5h://127.0.0.1:{socks_side.getsockname()[1]}", retries=0,
                               connect_timeout_s=2, read_timeout_s=2)
        got: list[bytes] = []

        def accept_one() -> None:
            conn, _ = socks_side.accept()
            with conn:
                got.append(conn.recv(16))

        for url in ("http://ndex.example.org/v2/admin/status", "https://other.example.org/"):
            got.clear()
            thread = threading.Thread(target=accept_one)
            thread.start()
            with contextlib.suppress(requests.RequestException):
                session.get(url)
            thread.join(10)
            assert got and got[0][:1] == b"\x05", (url, got)  # SOCKS version 5: the bridge got the call
        session.close()
        env_side.setblocking(False)
        with pytest.raises(BlockingIOError):
            env_side.accept()  # nothing ever connected to the environment's proxy
