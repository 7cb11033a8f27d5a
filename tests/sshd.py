"""A real OpenSSH server on 127.0.0.1 for tests: its own host key, user key and sshd_config in a
temporary folder, run in the foreground (`sshd -D -e`) so the test owns the process.

Non-root friendly (StrictModes no, UsePAM no, AuthorizedKeysFile and PidFile in the folder, a free
port); as root it creates the privilege-separation directory sshd insists on. If the sshd binary is
absent the fixture skips; if it is present but will not start, the test fails with sshd's own log.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.access("/usr/sbin/sshd", os.X_OK) else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """True once something accepts on 127.0.0.1:`port`; False after `timeout` s or when `proc` ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate `proc` (then kill it after 5 s) and reap it."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class Sshd:
    """One running sshd. `user`, `port`, `key` (the client's private key) and `ssh_options()`."""

    def __init__(self, folder: Path) -> None:
        assert SSHD is not None
        self.folder = folder
        self.user = getpass.getuser()
        self.key = folder / "id_ed25519"
        self.log = folder / "sshd.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        for name in ("ssh_host_ed25519_key", "id_ed25519"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ferryman-test", "-f", str(folder / name)],
                check=True, capture_output=True,
            )
        shutil.copy(folder / "id_ed25519.pub", folder / "authorized_keys")
        os.chmod(folder / "authorized_keys", 0o600)
        if os.geteuid() == 0:  # sshd refuses to start as root without it
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    def _config(self, port: int) -> Path:
        f = self.folder
        cfg = f / "sshd_config"
        cfg.write_text(
            f"Port {port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {f / 'ssh_host_ed25519_key'}\n"
            f"PidFile {f / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {f / 'authorized_keys'}\n"
            "StrictModes no\n"
            "UsePAM no\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\n"
            "AllowTcpForwarding yes\n"
            "GatewayPorts no\n"
            "PermitTTY no\n"
            "LogLevel VERBOSE\n"
        )
        return cfg

    def start(self) -> None:
        assert SSHD is not None
        last = ""
        for _ in range(5):  # a free port can be taken between the probe and sshd's bind: try another
            port = free_port()
            cfg = self._config(port)
            check = subprocess.run([SSHD, "-t", "-f", str(cfg)], capture_output=True, text=True)
            if check.returncode != 0:
                pytest.fail(f"sshd rejects its test config: {check.stderr.strip()}")
            with open(self.log, "wb") as log:
                proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT)
            if wait_listening(port, 10.0, proc):
                self.port, self.proc = port, proc
                return
            stop_process(proc)
            last = self.log.read_text(errors="replace")
        pytest.fail(f"sshd did not start on 127.0.0.1; its log:\n{last}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def ssh_options(self) -> list[str]:
        """The non-interactive options a test adds right after `ssh`."""
        return [
            "-F", "/dev/null",  # no user or system ssh_config in the way
            "-i", str(self.key),
            "-p", str(self.port),
            "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes",
            "-o", "LogLevel=ERROR",
        ]

    def with_options(self, argv: Sequence[str]) -> list[str]:
        """`argv` (an ssh command, argv[0] == 'ssh') with `ssh_options()` inserted after 'ssh'."""
        assert argv[0] == "ssh", argv
        return ["ssh", *self.ssh_options(), *argv[1:]]

    @contextlib.contextmanager
    def ssh(self, argv: Sequence[str], listens_on: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
        """Run an ssh command (with `ssh_options()`) for the duration of the block; when
        `listens_on` is given, wait until that local port accepts (or fail with ssh's stderr)."""
        err = self.folder / f"ssh-{time.monotonic_ns()}.log"
        with open(err, "wb") as fh:
            proc = subprocess.Popen(self.with_options(argv), stdin=subprocess.DEVNULL, stdout=fh, stderr=fh)
        try:
            if listens_on is not None and not wait_listening(listens_on, 15.0, proc):
                pytest.fail(
                    f"ssh did not open port {listens_on}: {err.read_text(errors='replace').strip()}\n"
                    f"sshd log:\n{self.log.read_text(errors='replace')}"
                )
            yield proc
        finally:
            stop_process(proc)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A running sshd on 127.0.0.1 for the session (stopped at the end, also after failures)."""
    if SSHD is None or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("OpenSSH is not installed (make setup installs it: .ci/install-system-tools)")
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    try:
        server.start()
        yield server
    finally:
        server.stop()
