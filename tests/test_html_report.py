"""The HTML run report, opened in a real headless Chromium (Debian's `chromium`, installed by
.ci/install-system-tools): every task has its bar in the lane of each resource it holds, a click
opens its details, nothing is fetched, and no secret or markup from a script gets through."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, ferryman

SECRET = 's3cr<e>t&"pw-7d1f'  # HTML-special on purpose: neither it nor its escaped form may appear

SCRIPT = r'''#!/usr/bin/env python3
import sys, time
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
name = args["name"]
time.sleep(float(args.get("sleep", "0")))
mode = args.get("mode", "ok")
if mode == "secret":  # a script that leaks a password it found on disk: the run's redaction hides it
    with open("secret.txt", encoding="utf-8") as fh:
        sys.stderr.write("connecting with password " + fh.read().strip() + "\n")
if mode == "markup":
    sys.stderr.write("<script>document.title='pwned'</script><b>bold</b> & <i>x</i>\n")
if mode == "fail":
    sys.stderr.write("failing on purpose\n")
    sys.exit(3)
print("##gff-version 3")
print(f"chr1\t{name}\tgene\t100\t200\t.\t+\t.\tID={name}.1")
'''

SOURCES = {  # name -> query
    "a": "sleep=0.6", "b": "sleep=0.3", "c": "sleep=0.3", "d": "sleep=0.5",
    "e": "mode=fail", "f": "mode=secret&sleep=0.2", "g": "mode=markup",
}
GROUPS = {"g1": ["a", "b", "c"], "g2": ["c", "d"]}

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--window-size=1280,1000",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/install-system-tools installs it")
        pytest.skip("chromium is not installed (make setup installs it)")
    return found


def browse(page: Path, profile: Path, *extra: str) -> str:
    proc = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def make_workspace(root: Path) -> Path:
    scripts = root / "zmap" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "s.py").write_text(SCRIPT)
    (scripts / "s.py").chmod(0o755)
    (scripts / "secret.txt").write_text(SECRET + "\n")
    (root / "zmap" / "styles.ini").write_text("[fs]\nmode=basic\n")
    cfg = ["[ZMap]", "sources = " + " ; ".join(SOURCES), "script-dir = scripts", "stylesfile = styles.ini", ""]
    for name, query in SOURCES.items():
        cfg += [f"[{name}]", f"url = pipe:///s.py?name={name}&{query}", "featuresets = fs", ""]
    cfg += ["[Server-groups]"] + [f"{g} = {' ; '.join(m)}" for g, m in GROUPS.items()]
    (root / "zmap" / "ZMap").write_text("\n".join(cfg) + "\n")
    (root / "plans").mkdir()
    endpoint = {"route": "http://127.0.0.1:9/v2", "username": "curator", "password": "${env:REPORT_PW}"}
    (root / "plans" / "nets.json").write_text(json.dumps({
        "planType": "IdCopyPlan", "source": endpoint, "target": dict(endpoint, username="mirror"),
        "idList": ["5bca3218-28ca-11e4-9032-90b11c72aefa"],
    }))
    (root / "ferryman.toml").write_text(
        '[workspace]\nname = "report-demo"\nmax_parallel = 4\n\n[zmap]\nconfig = "zmap/ZMap"\n'
        'region = { sequence = "chr1", start = 100, end = 900 }\ntimeout_s = 30\n\n[ndex]\nplans = "plans"\n'
    )
    return root


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, list[str]]]:
    """A run of the workspace (one failure, a secret and markup on stderr): its folder, the report,
    and task -> resource ids from the plan."""
    root = make_workspace(tmp_path_factory.mktemp("report") / "ws")
    plan = ferryman("plan", "--format", "json", cwd=root)
    assert plan.returncode == 0, plan.stderr
    held = {t["id"]: t["resources"] for t in json.loads(plan.stdout)["tasks"]}
    proc = ferryman("run", "--progress", "none", cwd=root, env={"REPORT_PW": SECRET})
    assert proc.returncode == 1, proc.stdout + proc.stderr  # pipe:e fails
    run_dirs = list((root / ".ferryman" / "runs").iterdir())
    assert len(run_dirs) == 1
    report = run_dirs[0] / "report.html"
    assert report.is_file()  # written at the end of every run
    return run_dirs[0], report, held


PROBE = """
<script>
(function () {
  var bars = [];
  document.querySelectorAll("a.bar").forEach(function (b) {
    var lane = b.closest(".lane"), track = b.closest(".track").getBoundingClientRect(), r = b.getBoundingClientRect();
    bars.push({task: b.dataset.task, lane: lane.dataset.lane, status: b.dataset.status,
               inside: r.left >= track.left - 0.5 && r.right <= track.right + 0.5 && r.top >= track.top - 0.5
                       && r.bottom <= track.bottom + 0.5 && r.width > 0 && r.height > 0,
               color: getComputedStyle(b).backgroundColor});
  });
  var target = document.querySelector("a.bar[data-task='pipe:e']");
  var details = document.getElementById(target.getAttribute("href").slice(1));
  var before = details.open;
  target.click();
  var out = {bars: bars, openedBefore: before, openedAfter: details.open, title: document.title,
             scripts: document.scripts.length, italic: document.querySelectorAll("i").length,
             rows: Array.prototype.map.call(document.querySelectorAll("#summary tbody tr"), function (tr) {
               return tr.dataset.task; })};
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def test_every_task_has_its_bar_in_the_lanes_of_its_resources(finished_run, tmp_path: Path) -> None:
    _, report, held = finished_run
    page = tmp_path / "probe.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = browse(page, tmp_path / "profile", "--dump-dom")
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert m, dom[-3000:]
    probe = json.loads(html.unescape(m.group(1)))
    lanes: dict[str, set[str]] = {}
    for bar in probe["bars"]:
        assert bar["inside"], bar
        lanes.setdefault(bar["task"], set()).add(bar["lane"])
    expected = {tid: set(rs) or {""} for tid, rs in held.items()}
    assert lanes == expected
    assert expected["pipe:c"] == {"group:g1", "group:g2"} and "host:127.0.0.1:9" in expected["ndex:nets"]
    # coloured by status: the failed bar is red, a succeeded one green
    colors = {b["task"]: b["color"] for b in probe["bars"]}
    assert colors["pipe:e"] == "rgb(192, 57, 43)" and colors["pipe:a"] == "rgb(46, 139, 87)"
    # a click on a bar opens that task's details
    assert probe["openedBefore"] is False and probe["openedAfter"] is True
    # the script's markup stayed text: only the report's own script and the probe ran, no <i> came in
    assert probe["title"].startswith("ferryman run") and probe["scripts"] == 2 and probe["italic"] == 0
    assert sorted(probe["rows"]) == sorted(held)


def test_report_is_self_contained_and_shows_no_secret(finished_run) -> None:
    run_dir, report, _ = finished_run
    text = report.read_text(encoding="utf-8")
    for form in (SECRET, html.escape(SECRET), html.escape(SECRET, quote=False), "s3cr"):
        assert form not in text
    assert "connecting with password ***" in text  # the warning is there, masked
    assert "&lt;script&gt;document.title" in text  # markup from stderr, escaped
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    refs = re.findall(r'\b(?:src|href|action)\s*=\s*"([^"]*)"', text)
    assert refs and all(r.startswith("#") for r in refs), refs
    assert not re.search(r"@import|url\(|<link\b|<img\b|<iframe\b", text)
    # the journal it came from was redacted when written; the report adds nothing of its own
    assert SECRET not in (run_dir / "journal.jsonl").read_text(encoding="utf-8")
    for part in ("failing on purpose", "pipe:e", "group g1", "host 127.0.0.1:9", "no resource"):
        assert part in text


def test_screenshot(finished_run, tmp_path: Path) -> None:
    """A picture of the report (a test artifact under pytest's tmp dir)."""
    _, report, _ = finished_run
    shot = tmp_path / "report.png"
    browse(report, tmp_path / "profile", f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1000) and len(data) > 20_000
    if os.environ.get("FERRYMAN_UPDATE_DOCS"):  # refresh the README's picture from a real run
        shutil.copy(shot, ROOT / "docs" / "report.png")


def test_runs_show_html(finished_run, tmp_path: Path) -> None:
    run_dir, report, _ = finished_run
    root = run_dir.parent.parent.parent
    out = tmp_path / "again.html"
    proc = ferryman("runs", "show", "latest", "--html", str(out), cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"report of run {run_dir.name} written to {out}\n"
    assert out.read_text(encoding="utf-8") == report.read_text(encoding="utf-8")
    proc = ferryman("runs", "show", run_dir.name[:12], "--html", "-", cwd=root)
    assert proc.returncode == 0 and proc.stdout == report.read_text(encoding="utf-8")
    proc = ferryman("runs", "show", "latest", "--html", str(tmp_path), cwd=root)
    assert proc.returncode == 2 and "it is a folder" in proc.stderr
    proc = ferryman("runs", "list", "--html", str(out), cwd=root)
    assert proc.returncode == 2 and "--html goes with 'runs show ID'" in proc.stderr


def test_report_of_journal_with_details_and_odd_lines(tmp_path: Path) -> None:
    """NDEx decisions (per-item `details`) are shown as a table; a torn line does not matter."""
    from ferryman.runtime.htmlreport import write_report

    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    events = [
        {"event": "run-start", "time": 100.0, "run": "r1", "digest": "sha256:x", "workspace": "w",
         "tasks": ["ndex:a", "pipe:b"], "resources": {"ndex:a": ["host:h:1"], "pipe:b": []},
         "lines": {"ndex:a": [["from", "http://h:1/v2 as u (password ***)"]]}},
        {"event": "task", "time": 100.5, "task": "ndex:a", "status": "running"},
        {"event": "task", "time": 103.0, "task": "ndex:a", "status": "succeeded", "output": None,
         "details": [{"network": "n-1", "decision": "copy", "reason": "no copy in the target"},
                     {"network": "n-2", "decision": "skip", "reason": "up to date <ok>"}]},
        {"event": "task", "time": 101.0, "task": "pipe:b", "status": "skipped", "error": "because x failed"},
        {"event": "run-end", "time": 103.2, "status": "succeeded"},
    ]
    (run / "journal.jsonl").write_text("\n".join(json.dumps(e) for e in events) + '\n{"event": "ta')
    path = write_report(str(run))
    assert path == str(run / "report.html")
    text = Path(path).read_text(encoding="utf-8")
    assert "<th>network</th><th>decision</th><th>reason</th>" in text
    assert "<td>n-2</td><td>skip</td><td>up to date &lt;ok&gt;</td>" in text
    assert 'data-lane="host:h:1"' in text and "2.50 s" in text
    # never raises: no journal, or a folder where the file should go
    assert write_report(str(tmp_path / "missing" / "r2")) is None and not (tmp_path / "missing").exists()
    assert write_report(str(run), str(tmp_path)) is None
