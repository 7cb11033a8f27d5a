"""A run under hostile use (issue 8, points 15-24): it cannot be made to write outside its state dir,
to stop early, to lie about how it ended, or to leave scripts running; real subprocesses throughout."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLES, ferryman
from .test_run import _alive, _running, _wait_for, make_ws, run

FERRYMAN = [sys.executable, "-m", "ferryman"]


def _events(root: Path) -> list[dict]:  # type: ignore[type-arg]
    (journal,) = (root / ".ferryman" / "runs").glob("*/journal.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


def _files_below(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _set_script(root: Path, text: str) -> None:
    (root / "zmap" / "scripts" / "t.py").write_text(text)


# -- 15: output paths ------------------------------------------------------------------------------

HOSTILE_NAMES = ["../../../escaped", "..", ".hidden", "a/b", "a%2Fb", "/etc/passwd", "-rf"]


def test_hostile_source_names_write_only_inside_the_state_dir(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "er" / "ws"
    srcs = {n: {"query": "mode=crash" if n == ".." else ""} for n in HOSTILE_NAMES}
    make_ws(root, srcs, {})
    before = _files_below(tmp_path)
    proc = run(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # `..` crashes on purpose: its partial is kept
    new = _files_below(tmp_path) - before
    outside = sorted(f for f in new if not f.startswith("deep/er/ws/.ferryman/"))
    assert outside == []
    gff = sorted(f.removeprefix("deep/er/ws/.ferryman/gff/") for f in new if "/gff/" in f)
    assert gff == sorted([
        "%2E.%2F..%2F..%2Fescaped.gff", "%2E.%2F..%2F..%2Fescaped.stderr.log",
        "%2E..partial.gff", "%2E..stderr.log",
        "%2Ehidden.gff", "%2Ehidden.stderr.log",
        "a%2Fb.gff", "a%2Fb.stderr.log",
        "a%252Fb.gff", "a%252Fb.stderr.log",
        "%2Fetc%2Fpasswd.gff", "%2Fetc%2Fpasswd.stderr.log",
        "-rf.gff", "-rf.stderr.log",
    ])
    assert not list(tmp_path.parent.glob("escaped*")) and not Path("/escaped.gff").exists()


def test_a_saved_plan_edited_to_write_elsewhere_is_refused(tmp_path: Path) -> None:
    import dataclasses

    from ferryman.compiler.plan import Plan

    root = make_ws(tmp_path / "ws", {"a": {"query": ""}}, {})
    plan_path = root / "plan.json"
    assert ferryman("plan", "--out", str(plan_path), cwd=root).returncode == 0
    plan = Plan.from_json(plan_path.read_text())
    # edited with its digest made again: the plan reads as valid, the executor still refuses
    task = plan.tasks[0]
    evil = dataclasses.replace(task, action={**task.action, "output": "../outside.gff"})
    plan_path.write_text(dataclasses.replace(plan, tasks=(evil,)).to_json())
    proc = run(root, str(plan_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pipe:a: output ../outside.gff is outside the state dir; not run" in proc.stdout
    assert not (tmp_path / "outside.gff").exists()
    assert not list(tmp_path.glob("outside*"))


def test_symlinks_planted_in_the_state_dir_are_never_written_through(tmp_path: Path) -> None:
    root = make_ws(tmp_path / "ws", {"a": {"query": ""}, "b": {"query": "mode=crash"}}, {})
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    gff = root / ".ferryman" / "gff"
    gff.mkdir(parents=True)
    for name in ("a.stderr.log", "b.stderr.log", "b.partial.gff", "a.gff"):
        (gff / name).symlink_to(victim)
    proc = run(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert victim.read_text() == "precious\n"
    assert not (gff / "a.stderr.log").is_symlink() and (gff / "a.gff").read_text().startswith("##gff-version 3")
    fifo = gff / "a.stderr.log"
    fifo.unlink()
    os.mkfifo(fifo)  # would block an open() for writing
    assert run(root, timeout=60).returncode == 1
    (root / ".ferryman" / "lock").unlink()
    (root / ".ferryman" / "lock").symlink_to(victim)
    locked = run(root)
    assert locked.returncode == 1
    assert f"ferryman: error: cannot use the state dir {root}/.ferryman: {root}/.ferryman/lock is a symbolic link" \
        in locked.stderr
    assert victim.read_text() == "precious\n"


def test_empty_state_dir_is_refused_located(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    manifest = root / "ferryman.toml"
    manifest.write_text(manifest.read_text().replace('name = "t"', 'name = "t"\nstate_dir = ""'))
    proc = ferryman("validate", cwd=root)
    assert proc.returncode == 1
    assert "ferryman.toml:3:1: error[SC100]: '' should be non-empty (at $.workspace.state_dir)" in proc.stderr
    proc = run(root)
    assert proc.returncode == 1 and not (root / "gff").exists()


def test_absolute_state_dir_is_the_users_choice(tmp_path: Path) -> None:
    root = make_ws(tmp_path / "ws", {"a": {"query": ""}}, {})
    state = tmp_path / "elsewhere"
    manifest = root / "ferryman.toml"
    manifest.write_text(manifest.read_text().replace('name = "t"', f'name = "t"\nstate_dir = "{state}"'))
    proc = run(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (state / "gff" / "a.gff").is_file() and (state / "lock").is_file()
    assert not (root / ".ferryman").exists()


# -- 16: a reader that leaves ----------------------------------------------------------------------

def _run_until_first_line(root: Path, *args: str, merge_stderr: bool) -> tuple[int, str]:
    proc = subprocess.Popen([*FERRYMAN, "run", *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT if merge_stderr else subprocess.DEVNULL)
    assert proc.stdout is not None
    first = proc.stdout.readline().decode()
    proc.stdout.close()  # like `| head -1`
    return proc.wait(timeout=60), first


@pytest.mark.parametrize("args", [("--progress", "plain"), ("--progress", "plain", "--log-format", "json"),
                                  ("--progress", "none")])
def test_closed_stdout_does_not_abandon_the_run(tmp_path: Path, args: tuple[str, ...]) -> None:
    srcs = {"a": {"query": ""}, "b": {"query": "sleep=0.5"}, "c": {"query": "sleep=0.5&mode=crash"},
            "d": {"query": "sleep=1"}}
    root = make_ws(tmp_path, srcs, {}, max_parallel=1)
    code, first = _run_until_first_line(root, *args, merge_stderr=True)
    assert first
    assert code == 1  # c failed: the exit code says so, whoever stopped reading
    events = _events(root)
    assert events[-1]["event"] == "run-end" and events[-1]["status"] == "failed"
    status = {e["task"]: e["status"] for e in events if e["event"] == "task"}
    assert status == {"pipe:a": "succeeded", "pipe:b": "succeeded", "pipe:c": "failed", "pipe:d": "succeeded"}


def test_closed_stdout_after_a_good_run_exits_0(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": "sleep=0.3"}, "b": {"query": "sleep=0.3"}}, {}, max_parallel=1)
    code, _ = _run_until_first_line(root, "--progress", "plain", "--log-format", "json", merge_stderr=False)
    assert code == 0
    assert _events(root)[-1]["status"] == "succeeded"


def test_closed_stderr_from_the_start(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}, "b": {"query": "mode=crash"}}, {})
    proc = subprocess.run(["sh", "-c", f"exec {sys.executable} -m ferryman run --progress plain 2>&-"], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "pipe:b: exited with status 3" in proc.stdout
    assert _events(root)[-1]["event"] == "run-end"


# -- 17: a torn journal ----------------------------------------------------------------------------

@pytest.mark.parametrize("torn", [b'{"event": "task", "task": "pipe:a", "sta', b'{"event": "task"}\xff\xfe\x80\n',
                                  b"[1, 2, 3]\n", b'"just a string"\n', b'{"event": "task", "task": 7, "time": "x"}\n',
                                  b'{"event": "run-start", "tasks": 5, "time": "noon"}\n',
                                  b'{"event": "run-end", "time": 1e300, "status": []}\n'])
def test_torn_journal_line_is_skipped_with_a_warning(tmp_path: Path, torn: bytes) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}, "b": {"query": "mode=crash"}}, {})
    assert run(root).returncode == 1
    (journal,) = (root / ".ferryman" / "runs").glob("*/journal.jsonl")
    with open(journal, "ab") as fh:
        fh.write(torn)
    listing = ferryman("runs", cwd=root)
    assert listing.returncode == 0, listing.stderr
    assert "1 failed, 1 succeeded" in listing.stdout
    if torn.strip().startswith(b"{") and b"\xff" not in torn and torn.endswith(b"\n"):
        return  # a JSON object with odd fields: read, its odd fields ignored
    line = len(journal.read_bytes().splitlines())
    assert f"ferryman: warning: {journal}:{line}: skipped a damaged journal line (not a JSON object)" in listing.stderr
    shown = ferryman("runs", "show", "latest", cwd=root)
    assert shown.returncode == 0 and "pipe:a" in shown.stdout, shown.stderr
    resumed = run(root, "--resume")
    assert resumed.returncode == 1, resumed.stderr  # b still crashes; a is not run again
    assert "resuming: 1 task already succeeded for this plan (pipe:a)" in resumed.stderr
    assert "Traceback" not in resumed.stderr


# -- 18: kill -9 of ferryman ------------------------------------------------------------------------

def test_scripts_die_with_ferryman_and_the_next_run_ends_what_is_left(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    srcs = {"slow": {"query": f"mode=hang&pidfile={pidfile}"}, "quick": {"query": ""}}
    root = make_ws(tmp_path, srcs, {})
    first = subprocess.Popen([*FERRYMAN, "run", "--progress", "none", "--only", "pipe:slow"], cwd=root,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    grandchild = 0
    try:
        _wait_for(lambda: pidfile.is_file() and pidfile.read_text().strip() != "")
        grandchild = int(pidfile.read_text())
        lock = (root / ".ferryman" / "lock").read_text()
        assert re.fullmatch(r"pid \d+\ngroup \d+ \d+\n", lock), lock
        assert _running("slow", root) and _alive(grandchild)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        _wait_for(lambda: not _running("slow", root), timeout=5)  # PR_SET_PDEATHSIG
        assert _alive(grandchild)  # in the script's process group, not its child any more
        second = run(root, "--only", "pipe:quick")
        assert second.returncode == 0, second.stdout + second.stderr
        group = lock.split()[3]
        assert f"note: ended 1 process group left running by a run that crashed ({group})" in second.stderr
        _wait_for(lambda: not _alive(grandchild), timeout=5)
    finally:
        first.kill()
        if grandchild and _alive(grandchild):
            os.kill(grandchild, signal.SIGKILL)


def test_a_reused_process_group_number_is_left_alone(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"quick": {"query": ""}}, {})
    # a process group that is not ours: the pid exists but its start time differs from the record
    bystander = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        (root / ".ferryman").mkdir()
        (root / ".ferryman" / "lock").write_text(f"pid 1\ngroup {bystander.pid} 1\n")
        proc = run(root)
        assert proc.returncode == 0, proc.stderr
        assert "process group" not in proc.stderr
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


# -- 19: a line without end ---------------------------------------------------------------------------

ENDLESS_LINE = r'''#!/usr/bin/env python3
import sys
out = sys.stdout.buffer
out.write(b"##gff-version 3\n")
block = b"x" * 65536
for _ in range(300 * 16):  # 300 MB, no newline
    out.write(block)
'''

RSS_WRAPPER = r'''
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(proc.stdout)
sys.stderr.write(proc.stderr)
print(f"maxrss_kb {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(proc.returncode)
'''


def test_a_line_of_300_mb_fails_in_bounded_memory(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"endless": {"query": ""}}, {})
    _set_script(root, ENDLESS_LINE)
    proc = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *FERRYMAN, "run", "--progress", "plain"], cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pipe:endless: stdout line 2 is longer than 4,194,304 bytes: GFF lines must end with a newline " \
           "(process group killed)" in proc.stdout
    rss_mb = int(proc.stdout.rsplit("maxrss_kb ", 1)[1]) / 1024
    assert rss_mb < 120, f"peak memory {rss_mb:.0f} MB"
    partial = root / ".ferryman" / "gff" / "endless.partial.gff"
    assert partial.read_bytes().startswith(b"##gff-version 3\nxxxx")
    assert partial.stat().st_size < 50 << 20  # stopped soon after the limit, not after 300 MB
    assert not _running("endless", root)


LONG_FASTA_THEN_BAD = r'''#!/usr/bin/env python3
import sys
out = sys.stdout.buffer
out.write(b"##gff-version 3\nchr1\tt\tgene\t1\t9\t.\t+\t.\tID=g1\n##FASTA\n>chr1\n")
out.write(b"ACGT" * (5 << 18) + b"\n")  # line 5: a 5 MiB sequence line, allowed (checked in pieces)
out.write(b"ACGT\nACGT\nAC GT\n")  # line 8: a space, an error of its own
'''


def test_a_long_fasta_line_is_not_blamed_for_a_later_error(tmp_path: Path) -> None:
    # was: after a long sequence line any later error was reported as that line being too long
    root = make_ws(tmp_path, {"seq": {"query": ""}}, {})
    _set_script(root, LONG_FASTA_THEN_BAD)
    proc = subprocess.run([*FERRYMAN, "run", "--progress", "none"], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pipe:seq: invalid GFF at stdout line 8: FASTA sequence line has the character ' '" in proc.stdout, \
        proc.stdout
    assert "longer than" not in proc.stdout
    partial = root / ".ferryman" / "gff" / "seq.partial.gff"
    assert partial.read_bytes().endswith(b"AC GT\n")  # the script ran to its end: nothing was killed


# -- 20: a full disk ---------------------------------------------------------------------------------

BIG_GFF = r'''#!/usr/bin/env python3
import sys
out = sys.stdout
out.write("##gff-version 3\n")
for i in range(200_000):  # about 10 MB
    out.write(f"chr1\tbig\tgene\t{i + 1}\t{i + 2}\t.\t+\t.\tID=g{i}\n")
'''


@pytest.fixture
def tiny_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    mount = tmp_path / "ws" / ".ferryman"
    mount.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs here ({done.stderr.strip()}): needs root or CAP_SYS_ADMIN")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_fails_the_task_cleanly(tmp_path: Path, tiny_disk: Path) -> None:
    root = make_ws(tmp_path / "ws", {"big": {"query": ""}, "small": {"query": ""}}, {},
                   after=[("pipe:small", ["pipe:big"])])
    _set_script(root, BIG_GFF)
    proc = run(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stdout + proc.stderr
    assert re.search(r"pipe:big: cannot write \.ferryman/gff/big\.gff: no space left on device "
                     r"\(process group killed, nothing kept\)", proc.stdout), proc.stdout
    gff = tiny_disk / "gff"
    assert sorted(p.name for p in gff.iterdir()) == ["big.stderr.log"]  # no .tmp, no partial
    assert not _running("big", root)
    events = _events(root)
    assert events[-1]["event"] == "run-end" and events[-1]["status"] == "failed"


# -- 22: user faults are not internal errors -----------------------------------------------------------

def test_state_dir_that_cannot_be_made(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    (root / "blocker").write_text("a file where a folder should be\n")
    manifest = root / "ferryman.toml"
    manifest.write_text(manifest.read_text().replace('name = "t"', 'name = "t"\nstate_dir = "blocker/state"'))
    proc = run(root)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines()[-2:] == [
        f"ferryman: error: cannot use the state dir {root}/blocker/state: Not a directory",
        "  hint: state_dir in [workspace] must name a folder this user can write",
    ]


def test_saved_plan_whose_state_dir_became_a_file(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    assert ferryman("plan", "--out", "plan.json", cwd=root).returncode == 0
    (root / ".ferryman").write_text("not a folder")
    proc = run(root, "plan.json")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "ferryman: error: the state dir .ferryman is not a folder"


@pytest.mark.parametrize("target,message", [
    (".", "ferryman: error: cannot save the plan to .: it is a folder"),
    ("ferryman.toml/plan.json",
     "ferryman: error: cannot save the plan to ferryman.toml/plan.json: ferryman.toml is not a folder"),
])
def test_plan_out_onto_a_folder_or_under_a_file(tmp_path: Path, target: str, message: str) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    proc = ferryman("plan", "--out", target, cwd=root)
    assert proc.returncode in (1, 2)
    assert proc.stderr.splitlines()[0] == message


def test_plan_file_in_utf16(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    text = ferryman("plan", "--format", "json", cwd=root).stdout
    (root / "plan16.json").write_bytes(text.encode("utf-16"))
    proc = run(root, "plan16.json")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "ferryman: error: plan16.json: not a ferryman plan file: not UTF-8 (byte 1)"


def test_toml_nested_thousands_deep(tmp_path: Path) -> None:
    (tmp_path / "ferryman.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    for args in (["validate", "--kind", "manifest", "ferryman.toml"], ["plan"], ["run"]):
        proc = ferryman(*args, cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.splitlines()[0].startswith("ferryman.toml:1:")  # at the deepest bracket
        assert proc.stderr.splitlines()[0].endswith(
            "error[IO107]: arrays or inline tables nested deeper than Python's parser can follow")
    for args in (["runs"], ["tunnel"]):
        proc = ferryman(*args, cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stderr.strip() == ("ferryman: error: cannot read ferryman.toml: arrays or inline tables "
                                       "nested deeper than Python's parser can follow")
    doctor = ferryman("doctor", cwd=tmp_path)
    assert doctor.returncode == 1 and "nested deeper than Python's parser" in doctor.stdout + doctor.stderr


# -- 24: modes and control characters ----------------------------------------------------------------

def _sh(cmd: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", cmd], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_outputs_follow_the_umask_and_keep_a_files_mode(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    py = f"{sys.executable} -m ferryman"
    assert _sh(f"umask 002 && {py} plan --out plan.json >/dev/null && {py} run plan.json --progress none", root
               ).returncode == 0
    assert (root / "plan.json").stat().st_mode & 0o777 == 0o664
    gff = root / ".ferryman" / "gff" / "a.gff"
    assert gff.stat().st_mode & 0o777 == 0o664
    (root / "plan.json").chmod(0o640)
    gff.chmod(0o604)
    assert _sh(f"umask 077 && {py} plan --out plan.json >/dev/null && {py} run plan.json --progress none", root
               ).returncode == 0
    assert (root / "plan.json").stat().st_mode & 0o777 == 0o640
    assert gff.stat().st_mode & 0o777 == 0o604


HOSTILE_STDERR = r'''#!/usr/bin/env python3
import sys
sys.stdout.write("##gff-version 3\n")
sys.stderr.write("\x1b]0;owned\x07\x1b[2J\x1b[31mred\x08\u202eevil\n")
'''


def test_script_stderr_is_shown_with_control_characters_escaped(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    _set_script(root, HOSTILE_STDERR)
    proc = run(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = r"\x1b]0;owned\x07\x1b[2J\x1b[31mred\x08\u202eevil"
    assert f"warning: {shown}" in proc.stdout
    assert f"warning: {shown}" in proc.stderr  # the plain progress line
    for text in (proc.stdout, proc.stderr, ferryman("runs", "show", "latest", cwd=root).stdout):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", text), repr(text)
    (ev,) = [e for e in _events(root) if e["event"] == "task" and e["status"] == "succeeded"]
    assert ev["warning"] == shown  # the journal stores the shown line; the raw bytes stay in the log
    assert (root / ".ferryman" / "gff" / "a.stderr.log").read_bytes().startswith(b"\x1b]0;owned\x07")


def test_github_annotations_escape_newlines_in_paths(tmp_path: Path) -> None:
    bad = tmp_path / "odd\nname.json"
    bad.write_text('{"planType": "IdCopyPlan",')
    proc = ferryman("validate", "--format", "github", str(bad))
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("::error file="), proc.stdout
    assert "odd%0Aname.json" in lines[0]


# -- 21: what validate lets through, the run must not trip on ----------------------------------------

def test_fifo_input_is_refused_without_blocking(tmp_path: Path) -> None:
    root = tmp_path
    (root / "ferryman.toml").write_text('[workspace]\nname = "x"\n\n[ndex]\nplans = ["p.json"]\n')
    os.mkfifo(root / "p.json")
    proc = ferryman("validate", "p.json", cwd=root, timeout=20)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == "p.json:1:1: error[IO101]: cannot read file: it is a FIFO"
    proc = ferryman("validate", "/dev/zero", timeout=20)
    assert proc.stderr.splitlines()[0] == "/dev/zero:1:1: error[IO101]: cannot read file: it is a character device"
    whole = ferryman("validate", cwd=root, timeout=20)
    assert whole.returncode == 1 and "Traceback" not in whole.stderr
    assert "ferryman.toml:5:10: error[WS601]: copy-plan input p.json is not a regular file (at $.ndex.plans[0])" \
        in whole.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_nan_and_infinite_timeouts_are_refused(tmp_path: Path, value: str) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    manifest = root / "ferryman.toml"
    manifest.write_text(manifest.read_text().replace("timeout_s = 30", f"timeout_s = {value}"))
    proc = ferryman("validate", cwd=root)
    assert proc.returncode == 1
    shown = {"nan": "nan", "+nan": "nan", "inf": "inf", "-inf": "-inf"}[value]
    assert f"ferryman.toml:8:1: error[WS606]: zmap.timeout_s is {shown} (at $.zmap.timeout_s)" in proc.stderr
    assert run(root).returncode == 1  # run compiles, and so validates, first


def test_backwards_region_and_plan_stems(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": ""}}, {})
    manifest = root / "ferryman.toml"
    text = manifest.read_text().replace("start = 100, end = 900", "start = 900, end = 100")
    for d in ("x", "y"):
        (root / d).mkdir()
        (root / d / "nets.json").write_bytes((SAMPLES / "copy-plans" / "human-nets.json").read_bytes())
    manifest.write_text(text + '[ndex]\nplans = ["x/nets.json", "y/nets.json"]\n')
    proc = ferryman("validate", cwd=root)
    assert proc.returncode == 1
    assert "ferryman.toml:7:31: error[WS607]: region start 900 is after its end 100 (at $.zmap.region.start)" \
        in proc.stderr
    assert re.search(r"ferryman\.toml:\d+:\d+: error\[WS608\]: copy plans x/nets\.json and y/nets\.json share "
                     r"the stem 'nets' \(at \$\.ndex\.plans\[1\]\)", proc.stderr), proc.stderr


