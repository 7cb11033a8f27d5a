"""The runtime end to end: real scripts, real processes, timestamps the scripts record themselves."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import SAMPLE_IGNORE, SAMPLES, ferryman

TRACE_SCRIPT = r'''#!/usr/bin/env python3
"""Test pipe server: key=value args; records "name start end" to $FERRYMAN_TRACE."""
import os, sys, time
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
name = args.get("name", "x")
t0 = time.time()
time.sleep(float(args.get("sleep", "0")))
mode = args.get("mode", "ok")
start, end = int(args.get("zmap_start", 1)), int(args.get("zmap_end", 1000))
if mode == "hang":
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(args["pidfile"], "w") as fh:
        fh.write(str(child.pid))
    time.sleep(600)
if mode == "flood":
    block = ("x" * 1023 + "\n") * 1024
    for _ in range(100):
        sys.stderr.write(block)
    sys.stderr.write("flood done: the last line\n")
sys.stderr.write(f"{name}: note from stderr\n")
out = ["##gff-version 3", f"##sequence-region chr1 {start} {end}"]
for i in range(5):
    s = start + i * 10
    out.append(f"chr1\t{name}\tgene\t{s}\t{s + 5}\t.\t+\t.\tID={name}.g{i}")
if mode == "badgff":
    out.append("chr1\tbad\tgene\t20\t10\t.\t+\t.\tID=bad1")
if mode == "crash":
    sys.stdout.write("\n".join(out[:3]) + "\n")
    sys.stdout.flush()
    sys.stderr.write("crash: database connection lost\n")
    sys.exit(3)
sys.stdout.write("\n".join(out) + "\n")
trace = os.environ.get("FERRYMAN_TRACE")
if trace:
    with open(trace, "a") as fh:
        fh.write(f"{name} {t0:.6f} {time.time():.6f}\n")
'''


def make_ws(root: Path, sources: dict[str, dict[str, str]], groups: dict[str, list[str]],
            after: list[tuple[str, list[str]]] = (), max_parallel: int = 4) -> Path:
    """A workspace of `sources`: name -> {query: 'k=v&…', delayed: 'true', featuresets: 'a', timeout: 'N'}."""
    scripts = root / "zmap" / "scripts"
    scripts.mkdir(parents=True, exist_ok=True)
    (scripts / "t.py").write_text(TRACE_SCRIPT)
    (scripts / "t.py").chmod(0o755)
    (root / "zmap" / "styles.ini").write_text("[fs]\nmode=basic\n\n[extra]\nmode=basic\n")
    cfg = ["[ZMap]", "sources = " + " ; ".join(sources), "script-dir = scripts", "stylesfile = styles.ini", ""]
    for name, spec in sources.items():
        cfg.append(f"[{name}]")
        cfg.append(f"url = pipe:///t.py?name={name}&{spec.get('query', '')}")
        cfg.append(f"featuresets = {spec.get('featuresets', 'fs')}")
        for key in ("delayed", "timeout"):
            if key in spec:
                cfg.append(f"{key} = {spec[key]}")
        cfg.append("")
    cfg.append("[Server-groups]")
    cfg += [f"{g} = {' ; '.join(m)}" for g, m in groups.items()]
    (root / "zmap" / "ZMap").write_text("\n".join(cfg) + "\n")
    manifest = (f'[workspace]\nname = "t"\nmax_parallel = {max_parallel}\n\n[zmap]\nconfig = "zmap/ZMap"\n'
                "region = { sequence = \"chr1\", start = 100, end = 900 }\ntimeout_s = 30\n\n")
    for task, needs in after:
        manifest += f'[[after]]\ntask = "{task}"\nneeds = {json.dumps(needs)}\n\n'
    (root / "ferryman.toml").write_text(manifest)
    return root


def run(root: Path, *args: str, trace: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {"FERRYMAN_TRACE": str(trace)} if trace else {}
    return ferryman("run", "--progress", "plain", *args, cwd=root, env=env, timeout=timeout)


def intervals(trace: Path) -> dict[str, tuple[float, float]]:
    out = {}
    for line in trace.read_text().splitlines():
        name, a, b = line.split()
        out[name] = (float(a), float(b))
    return out


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_groups_are_exclusive_and_the_rest_runs_in_parallel(tmp_path: Path) -> None:
    srcs = {n: {"query": "sleep=0.4"} for n in ("a", "b", "c", "d", "e", "f")}
    root = make_ws(tmp_path, srcs, {"g1": ["a", "b", "c"], "g2": ["c", "d", "e"]})
    trace = tmp_path / "trace"
    proc = run(root, trace=trace)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    iv = intervals(trace)
    assert set(iv) == set(srcs)
    for group in (("a", "b", "c"), ("c", "d", "e")):
        for x in group:
            for y in group:
                assert x == y or not overlap(iv[x], iv[y]), f"{x} and {y} of one group overlapped"
    # a, d and f share no group: they must have run at the same time at some point
    assert overlap(iv["a"], iv["d"]) or overlap(iv["a"], iv["f"]) or overlap(iv["d"], iv["f"])


def test_delayed_sources_and_featureset(tmp_path: Path) -> None:
    srcs = {
        "now": {"query": ""},
        "later": {"query": "", "delayed": "true", "featuresets": "fs ; extra"},
    }
    root = make_ws(tmp_path, srcs, {})
    trace = tmp_path / "trace"
    proc = run(root, trace=trace)
    assert proc.returncode == 0, proc.stderr
    assert set(intervals(trace)) == {"now"}
    assert "note: 1 delayed task not run (pipe:later; add --include-delayed)" in proc.stderr
    trace.unlink()
    proc = run(root, "--featureset", "extra", trace=trace)
    assert proc.returncode == 0, proc.stderr
    assert set(intervals(trace)) == {"later"}
    trace.unlink()
    assert run(root, "--include-delayed", trace=trace).returncode == 0
    assert set(intervals(trace)) == {"now", "later"}
    bad = run(root, "--featureset", "nope")
    assert bad.returncode == 2
    assert "no source provides featureset 'nope'" in bad.stderr


def test_failures_partial_output_and_root_cause_once(tmp_path: Path) -> None:
    srcs = {"good": {"query": ""}, "crash": {"query": "mode=crash"}, "bad": {"query": "mode=badgff"},
            "child": {"query": ""}, "grandchild": {"query": ""}}
    root = make_ws(tmp_path, srcs, {}, after=[("pipe:child", ["pipe:crash"]), ("pipe:grandchild", ["pipe:child"])])
    proc = run(root)
    assert proc.returncode == 1
    gff = root / ".ferryman" / "gff"
    assert (gff / "good.gff").is_file()
    assert not (gff / "crash.gff").exists()
    assert (gff / "crash.partial.gff").read_text().startswith("##gff-version 3\n")
    assert not (gff / "bad.gff").exists() and (gff / "bad.partial.gff").is_file()
    out = proc.stdout
    assert "pipe:crash: exited with status 3 (skipped because of it: pipe:child, pipe:grandchild)" in out
    assert "pipe:bad: invalid GFF at stdout line 8: " in out
    assert "warning: crash: database connection lost" in out
    assert out.count("pipe:crash") == 4  # its row, the two skipped rows naming it, and the failures line
    assert re.search(r"pipe:child +skipped +- +because pipe:crash failed", out), out
    assert not list(gff.glob(".*.tmp"))  # nothing half-written


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    srcs = {"slow": {"query": f"mode=hang&pidfile={pidfile}", "timeout": "1"}}
    root = make_ws(tmp_path, srcs, {})
    t0 = time.monotonic()
    proc = run(root)
    assert time.monotonic() - t0 < 15
    assert proc.returncode == 1
    assert "pipe:slow: timed out after 1 s (process group killed)" in proc.stdout
    child = int(pidfile.read_text())
    _wait_for(lambda: not _alive(child), timeout=5)


@pytest.mark.slow
def test_stderr_flood_of_100_mb(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"noisy": {"query": "mode=flood"}}, {})
    proc = run(root)
    assert proc.returncode == 0, proc.stdout
    log = root / ".ferryman" / "gff" / "noisy.stderr.log"
    assert log.stat().st_size > 100 * 1024 * 1024
    assert "warning: noisy: note from stderr" in proc.stdout


def test_second_concurrent_run_is_refused(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"slow": {"query": "sleep=3"}}, {})
    first = subprocess.Popen([sys.executable, "-m", "ferryman", "run", "--progress", "none"], cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: (root / ".ferryman" / "lock").is_file() and
                  "pid" in (root / ".ferryman" / "lock").read_text())
        second = run(root)
        assert second.returncode == 4
        assert "ferryman: error: another run holds the workspace lock (pid " in second.stderr
    finally:
        first.wait(timeout=60)
    assert first.returncode == 0


def _wait_for(cond, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_sigint_then_resume_completes(tmp_path: Path) -> None:
    srcs = {"fast": {"query": ""}, "slow": {"query": "sleep=4"}, "next": {"query": ""}}
    root = make_ws(tmp_path, srcs, {}, after=[("pipe:next", ["pipe:slow"])])
    trace = tmp_path / "trace"
    env = dict(os.environ, FERRYMAN_TRACE=str(trace))
    proc = subprocess.Popen([sys.executable, "-m", "ferryman", "run", "--progress", "plain"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: trace.is_file() and "fast" in trace.read_text())
    _wait_for(lambda: _running("slow", root))
    # the trace is written just before the script exits: wait until the run has recorded its end
    _wait_for(lambda: '"status": "succeeded", "task": "pipe:fast"' in "".join(
        p.read_text() for p in (root / ".ferryman" / "runs").glob("*/journal.jsonl")))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert not _running("slow", root)  # the child was terminated
    (run_dir,) = (root / ".ferryman" / "runs").iterdir()
    events = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "run-end" and events[-1]["status"] == "interrupted"
    status = {e["task"]: e["status"] for e in events if e["event"] == "task"}
    assert status == {"pipe:fast": "succeeded", "pipe:slow": "cancelled", "pipe:next": "cancelled"}
    # resume: what succeeded is not run again, the rest completes
    trace.unlink()
    resumed = run(root, "--resume", trace=trace)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert set(intervals(trace)) == {"slow", "next"}
    assert "resuming: 1 task already succeeded for this plan (pipe:fast)" in resumed.stderr
    shown = ferryman("runs", "show", "latest", cwd=root)
    assert "pipe:fast" in shown.stdout and "3 succeeded" in shown.stdout
    # the resumed task ran in the first run: no duration in this one, and said so
    fast = next(line for line in shown.stdout.splitlines() if "pipe:fast" in line)
    assert " - " in fast and "resumed: succeeded in an earlier run of this plan" in fast, fast


def _running(name: str, root: Path | None = None) -> bool:
    """Whether a test script for source `name` (of the workspace at `root`, when given: other test
    runs on this machine start scripts of the same names) is alive (a zombie does not count)."""
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        script = str(root).encode() + b"/" if root is not None else b"/"
        if state != "Z" and any(a.endswith(b"/t.py") and script in a for a in args) and f"name={name}".encode() in args:
            return True
    return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_every_produced_gff_passes_gt(tmp_path: Path) -> None:
    gt = shutil.which("gt")
    assert gt, "GenomeTools (gt) is missing: make setup installs it"
    root = tmp_path / "ws"
    shutil.copytree(SAMPLES, root, ignore=SAMPLE_IGNORE)
    pipes = [f"pipe:{s}" for s in ("cpg_islands", "ensembl", "ests", "havana", "repeats")]  # not the NDEx plans
    proc = run(root, "--only", *pipes)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    produced = sorted((root / ".ferryman" / "gff").glob("*.gff"))
    assert len(produced) == 5
    for f in produced:
        check = subprocess.run([gt, "gff3validator", str(f)], capture_output=True, text=True)
        assert check.returncode == 0, f"{f.name}: {check.stderr}"


def test_json_log_format_and_runs_listing(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}, "b": {"query": "mode=crash"}}, {})
    proc = run(root, "--log-format", "json")
    assert proc.returncode == 1
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [(e["event"], e.get("task")) for e in events]
    assert ("running", "pipe:a") in kinds and ("succeeded", "pipe:a") in kinds and ("failed", "pipe:b") in kinds
    assert events[-1]["event"] == "run-end" and events[-1]["status"] == "failed"
    listing = ferryman("runs", cwd=root)
    assert listing.returncode == 0
    (line,) = listing.stdout.splitlines()
    assert " failed " in line and "1 failed, 1 succeeded" in line
    run_id = line.split()[0]
    shown = ferryman("runs", "show", run_id[:12], cwd=root)
    assert shown.returncode == 0
    assert shown.stdout.startswith(f"run {run_id}  workspace t  failed")
    assert ferryman("runs", "show", "nope", cwd=root).returncode == 2


PROXY_SCRIPT = r'''#!/usr/bin/env python3
import os, sys
with open(os.environ["PROXY_SEEN"], "a") as fh:
    fh.write(os.environ.get("ALL_PROXY", "-") + " " + os.environ.get("all_proxy", "-") + "\n")
print("##gff-version 3")
'''


def _bridge_ws(root: Path, port: int) -> Path:
    make_ws(root, {"net": {"query": ""}}, {})
    (root / "zmap" / "scripts" / "t.py").write_text(PROXY_SCRIPT)
    manifest = root / "ferryman.toml"
    manifest.write_text(manifest.read_text() + f"\n[bridge]\nsocks_port = {port}\nwait_s = 0.5\n"
                        'jump = "me@login"\ntarget = "compute123"\n')
    return root


def test_bridge_check_then_proxy_variables(tmp_path: Path) -> None:
    import socket

    with socket.socket() as listener:  # stands in for the SOCKS port an `ssh -R` would open
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        root = _bridge_ws(tmp_path, port)
        plan = json.loads(ferryman("plan", "--format", "json", cwd=root).stdout)
        assert [(t["id"], t["after"]) for t in plan["tasks"]] == [("bridge:check", []), ("pipe:net", ["bridge:check"])]
        seen = tmp_path / "seen"
        proc = ferryman("run", "--progress", "none", cwd=root, env={"PROXY_SEEN": str(seen)})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proxy = f"socks5h://127.0.0.1:{port}"
    assert seen.read_text() == f"{proxy} {proxy}\n"


def test_bridge_down_fails_fast_with_the_tunnel_command(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = _bridge_ws(tmp_path, port)
    proc = ferryman("run", "--progress", "none", cwd=root, env={"PROXY_SEEN": str(tmp_path / "seen"), "USER": "tester"})
    assert proc.returncode == 1
    # the very line `ferryman tunnel` prints for this [bridge] (the jump's user is not reused)
    line = ferryman("tunnel", cwd=root, env={"USER": "tester"}).stdout.strip()
    assert line == f"ssh -N -o ExitOnForwardFailure=yes -J me@login -R 127.0.0.1:{port} tester@compute123"
    assert f"bridge:check: nothing listens on 127.0.0.1:{port}; start the tunnel: {line}" in proc.stdout
    assert "(skipped because of it: pipe:net)" in proc.stdout
    assert not (tmp_path / "seen").exists()


def test_max_parallel_and_fail_fast(tmp_path: Path) -> None:
    srcs = {n: {"query": "sleep=0.3"} for n in ("a", "b", "c")}
    root = make_ws(tmp_path, srcs, {})
    trace = tmp_path / "trace"
    assert run(root, "--max-parallel", "1", trace=trace).returncode == 0
    iv = sorted(intervals(trace).values())
    assert all(iv[i][1] <= iv[i + 1][0] for i in range(len(iv) - 1)), "tasks overlapped with --max-parallel 1"
    root2 = make_ws(tmp_path / "ff", {"bad": {"query": "mode=crash"}, "x": {"query": "sleep=0.2"},
                                      "y": {"query": "sleep=0.2"}}, {}, max_parallel=1)
    trace2 = tmp_path / "trace2"
    proc = ferryman("run", "--progress", "none", "--fail-fast", cwd=root2, env={"FERRYMAN_TRACE": str(trace2)})
    assert proc.returncode == 1
    assert "pipe:bad" in proc.stdout and "cancelled" in proc.stdout
    assert not trace2.exists()  # nothing started after the first failure
