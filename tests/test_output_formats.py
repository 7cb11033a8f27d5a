"""The output formats every command shares (ferryman/output.py): text, json and github, for
`validate`, `gff-check` and the final result of `run`."""

from __future__ import annotations

import json
from pathlib import Path

from ferryman.output import GffOutcome, github_command, render_gff

from .conftest import ferryman
from .test_run import make_ws

H = "##gff-version 3\n"


def test_github_command_escapes_as_the_actions_toolkit_does() -> None:
    # data: % CR LF; properties: those and : ,
    assert github_command("error", "50% done\r\nnext", file="a,b:c.gff", line=3, col=1) == (
        "::error file=a%2Cb%3Ac.gff,line=3,col=1::50%25 done%0D%0Anext"
    )
    assert github_command("warning", "plain") == "::warning::plain"
    assert github_command("error", "x", title="pipe:ests") == "::error title=pipe%3Aests::x"


def test_gff_check_github_annotates_errors_and_warnings(tmp_path: Path) -> None:
    path = tmp_path / "cds.gff3"
    path.write_text(
        H
        + "chr1\tx\tgene\t20\t10\t.\t+\t.\tID=g1\n"
        + "chr1\tx\tCDS\t1\t9\t.\t+\t0\tID=c1\n"
        + "chr1\tx\tCDS\t21\t29\t.\t-\t0\tID=c1\n"
    )
    proc = ferryman("gff-check", "--format", "github", str(path))
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout == (
        f"::error file={path},line=2,col=1::[GFF001] start 20 is after end 10\n"
        f"::warning file={path},line=4,col=1::[GFF002] ID 'c1' is used on line 3 with strand '+', here '-'"
        " (a trans-spliced CDS?)\n"
    )
    # the text form of the same file is unchanged: path:LINE: message, then the summary
    text = ferryman("gff-check", str(path))
    assert text.stderr == (
        f"{path}:2: start 20 is after end 10\n"
        f"{path}:4: warning: ID 'c1' is used on line 3 with strand '+', here '-' (a trans-spliced CDS?)\n"
        "1 error in 1 of 1 file\n"
    )


def test_gff_check_github_counts_what_max_errors_left_out(tmp_path: Path) -> None:
    path = tmp_path / "many.gff3"
    path.write_text(H + "".join(f"chr1\tx\tgene\t1\t9\t.\tx\t.\tID=g{i}\n" for i in range(3)))
    proc = ferryman("gff-check", "--format", "github", "--max-errors", "1", str(path))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"::error file={path},line=2,col=1::[GFF001] strand 'x' is not one of + - . ?",
        f"::error file={path}::[GFF001] 2 more errors not shown (--max-errors 1)",
    ]


def test_gff_check_github_valid_file_prints_nothing() -> None:
    proc = ferryman("gff-check", "--format", "github", "tests/data/gff/valid_canonical_gene.gff3")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_unreadable_gff_is_one_finding_in_every_format() -> None:
    outcome = GffOutcome("x,y.gff", None, "cannot read: Permission denied")
    assert render_gff([outcome], "text", max_errors=5) == "x,y.gff: cannot read: Permission denied\n"
    assert render_gff([outcome], "github", max_errors=5) == (
        "::error file=x%2Cy.gff::[GFF003] cannot read: Permission denied\n"
    )
    assert json.loads(render_gff([outcome], "json", max_errors=5)) == {
        "valid": False, "files": [{"path": "x,y.gff", "valid": False, "read_error": "cannot read: Permission denied"}],
    }


def _failing_ws(tmp_path: Path) -> Path:
    return make_ws(tmp_path, {"a": {"query": ""}, "b": {"query": "mode=crash"}, "c": {"query": ""}}, {},
                   after=[("pipe:c", ["pipe:b"])])


def test_run_github_annotates_each_failed_task(tmp_path: Path) -> None:
    root = _failing_ws(tmp_path)
    proc = ferryman("run", "--progress", "none", "--format", "github", cwd=root)
    assert proc.returncode == 1, proc.stderr
    # one annotation, for the root cause (the skipped dependant is not annotated), its stderr
    # line after an escaped newline
    assert proc.stdout == "::error title=pipe%3Ab::exited with status 3%0Awarning: crash: database connection lost\n"


def test_run_json_is_one_line_with_every_task(tmp_path: Path) -> None:
    root = _failing_ws(tmp_path)
    proc = ferryman("run", "--progress", "none", "--format", "json", cwd=root)
    assert proc.returncode == 1, proc.stderr
    (line,) = proc.stdout.splitlines()
    doc = json.loads(line)
    assert (doc["event"], doc["status"], doc["workspace"]) == ("run-end", "failed", "t")
    assert doc["counts"] == {"succeeded": 1, "failed": 1, "skipped": 1}
    tasks = {t["id"]: t for t in doc["tasks"]}
    assert sorted(tasks) == ["pipe:a", "pipe:b", "pipe:c"]
    a, b, c = tasks["pipe:a"], tasks["pipe:b"], tasks["pipe:c"]
    assert a["status"] == "succeeded" and a["error"] is None and a["duration_s"] > 0
    assert a["output"] == ".ferryman/gff/a.gff" and a["warning"] == "a: note from stderr"
    assert b["status"] == "failed" and b["error"] and b["warning"] == "crash: database connection lost"
    assert c["status"] == "skipped" and c["error"] == "because pipe:b failed" and c["duration_s"] is None
    assert set(a) == {"id", "status", "duration_s", "message", "warning", "error", "output", "details"}
    assert doc["ended"] >= doc["started"]
    # the same object ends the --log-format json event stream
    events = ferryman("run", "--progress", "none", "--log-format", "json", cwd=root)
    last = json.loads(events.stdout.splitlines()[-1])
    assert last["event"] == "run-end" and {t["id"] for t in last["tasks"]} == set(tasks)


def test_run_text_is_the_summary_runs_show_prints(tmp_path: Path) -> None:
    root = _failing_ws(tmp_path)
    proc = ferryman("run", "--progress", "none", cwd=root)
    explicit = ferryman("runs", "show", "latest", cwd=root)
    assert proc.returncode == 1
    assert proc.stdout == explicit.stdout
    assert "failures:\n  pipe:b: " in proc.stdout


def test_validate_github_escapes_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "a,b.json"
    bad.write_text('{"planType": "IdCopyPlan", "idList": "x\n}\n')
    proc = ferryman("validate", "--format", "github", str(bad))
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error file=" + str(bad).replace(",", "%2C") + ",line=1,col=")
