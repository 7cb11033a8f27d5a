"""`ferryman ndex-server` as a real subprocess: it listens, serves, keeps its data, takes fault
rules, refuses bad arguments without echoing passwords, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from ferryman.testing import cx_bytes, make_cx

from .conftest import ROOT


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferryman", "ndex-server", "--port", "0", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"ndex-server did not start: {err}")
    return proc, url


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out, err


@pytest.mark.slow
def test_serves_keeps_data_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, url = start("--data", str(data), "--user", "alice:Cli-Pw-1", "--user", "bob:Cli-Pw-2",
                      "--fault", "GET /v2/admin/status status=503")
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v2")
        assert requests.get(url + "/admin/status", timeout=10).status_code == 503  # the --fault rule
        status = requests.get(url + "/admin/status", timeout=10).json()
        assert status["userCount"] == 2
        files = {"CXNetworkStream": ("filename", cx_bytes(make_cx("From the CLI", 4)), "application/octet-stream")}
        created = requests.post(url + "/network", files=files, auth=("alice", "Cli-Pw-1"), timeout=10)
        assert created.status_code == 201
    finally:
        code, out, err = stop(proc)
    assert code == 0
    assert "listening on http://127.0.0.1:" in err and "users: alice, bob" in err
    assert err.rstrip().endswith("ferryman ndex-server: stopped")
    assert "Traceback" not in err
    assert "Cli-Pw" not in out + err
    network_id = created.text.rsplit("/", 1)[1]
    assert (data / "networks" / network_id / "network.cx").is_file()

    proc, url = start("--data", str(data))  # the same data, no --user: accounts are kept
    try:
        summary = requests.get(f"{url}/network/{network_id}/summary", auth=("alice", "Cli-Pw-1"), timeout=10)
        assert summary.json()["name"] == "From the CLI"
        assert summary.json()["nodeCount"] == 4
    finally:
        code, _, _ = stop(proc, signal.SIGINT)
    assert code == 130


def test_bad_user_argument_does_not_echo_it(run_cli) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("ndex-server", "--port", "0", "--user", "Leaky-Secret-Pw")
    assert r.returncode == 2
    assert "--user takes NAME:PASSWORD" in r.stderr
    assert "Leaky-Secret-Pw" not in r.stdout + r.stderr


def test_bad_fault_rule(run_cli) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("ndex-server", "--port", "0", "--fault", "GET /v2/network explode=1")
    assert r.returncode == 2
    assert "ferryman: error: fault rule 'GET /v2/network explode=1': the action must be one of" in r.stderr


def test_port_in_use(run_cli) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = run_cli("ndex-server", "--port", str(port))
    assert r.returncode == 1
    assert f"ferryman: error: cannot listen on 127.0.0.1:{port}: Address already in use" in r.stderr
    assert "Traceback" not in r.stderr


def test_listed_in_help(run_cli) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("--help")
    assert "ndex-server" in r.stdout


@pytest.mark.slow
def test_docs_fixture_example_runs(tmp_path: Path) -> None:
    """The pytest example of docs/ndex.md, run as a user would run it."""
    text = (ROOT / "docs" / "ndex.md").read_text()
    section = text.split("### Using it from pytest", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "test_example.py").write_text(example)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout
