"""`ferryman doctor` on a copy of the demo workspace: one verdict per probe, exit 1 when a run
would break. NDEx is a small local server answering /v2/admin/status as NDEx does; the other
route and the SOCKS port are closed ports."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import SAMPLE_IGNORE, SAMPLES, ferryman
from .httpstub import Answer, serve_get
from .sshd import free_port

STATUS = {"networkCount": 0, "userCount": 1, "properties": {"ServerVersion": "2.5.0", "ServerResultLimit": 10000}}


def _serve(version: str) -> Iterator[int]:
    """An old NDEx: /v2/admin/status as NDEx answers it, saying `version`; 404 elsewhere."""

    def answer(request: http.server.BaseHTTPRequestHandler) -> Answer:
        if request.path != "/v2/admin/status":
            return 404, b"not found\n", "text/plain"
        doc = json.loads(json.dumps(STATUS))
        doc["properties"]["ServerVersion"] = version
        return 200, json.dumps(doc).encode(), "application/json"

    with serve_get(answer) as port:
        yield port


@pytest.fixture
def ndex() -> Iterator[int]:
    """The local NDEx v2 server ferryman ships (ferryman.testing), on a free port."""
    from ferryman.testing import NdexServer

    with NdexServer({"curator": "s3cret-source"}) as server:
        yield int(server.url.split(":")[-1].split("/")[0])


@pytest.fixture
def ndex1() -> Iterator[int]:
    yield from _serve("1.3.1")


def _workspace(tmp_path: Path, routes: tuple[str, str], profiles: bool = False, bridge: str = "") -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(SAMPLES, ws, ignore=SAMPLE_IGNORE)
    for plan, route in zip(("human-nets.json", "pathways-query.json"), routes, strict=True):
        p = ws / "copy-plans" / plan
        text = p.read_text().replace("http://127.0.0.1:8765/v2", route)
        p.write_text(text.replace("http://127.0.0.1:8766/v2", route))
    manifest = ws / "ferryman.toml"
    text = manifest.read_text()
    if not profiles:
        text = text.split("[[profiles]]")[0]
    manifest.write_text(text + bridge)
    return ws


ENV = {"NDEX_SOURCE_PASSWORD": "s3cret-source", "NDEX_TARGET_PASSWORD": "s3cret-target", "USER": "kemal"}


def doctor(ws: Path, *args: str):
    return ferryman("doctor", *args, cwd=ws, env=ENV, timeout=60)


def test_offline_all_ok(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, ("http://127.0.0.1:1/v2", "http://127.0.0.1:1/v2"), profiles=True)
    r = doctor(ws, "--offline")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (
        "ok      workspace: ferryman.toml is valid\n"
        "ok      state dir: .ferryman is writable (will be created)\n"
        "ok      inputs: 7 present and readable\n"
        "ok      scripts: 5 runnable\n"
        "ok      network: skipped (--offline)\n"
        "doctor: 5 ok, 0 warnings, 0 broken\n"
    )


def test_ndex_status_and_a_closed_port(tmp_path: Path, ndex: int) -> None:
    closed = free_port()
    ws = _workspace(tmp_path, (f"http://127.0.0.1:{ndex}/v2", f"http://curator:pw-in-url@127.0.0.1:{closed}/v2"))
    r = doctor(ws)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert f"ok      ndex: http://127.0.0.1:{ndex}/v2: NDEx 2.5.4" in lines
    assert (
        f"broken  ndex: http://127.0.0.1:{closed}/v2: no answer (ConnectionError) -> check the route and the network"
        in lines
    )
    assert lines[-1] == "doctor: 5 ok, 0 warnings, 1 broken"
    for secret in ("pw-in-url", "s3cret-source", "s3cret-target"):
        assert secret not in r.stdout + r.stderr

    as_json = doctor(ws, "--format", "json")
    assert as_json.returncode == 1
    doc = json.loads(as_json.stdout)
    assert (doc["broken"], doc["warnings"]) == (1, 0)
    assert {"check": "ndex", "status": "ok", "detail": f"http://127.0.0.1:{ndex}/v2: NDEx 2.5.4", "fix": ""} in doc[
        "verdicts"
    ]
    assert "pw-in-url" not in as_json.stdout


def test_a_v1_server_is_broken(tmp_path: Path, ndex1: int) -> None:
    ws = _workspace(tmp_path, (f"http://127.0.0.1:{ndex1}/v2",) * 2)
    r = doctor(ws)
    assert r.returncode == 1
    assert (
        f"broken  ndex: http://127.0.0.1:{ndex1}/v2: server version 1.3.1, not 2.x -> ferryman speaks NDEx v2 only"
        in r.stdout.splitlines()
    )


def test_socks_port_down_names_the_tunnel_line(tmp_path: Path) -> None:
    port = free_port()
    bridge = f'\n[bridge]\nsocks_port = {port}\njump = "user@login"\ntarget = "compute123"\n'
    ws = _workspace(tmp_path, ("http://127.0.0.1:1/v2",) * 2, bridge=bridge)
    r = doctor(ws, "--offline")
    assert r.returncode == 1
    assert (
        f"broken  socks port: nothing listens on 127.0.0.1:{port} -> start the tunnel: "
        f"ssh -N -o ExitOnForwardFailure=yes -J user@login -R 127.0.0.1:{port} kemal@compute123"
    ) in r.stdout.splitlines()


def test_a_missing_interpreter_is_broken(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, ("http://127.0.0.1:1/v2",) * 2)
    script = ws / "zmap" / "scripts" / "slowgff.py"
    script.write_text("#!/usr/bin/env ferryman-no-such-interpreter\n" + script.read_text().split("\n", 1)[1])
    r = doctor(ws, "--offline")
    assert r.returncode == 1
    assert r.stdout.splitlines()[3:] == [
        "broken  script: zmap/scripts/slowgff.py: interpreter ferryman-no-such-interpreter not found"
        " -> install ferryman-no-such-interpreter",
        "ok      network: skipped (--offline)",
        "doctor: 4 ok, 0 warnings, 1 broken",
    ]


def test_an_invalid_workspace_shows_each_error_and_the_state_dir(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, ("http://127.0.0.1:1/v2",) * 2)
    os.chmod(ws / "zmap" / "scripts" / "getgff.py", 0o644)
    (ws / "zmap" / "scripts" / "notgff.py").write_text("print('no shebang')\n")
    manifest = ws / "ferryman.toml"
    manifest.write_text(manifest.read_text().replace('state_dir = ".ferryman"', 'state_dir = "taken"'))
    (ws / "taken").write_text("a file, not a folder\n")
    r = doctor(ws, "--offline")
    assert r.returncode == 1
    out = r.stdout.splitlines()
    assert (
        "broken  workspace: zmap/ZMap:22:1: script scripts/getgff.py is not executable (also used by 1 other source)"
        " -> chmod +x scripts/getgff.py"
    ) in out
    assert any(x.startswith("broken  workspace: zmap/ZMap:54:1: script scripts/notgff.py does not start with #!")
               for x in out)
    assert any(re.fullmatch(r"broken  state dir: taken: .*taken is not a folder -> remove it or set state_dir", x)
               for x in out)
    assert out[-1] == "doctor: 1 ok, 0 warnings, 4 broken"


def test_invalid_workspace_and_missing_manifest(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, ("http://127.0.0.1:1/v2",) * 2)
    (ws / "zmap" / "ZMap").unlink()
    r = doctor(ws, "--offline")
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].startswith("broken  workspace: ferryman.toml:")
    assert "Traceback" not in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = doctor(empty)
    assert (r.returncode, r.stdout.splitlines()[0]) == (
        1, "broken  workspace: ferryman.toml does not exist -> run in the workspace or give --workspace"
    )
