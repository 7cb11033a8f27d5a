"""A hostile review of ferryman: each test is one fault found by attacking the real CLI (real
subprocesses, files and servers on 127.0.0.1) with bad input, hostile names and secrets in odd
shapes. A test marked xfail(strict=True) is a fault still open; its reason says what is wrong."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .conftest import ROOT, SAMPLE_IGNORE, SAMPLES


def cli(*args: str, cwd: Path | str = ROOT, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real CLI as a user runs it: FERRYMAN_DEBUG unset, so a bug shows as exit 70."""
    full_env = {k: v for k, v in os.environ.items() if k != "FERRYMAN_DEBUG"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "ferryman", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def assert_clean_failure(proc: subprocess.CompletedProcess[str], codes: tuple[int, ...] = (1, 2)) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode in codes, (proc.returncode, out)
    assert "Traceback" not in out and "internal error" not in out, out


def _limit_memory() -> None:  # a hostile upload must not take the machine with it
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.fixture
def ndex_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`ferryman ndex-server` as a subprocess (2 GB address space at most); yields (url, proc)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ferryman", "ndex-server", "--port", "0", "--data", str(tmp_path / "nd"),
         "--user", "alice:Srv-Pw-1"],
        cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=_limit_memory,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url, "ndex-server did not start"
    yield url, proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def _server_err(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    return err


# --- ndex-server ----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data; boundary=XYZ", b"garbage--XYZ"),   # a part that never starts
    ("multipart/form-data", b"garbage"),                       # no boundary at all
])
def test_ndex_server_bad_multipart_is_400_not_500(ndex_server, content_type: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    # was: werkzeug's ValueError escaped the handler: 500 and a traceback on the server's stderr
    url, proc = ndex_server
    resp = requests.post(url + "/network", data=body, headers={"Content-Type": content_type},
                         auth=("alice", "Srv-Pw-1"), timeout=20)
    assert resp.status_code == 400, resp.text
    assert resp.json()["errorCode"] == "NDEx_Bad_Request_Exception"
    assert "Traceback" not in _server_err(proc)


@pytest.mark.slow
def test_ndex_server_deeply_nested_cx_is_refused_in_bounded_memory(ndex_server) -> None:  # type: ignore[no-untyped-def]
    # was: ijson's prefixed events built a prefix per level, quadratic in the depth: 100 000 `[`
    # (100 kB) took about 20 GB of memory and the server stopped answering
    url, proc = ndex_server
    files = {"CXNetworkStream": ("deep.cx", b"[" * 100_000, "application/octet-stream")}
    created = requests.post(url + "/network", files=files, auth=("alice", "Srv-Pw-1"), timeout=20)
    assert created.status_code == 201
    network_id = created.text.rsplit("/", 1)[1]
    import time
    deadline = time.monotonic() + 20
    while True:
        summary = requests.get(f"{url}/network/{network_id}/summary", auth=("alice", "Srv-Pw-1"), timeout=20).json()
        if summary["completed"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "nested deeper" in (summary["errorMessage"] or ""), summary
    assert requests.get(url + "/admin/status", timeout=10).status_code == 200
    assert proc.poll() is None
    assert "Traceback" not in _server_err(proc)


# --- special files and deep nesting ---------------------------------------------------------------

@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "ZMap"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", [["validate"], ["fmt"], ["fmt", "--check"]])
def test_fifo_is_refused_not_waited_on(command: list[str], fifo: Path) -> None:
    # was: the open blocked for ever on a FIFO without a writer
    proc = cli(*command, str(fifo), timeout=30)
    assert_clean_failure(proc, (1,))
    assert f"{fifo}" in proc.stderr and "it is a FIFO" in proc.stderr


@pytest.mark.parametrize("command", [["validate"], ["fmt"], ["gff-check"]])
def test_dev_zero_is_refused_not_read_for_ever(command: list[str]) -> None:
    # was: validate and fmt read /dev/zero into memory until killed; gff-check read it for ever
    proc = cli(*command, "/dev/zero", timeout=30)
    assert_clean_failure(proc)
    assert "/dev/zero" in proc.stderr and ("it is a character device" in proc.stderr
                                           or "not a regular file" in proc.stderr)


def test_gff_check_still_streams_a_pipe(tmp_path: Path) -> None:
    full_env = {k: v for k, v in os.environ.items() if k != "FERRYMAN_DEBUG"}
    proc = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m ferryman gff-check <(printf '##gff-version 3\\n')"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", [
    ["validate"], ["plan"], ["run"], ["runs"], ["tunnel", "--workspace", "ferryman.toml"], ["doctor", "--offline"],
    ["fmt"],
])
def test_deeply_nested_manifest_is_an_error_not_a_bug(command: list[str], tmp_path: Path) -> None:
    # was: tomllib's RecursionError escaped: "internal error", exit 70 (runs: the message only)
    (tmp_path / "ferryman.toml").write_text(
        '[workspace]\nname = "x"\n[bridge]\nsocks_port = 1080\n[zmap]\nconfig = "ZMap"\nx = ' + "[" * 5000 + "\n"
    )
    proc = cli(*command, cwd=tmp_path, timeout=60)
    assert_clean_failure(proc)
    assert "nested deeper" in proc.stdout + proc.stderr


# --- a crafted journal ----------------------------------------------------------------------------

MARKUP = "</script><script>alert(1)</script><img src=x onerror=alert(2)>\"'`"


def _crafted_run(root: Path) -> Path:
    import json

    (root / "ferryman.toml").write_text('[workspace]\nname = "w"\n')
    run_dir = root / ".ferryman" / "runs" / "20990101T000000.000Z-evil"
    run_dir.mkdir(parents=True)
    tid = "pipe:" + MARKUP
    events = [
        {"event": "run-start", "run": run_dir.name, "workspace": MARKUP, "tasks": [tid, "ndex:a", ["x"]],
         "lines": {tid: [["$", "./x https://u:Journal-Pw-1@h/v2?token=Journal-Tok-2"]]},
         "resources": {tid: ["group:" + MARKUP]}, "time": 1.5e9},
        {"event": "task", "status": "running", "task": tid, "time": float("nan")},
        {"event": "task", "status": "failed", "task": tid, "time": 1e308,
         "error": "see http://bob:Journal-Pw-3@host/x", "warning": "\x1b]0;owned\x07\x1b[31mred"},
        {"event": "task", "status": "succeeded", "task": "ndex:a", "time": "soon", "output": 7},
        {"event": "task", "status": "failed", "task": ["not", "an", "id"], "time": 1.0},
        {"event": "task", "status": "failed", "time": 1.0},
        {"event": "run-end", "status": "\x1b[2J", "time": 1e999},
    ]
    (run_dir / "journal.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n[1]\n{\"torn\": ")
    return run_dir


@pytest.mark.parametrize("command", [["runs"], ["runs", "show", "latest"], ["runs", "show", "2099", "--html", "-"],
                                     ["runs", "show", "2099", "--html", "out.html"]])
def test_crafted_journal_is_shown_safely(command: list[str], tmp_path: Path) -> None:
    # was: `--html` exited 70 (a string time, then an infinite span); `show` printed the terminal
    # escapes and the URL password written in the journal as they were
    _crafted_run(tmp_path)
    proc = cli(*command, cwd=tmp_path, timeout=60)
    assert_clean_failure(proc, (0,))
    shown = proc.stdout + proc.stderr
    if command[-1] == "out.html":
        shown += (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "\x1b" not in shown and "\x07" not in shown
    assert "Journal-Pw" not in shown and "Journal-Tok" not in shown
    if "--html" in command:  # markup escaped by the report's autoescaping
        assert "<script>alert" not in shown and "<img src=x" not in shown and "&lt;img src=x" in shown


# --- an output never overwrites an input ------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(SAMPLES, root, ignore=SAMPLE_IGNORE)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".ferryman" not in p.parts}


@pytest.mark.parametrize("out", ["zmap/ZMap", "ferryman.toml", "copy-plans/human-nets.json", "copy-plans/new.json",
                                 "zmap/scripts/getgff.py", "idtrack/homo_sapiens_externals_template.yml", ""])
def test_plan_out_never_overwrites_an_input(out: str, workspace: Path) -> None:
    # was: `plan --out zmap/ZMap` replaced the ZMap config by the plan (exit 0); `--out ''` saved nothing, exit 0
    before = _snapshot(workspace)
    proc = cli("plan", "--out", out, cwd=workspace)
    assert_clean_failure(proc, (2,))
    assert _snapshot(workspace) == before


@pytest.mark.parametrize("output", ["plan", "zmap/ZMap", "ferryman.toml"])
def test_export_snakemake_never_overwrites_its_plan_or_an_input(output: str, workspace: Path) -> None:
    # was: `export snakemake plan.json -o plan.json` replaced the plan by the Snakefile
    saved = cli("plan", "--out", ".ferryman/plan.json", cwd=workspace)
    assert saved.returncode == 0, saved.stderr
    before = _snapshot(workspace)
    plan_bytes = (workspace / ".ferryman" / "plan.json").read_bytes()
    target = ".ferryman/plan.json" if output == "plan" else output
    proc = cli("export", "snakemake", ".ferryman/plan.json", "-o", target, cwd=workspace)
    assert_clean_failure(proc, (2,))
    assert _snapshot(workspace) == before
    assert (workspace / ".ferryman" / "plan.json").read_bytes() == plan_bytes


@pytest.mark.slow
@pytest.mark.parametrize("target", ["ferryman.toml", "zmap/ZMap", "zmap/scripts/getgff.py", "copy-plans/x.json",
                                    "JOURNAL"])
def test_runs_html_never_overwrites_an_input_or_a_journal(target: str, workspace: Path) -> None:
    # was: `runs show latest --html ferryman.toml` (or a journal, or a script) replaced it by the report
    ran = cli("run", "--only", "pipe:repeats", cwd=workspace)
    assert ran.returncode == 0, ran.stderr
    journal = next((workspace / ".ferryman" / "runs").glob("*/journal.jsonl"))
    before, journal_bytes = _snapshot(workspace), journal.read_bytes()
    proc = cli("runs", "show", "latest", "--html", str(journal) if target == "JOURNAL" else target, cwd=workspace)
    assert_clean_failure(proc, (2,))
    assert _snapshot(workspace) == before and journal.read_bytes() == journal_bytes


# --- tunnel -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["user:Tunnel-Pw-1@host"], ["--jump", "me:Tunnel-Pw-1@login", "node"], ["u:Tunnel-Pw-1@"],
])
def test_tunnel_never_echoes_a_password_before_the_at(args: list[str]) -> None:
    # was: "target: 'user:Tunnel-Pw-1' is not a user name" repeated the password on stderr
    proc = cli("tunnel", *args)
    assert_clean_failure(proc, (2,))
    assert "Tunnel-Pw" not in proc.stdout + proc.stderr


def test_tunnel_does_not_echo_a_huge_target() -> None:
    proc = cli("tunnel", "a" * 100_000)
    assert_clean_failure(proc, (2,))
    assert len(proc.stderr) < 1000


def test_validate_checks_bridge_target_as_tunnel_does(tmp_path: Path) -> None:
    (tmp_path / "ferryman.toml").write_text(
        '[workspace]\nname = "b"\n[bridge]\nsocks_port = 1080\njump = "me:Bridge-Pw-1@login"\ntarget = "node"\n'
    )
    proc = cli("validate", cwd=tmp_path)
    assert proc.returncode == 1 and "Bridge-Pw" not in proc.stdout + proc.stderr
    assert "error[WS609]: jump: a password cannot be given before '@'" in proc.stderr


# --- secrets in keys --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_url_password_in_a_yaml_key_is_masked_in_the_json_path(fmt: str, tmp_path: Path) -> None:
    # was: the message masked it, but "(at $.homo_sapiens["https://u:Key-Pw-1@h/"])" showed it
    (tmp_path / "x_externals.yml").write_text(
        'homo_sapiens:\n  assembly: 38\n  gene:\n    HGNC: {Include: true}\n  "https://u:Key-Pw-1@h/": 1\n'
    )
    proc = cli("validate", "--format", fmt, "x_externals.yml", cwd=tmp_path)
    assert_clean_failure(proc, (1,))
    assert "https://u:***@h/" in proc.stdout + proc.stderr
    assert "Key-Pw-1" not in proc.stdout + proc.stderr


# --- run: options and signals -----------------------------------------------------------------------

SLOW_SCRIPT = "#!/usr/bin/env python3\nimport time\nprint('##gff-version 3', flush=True)\ntime.sleep(60)\n"


def test_repeated_only_runs_every_named_task(workspace: Path) -> None:
    # was: `--only A --only B` ran B alone (argparse kept the last list), silently
    proc = cli("run", "--only", "pipe:repeats", "--only", "pipe:cpg_islands", "--progress", "none", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert "pipe:repeats" in proc.stdout and "pipe:cpg_islands" in proc.stdout
    plan = cli("plan", "--only", "pipe:repeats", "--only", "pipe:cpg_islands", cwd=workspace)
    assert "2 tasks" in plan.stdout, plan.stdout


@pytest.mark.slow
def test_sigkill_of_ferryman_leaves_no_script_running(workspace: Path) -> None:
    import time

    script = workspace / "zmap" / "scripts" / "slowgff.py"
    script.write_text(SLOW_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "FERRYMAN_DEBUG"}
    proc = subprocess.Popen([sys.executable, "-m", "ferryman", "run", "--only", "pipe:ests", "--progress", "none"],
                            cwd=workspace, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def running() -> list[str]:
        out = subprocess.run(["pgrep", "-f", str(script)], capture_output=True, text=True).stdout
        return out.split()

    try:
        deadline = time.monotonic() + 20
        while not running() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert running(), "the script never started"
        time.sleep(1.5)  # past its one write: a script that writes after the kill dies of SIGPIPE anyway
        proc.kill()
        proc.wait(10)
        deadline = time.monotonic() + 5
        while running() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running(), "the script outlived a SIGKILLed ferryman"
    finally:
        for pid in running():
            with __import__("contextlib").suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
