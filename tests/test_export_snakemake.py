"""`ferryman export snakemake`: the real Snakemake runs the exported sample workspace.

The sample's NDEx tasks talk to an NDEx server on 127.0.0.1:8765 that these tests do not start, so
the workspaces that Snakemake really runs are the sample without its `[ndex]` table (and the
`[[after]]` edge that names an NDEx task); the dry-run comparison uses the whole sample.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ferryman.compiler.export import rule_names, unique_identifiers

from .conftest import SAMPLE_IGNORE, SAMPLES, ferryman

pytest.importorskip("snakemake")

CORES = "4"


def sample_without_ndex(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(SAMPLES, root, ignore=SAMPLE_IGNORE)
    manifest = (root / "ferryman.toml").read_text()
    manifest = re.sub(r"\n\[ndex\]\n[^\[]*", "\n", manifest)
    manifest = re.sub(r"\n\[\[after\]\]\n.*", "\n", manifest, flags=re.S)
    (root / "ferryman.toml").write_text(manifest)
    shutil.rmtree(root / "copy-plans")
    return root


def export(root: Path, *extra: str) -> tuple[Path, Path]:
    plan = root / ".ferryman" / "plan.json"
    proc = ferryman("plan", "--out", str(plan), cwd=root)
    assert proc.returncode == 0, proc.stderr
    snakefile = root / "Snakefile"
    proc = ferryman("export", "snakemake", str(plan), "-o", str(snakefile), *extra, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return plan, snakefile


def snakemake(root: Path, snakefile: Path, *args: str, trace: Path | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if trace is not None:
        env["FERRYMAN_TRACE"] = str(trace)
    return subprocess.run([sys.executable, "-m", "snakemake", "-s", str(snakefile), *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def intervals(trace: Path) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for line in trace.read_text().splitlines():
        name, a, b = line.split()
        out.setdefault(name, []).append((float(a), float(b)))
    return out


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def journals(root: Path) -> list[dict[str, str]]:
    """Per ferryman run: task id -> its last status."""
    out = []
    for j in sorted((root / ".ferryman" / "runs").glob("*/journal.jsonl")):
        status: dict[str, str] = {}
        for line in j.read_text().splitlines():
            ev = json.loads(line)
            if ev["event"] == "task":
                status[ev["task"]] = ev["status"]
        out.append(status)
    return out


def planned(root: Path, *, include_delayed: bool = False) -> set[str]:
    proc = ferryman("plan", "--format", "json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return {t["id"] for t in json.loads(proc.stdout)["tasks"] if include_delayed or not t["delayed"]}


def dry_run_tasks(root: Path, snakefile: Path, *args: str) -> list[str]:
    proc = snakemake(root, snakefile, "-n", "-p", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return re.findall(r" --only (\S+) --shared-lock", proc.stdout + proc.stderr)


@pytest.mark.slow
def test_snakemake_runs_every_task_once_and_keeps_the_groups(tmp_path: Path) -> None:
    root = sample_without_ndex(tmp_path)
    _, snakefile = export(root)
    trace = tmp_path / "trace"
    proc = snakemake(root, snakefile, "--cores", CORES, trace=trace)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    tasks = planned(root)
    assert tasks == {"pipe:cpg_islands", "pipe:ensembl", "pipe:ests", "pipe:havana", "pipe:repeats",
                     "profile:strict"}
    # every task ran once, in a ferryman run of its own, and succeeded
    runs = journals(root)
    assert sorted(t for r in runs for t in r) == sorted(tasks)
    assert all(s == "succeeded" for r in runs for s in r.values())
    iv = intervals(trace)
    assert {n: len(v) for n, v in iv.items()} == {t.split(":")[1]: 1 for t in tasks if t.startswith("pipe:")}
    # server groups, from the scripts' own timestamps: ests (2 s) sits in both groups, so no other
    # source may have run while it ran; the members of each group never overlapped
    groups = {"compute": ("repeats", "cpg_islands", "ests"), "local_files": ("havana", "ensembl", "ests")}
    for members in groups.values():
        for x in members:
            for y in members:
                assert x == y or not overlap(iv[x][0], iv[y][0]), f"{x} and {y} of one group overlapped"
    for name in ("repeats", "cpg_islands", "havana", "ensembl"):
        assert not overlap(iv[name][0], iv["ests"][0])
    # the outputs are ferryman's, the markers Snakemake's
    for t in tasks:
        assert (root / ".ferryman" / "snakemake" / f"{rule_names(tasks)[t]}.done").is_file()
    assert (root / ".ferryman" / "gff" / "ests.gff").read_text().startswith("##gff-version 3")

    # a second run does nothing
    again = snakemake(root, snakefile, "--cores", CORES, trace=trace)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing to be done" in again.stdout + again.stderr
    assert len(journals(root)) == len(tasks)
    assert sum(len(v) for v in intervals(trace).values()) == len(iv)


@pytest.mark.slow
def test_dry_run_lists_the_tasks_of_ferryman_plan(tmp_path: Path) -> None:
    root = tmp_path / "ws $HOME it's;"  # blanks, quotes, $ and ; in the paths: quoted for the shell
    shutil.copytree(SAMPLES, root, ignore=SAMPLE_IGNORE)
    plan, snakefile = export(root)
    listed = dry_run_tasks(root, snakefile)
    assert sorted(listed) == sorted(planned(root))  # once each, NDEx tasks included, delayed ones not
    proc = snakemake(root, snakefile, "-n", "-p", "--forcerun", "pipe_havana", "--until", "pipe_havana")
    marker = root / ".ferryman" / "snakemake" / "pipe_havana.done"
    assert f"run {shlex.quote(str(plan))} --only pipe:havana" in proc.stdout, proc.stdout + proc.stderr
    assert f"touch {shlex.quote(str(marker))}" in proc.stdout
    _, with_delayed = export(root, "--include-delayed")
    assert sorted(dry_run_tasks(root, with_delayed)) == sorted(planned(root, include_delayed=True))
    text = snakefile.read_text()
    # every resource of the plan, with its capacity, under a name the header maps back to it
    limits = {m[2]: (m[0], int(m[1])) for m in re.findall(r"^    '(\w+)': (\d+),  # '([^']+)'$", text, re.M)}
    resources = json.loads(plan.read_text())["resources"]
    assert {r["id"]: r["capacity"] for r in resources} == {rid: cap for rid, (_, cap) in limits.items()}
    assert limits["group:compute"][0] == "mutex_compute" and limits["group:local_files"][0] == "mutex_local_files"
    hosts = [r["id"] for r in resources if r["kind"] == "host"]
    assert hosts and all(limits[h][0] == "host_" + re.sub(r"\W", "_", h[5:]) for h in hosts)
    assert "${env:" not in text and "NDEX_" not in text and "password" not in text


@pytest.mark.slow
def test_a_failing_task_fails_its_rule_and_a_stale_plan_every_rule(tmp_path: Path) -> None:
    root = sample_without_ndex(tmp_path)
    _, snakefile = export(root, "--include-delayed")
    trace = tmp_path / "trace"
    proc = snakemake(root, snakefile, "--cores", CORES, "--keep-going", trace=trace)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Error in rule pipe_tss_predictions" in out and "Error in rule pipe_polya_sites" in out
    markers = {p.name for p in (root / ".ferryman" / "snakemake").glob("*.done")}
    assert markers == {"pipe_cpg_islands.done", "pipe_ensembl.done", "pipe_ests.done", "pipe_havana.done",
                       "pipe_repeats.done", "profile_strict.done"}

    # an input changes: the saved plan is stale and every rule is refused with exit status 3
    styles = root / "zmap" / "styles.ini"
    styles.write_text(styles.read_text() + "\n# edited\n")
    before = trace.read_text()
    stale = snakemake(root, snakefile, "--cores", CORES, "--keep-going", "--forceall", trace=trace)
    out = stale.stdout + stale.stderr
    assert stale.returncode != 0
    assert out.count("the plan is stale: zmap/styles.ini changed") == 8, out
    assert len(re.findall(r"returned non-zero exit status 3\b", out)) == 8, out
    assert trace.read_text() == before  # no script ran


def test_names_are_identifiers_and_unique() -> None:
    names = rule_names(["pipe:a-b", "pipe:a_b", "pipe:all", "profile:x", "pipe:1"])
    assert len(set(names.values())) == 5
    assert names["profile:x"] == "profile_x" and names["pipe:all"] == "pipe_all" and names["pipe:1"] == "pipe_1"
    assert re.fullmatch(r"pipe_a_b_[0-9a-f]{8}", names["pipe:a-b"])
    assert names["pipe:a-b"] != names["pipe:a_b"]
    assert all(n.isidentifier() for n in names.values())
    assert rule_names(["all"])["all"] != "all"  # the default target's name is taken
    assert unique_identifiers({"group:x y": "mutex_x_y", "group:x.y": "mutex_x_y"}) == unique_identifiers(
        {"group:x.y": "mutex_x_y", "group:x y": "mutex_x_y"})  # the same names in any order


def test_a_brace_in_the_workspace_path_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ws{x}"
    shutil.copytree(SAMPLES, root, ignore=SAMPLE_IGNORE)
    assert ferryman("plan", "--out", "p.json", cwd=root).returncode == 0
    proc = ferryman("export", "snakemake", "p.json", cwd=root)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("ferryman: error: Snakemake cannot name a file whose path has a brace ("), proc.stderr
    assert "Traceback" not in proc.stderr


def test_export_errors_are_one_line(tmp_path: Path) -> None:
    proc = ferryman("export", "snakemake", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and proc.stderr.startswith("ferryman: error: cannot read plan"), proc.stderr
    (tmp_path / "bad.json").write_text("{}")
    proc = ferryman("export", "snakemake", str(tmp_path / "bad.json"))
    assert proc.returncode == 1 and "not supported" in proc.stderr and "Traceback" not in proc.stderr
    proc = ferryman("export", "nextflow", str(tmp_path / "bad.json"))
    assert proc.returncode == 2 and "invalid choice: 'nextflow'" in proc.stderr


def test_shared_lock_runs_share_the_workspace_but_not_a_task(tmp_path: Path) -> None:
    """What the rules rely on: `--shared-lock` runs of different tasks run side by side; the same
    task twice, or an ordinary run beside them, is refused with exit 4."""
    import os
    import time

    root = sample_without_ndex(tmp_path)
    zmap = root / "zmap" / "ZMap"
    zmap.write_text(zmap.read_text().replace("slowgff.py?source=ests&wait=2", "slowgff.py?source=ests&wait=8"))
    plan = root / ".ferryman" / "plan.json"
    assert ferryman("plan", "--out", str(plan), cwd=root).returncode == 0
    env = dict(os.environ)
    slow = subprocess.Popen([sys.executable, "-m", "ferryman", "run", str(plan), "--only", "pipe:ests",
                             "--shared-lock", "--progress", "none"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any('"running"' in j.read_text() for j in root.glob(".ferryman/runs/*/journal.jsonl")):
            assert time.monotonic() < deadline and slow.poll() is None, "pipe:ests never started"
            time.sleep(0.1)
        other = ferryman("run", str(plan), "--only", "pipe:havana", "--shared-lock", "--progress", "none", cwd=root)
        assert other.returncode == 0, other.stderr
        same = ferryman("run", str(plan), "--only", "pipe:ests", "--shared-lock", "--progress", "none", cwd=root)
        assert same.returncode == 4
        assert same.stderr.startswith("ferryman: error: task pipe:ests is running in another run\n"), same.stderr
        plain = ferryman("run", str(plan), "--only", "pipe:repeats", "--progress", "none", cwd=root)
        assert plain.returncode == 4
        assert "another run holds the workspace lock (runs started by a scheduler" in plain.stderr
        assert slow.poll() is None, "the checks took longer than pipe:ests: they proved nothing"
    finally:
        _, err = slow.communicate(timeout=120)
    assert slow.returncode == 0, err
    assert ferryman("run", str(plan), "--only", "pipe:repeats", "--progress", "none", cwd=root).returncode == 0
