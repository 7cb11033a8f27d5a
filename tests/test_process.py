"""Starting pipe scripts (runtime/process.py, runtime/_spawn.c): every way gives the script the same
world — its own session, default signal dispositions, no signal blocked, stdin /dev/null, only
descriptors 0-2, the cwd and environment asked for — and dies with the thread that started it.
Real processes throughout; `FERRYMAN_SPAWN` picks the way, as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ferryman.runtime import process
from ferryman.runtime.process import start_script, way_in_use

WAYS = ["native", "setpriv", "fork"]

# prints what the script sees: its session, signal masks, open descriptors, cwd, environment
PROBE = r"""#!/bin/sh
# builtins only until the masks are read: dash blocks every signal for a moment around each fork
while IFS= read -r line; do case $line in SigBlk:*|SigIgn:*) echo "$line";; esac; done < /proc/$$/status
read -r stat < /proc/$$/stat
echo "stat $stat"
if [ -e "/proc/$$/fd/$LEAKED" ]; then echo "open $LEAKED"; fi
echo "stdin $(readlink /proc/$$/fd/0)"
echo "cwd $(pwd)"
echo "args $*"
env | sort | sed 's/^/env /'
echo "to stderr" >&2
"""


@pytest.fixture(params=WAYS)
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "native" and process._spawn is None:
        pytest.fail("the C helper runtime/_spawn.c is not built: `pip install -e .` builds it")
    if request.param == "setpriv" and process._setpriv() is None:
        pytest.skip("no util-linux setpriv here")
    monkeypatch.setenv("FERRYMAN_SPAWN", "" if request.param == "native" else request.param)
    assert way_in_use() == request.param
    return str(request.param)


def _probe(tmp_path: Path) -> Path:
    script = tmp_path / "probe.sh"
    script.write_text(PROBE)
    script.chmod(0o755)
    return script


def _run(argv: list[str], cwd: Path, env: dict[str, str], tmp_path: Path) -> tuple[int, str, str]:
    err_path = tmp_path / "stderr.log"
    with open(err_path, "wb") as err:
        proc = start_script(argv, cwd=str(cwd), env=env, stderr=err.fileno())
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.stdout.close()
    rc = proc.wait(timeout=20)
    return rc, out, err_path.read_text()


def test_the_script_gets_a_clean_world(way: str, tmp_path: Path) -> None:
    script = _probe(tmp_path)
    work = tmp_path / "work dir"
    work.mkdir()
    leaked = os.open(os.devnull, os.O_RDONLY)  # an inheritable descriptor the script must not get
    os.set_inheritable(leaked, True)
    env = {"PATH": os.environ["PATH"], "ONLY_THIS": "value with = and spaces", "LEAKED": str(leaked)}
    old = signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as Python runs: the script must get SIG_DFL
    try:
        rc, out, err = _run([str(script), "n=1", "a b"], work, env, tmp_path)
    finally:
        signal.signal(signal.SIGPIPE, old)
        os.close(leaked)
    assert rc == 0, out
    lines = dict(line.split(" ", 1) if " " in line else (line, "") for line in out.splitlines()
                 if not line.startswith(("env ", "Sig")))
    fields = lines["stat"].rsplit(")", 1)[1].split()
    pid, pgrp, session = int(lines["stat"].split()[0]), int(fields[2]), int(fields[3])
    assert pid == pgrp == session  # a session and process group of its own
    masks = dict(line.split(":\t") for line in out.splitlines() if line.startswith("Sig"))
    assert int(masks["SigBlk"], 16) == 0
    assert int(masks["SigIgn"], 16) & (1 << (signal.SIGPIPE - 1)) == 0
    assert int(masks["SigIgn"], 16) & ~((1 << 31) | (1 << 32)) == 0  # but glibc's own 32, 33 (docs/run.md)
    assert "open" not in lines, out  # close_fds: an inheritable descriptor is not passed on
    assert lines["stdin"] == "/dev/null"
    assert lines["cwd"] == str(work)
    assert lines["args"] == "n=1 a b"
    envs = sorted(line[4:] for line in out.splitlines() if line.startswith("env "))
    names = [e.split("=", 1)[0] for e in envs if not e.startswith(("PWD=", "SHLVL=", "_="))]  # the shell's own
    assert names == ["LEAKED", "ONLY_THIS", "PATH"]
    assert "ONLY_THIS=value with = and spaces" in envs
    assert err == "to stderr\n"


def test_exit_status_and_signals_are_reported_as_popen_does(way: str, tmp_path: Path) -> None:
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    assert _run([str(script)], tmp_path, {}, tmp_path)[0] == 3
    script.write_text("#!/bin/sh\nkill -TERM $$\n")
    assert _run([str(script)], tmp_path, {}, tmp_path)[0] == -signal.SIGTERM


def test_wait_times_out_and_poll_sees_the_end(way: str, tmp_path: Path) -> None:
    script = tmp_path / "slow.sh"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(0o755)
    with open(os.devnull, "wb") as err:
        proc = start_script([str(script)], cwd=str(tmp_path), env={"PATH": os.environ["PATH"]}, stderr=err.fileno())
    try:
        assert proc.poll() is None
        t0 = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.2)
        assert 0.15 < time.monotonic() - t0 < 5
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
        assert proc.poll() == -signal.SIGKILL
    finally:
        process.kill_group(proc, signal.SIGKILL)
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "No such file or directory"),
        ("not executable", "Permission denied"),
        ("a folder", "it is a folder"),
        ("a fifo", "it is not a regular file"),
        ("missing interpreter", "its #! interpreter '/nonexistent/interp' does not exist"),
        ("missing cwd", "its working folder {cwd} does not exist"),
        ("in a missing cwd", "its working folder {cwd} does not exist"),  # not "No such file" for the script
    ],
)
def test_a_script_that_cannot_start_raises_oserror_saying_why_and_leaks_nothing(
    way: str, tmp_path: Path, case: str, expected: str
) -> None:
    script = tmp_path / "s.sh"
    script.write_bytes(b"#!/nonexistent/interp\n" if case == "missing interpreter" else b"#!/bin/sh\necho hi\n")
    script.chmod(0o644 if case == "not executable" else 0o755)
    if case in ("a folder", "a fifo"):
        script.unlink()
        script.mkdir() if case == "a folder" else os.mkfifo(script, 0o755)
    argv = [str(tmp_path / "absent.sh")] if case == "missing" else [str(script)]
    cwd = tmp_path / "gone" if case.endswith("missing cwd") else tmp_path
    if case == "in a missing cwd":
        argv = [str(cwd / "s.sh")]
    before = sorted(os.listdir("/proc/self/fd"))
    with open(os.devnull, "wb") as err, pytest.raises(OSError) as info:
        start_script(argv, cwd=str(cwd), env={}, stderr=err.fileno())
    assert info.value.strerror == expected.format(cwd=cwd)  # the same words whichever way it started
    assert sorted(os.listdir("/proc/self/fd")) == before  # the pipe's two ends are closed again
    assert not _zombies()


@pytest.mark.parametrize("content", [b"echo from sh\n", b"\x7fELF-not-really\n"])
def test_a_file_without_shebang_is_run_by_bin_sh(way: str, tmp_path: Path, content: bytes) -> None:
    # as execvp(3) and GLib's g_spawn (ZMap's) do when the kernel cannot execute a file (ENOEXEC)
    script = tmp_path / "plain"
    script.write_bytes(content)
    script.chmod(0o755)
    rc, out, err = _run([str(script)], tmp_path, {"PATH": os.environ["PATH"]}, tmp_path)
    if content.startswith(b"echo"):
        assert (rc, out) == (0, "from sh\n")
    else:  # sh itself refuses it, and says so on stderr
        assert rc != 0 and err


@pytest.mark.parametrize("where", ["argv", "env value", "env name"])
def test_nul_bytes_and_bad_names_are_value_errors(way: str, tmp_path: Path, where: str) -> None:
    script = _probe(tmp_path)
    argv = [str(script), "a\0b"] if where == "argv" else [str(script)]
    env = {"X": "a\0b"} if where == "env value" else {"A=B": "1"} if where == "env name" else {}
    with open(os.devnull, "wb") as err, pytest.raises(ValueError):
        start_script(argv, cwd=str(tmp_path), env=env, stderr=err.fileno())


def test_many_starts_leave_no_descriptor_or_zombie(way: str, tmp_path: Path) -> None:
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/sh\necho x\n")
    script.chmod(0o755)
    _run([str(script)], tmp_path, {}, tmp_path)  # the first start opens /dev/null once, for good
    before = sorted(os.listdir("/proc/self/fd"))
    for _ in range(40):
        assert _run([str(script)], tmp_path, {}, tmp_path)[:2] == (0, "x\n")
    assert sorted(os.listdir("/proc/self/fd")) == before
    assert not _zombies()


def test_scripts_started_from_many_threads_at_once(way: str, tmp_path: Path) -> None:
    script = tmp_path / "s.sh"
    script.write_text('#!/bin/sh\necho "$1"\n')
    script.chmod(0o755)
    results: dict[int, tuple[int, str]] = {}

    def one(i: int) -> None:
        with open(os.devnull, "wb") as err:
            proc = start_script([str(script), str(i)], cwd=str(tmp_path), env={}, stderr=err.fileno())
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        proc.stdout.close()
        results[i] = (proc.wait(timeout=20), out)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {i: (0, f"{i}\n") for i in range(16)}


KILLED_PARENT = textwrap.dedent("""
    import os, sys, threading, time
    from ferryman.runtime.process import start_script
    def go():
        p = start_script([sys.argv[1]], cwd="/", env={}, stderr=2)
        print(p.pid, flush=True)
        time.sleep(60)
    threading.Thread(target=go, daemon=True).start()
    time.sleep(60)
""")


def test_the_script_dies_with_a_sigkilled_ferryman(way: str, tmp_path: Path) -> None:
    script = tmp_path / "hang.sh"
    script.write_text("#!/bin/sh\nexec sleep 60\n")
    script.chmod(0o755)
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "FERRYMAN_SPAWN": os.environ.get("FERRYMAN_SPAWN", "")})
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 10  # setpriv sets the death signal after its own start: wait for sleep
        while _comm(pid) != "sleep" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _alive(pid)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"the script ({way}) outlived its SIGKILLed parent"
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        return ""


def _zombies() -> list[int]:
    """Children of this process that exited and were never reaped."""
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z" and int(fields[1]) == me:
                found.append(int(name))
    return found
