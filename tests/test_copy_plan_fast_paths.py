"""The per-plan fast paths of validation (docs/formats.md, "Checking thousands of plans"): each
common case decided at once must give exactly what the item-by-item check gives, and the
uncommon case must still be reported where it is. Real files, the real CLI where users read it."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from ferryman.compiler.copyplan import distinct_uuids, is_uuid
from ferryman.compiler.loaders import read_regular
from ferryman.compiler.validate import check_file, display_path

SOURCE = {"route": "http://127.0.0.1:8765/v2", "username": "curator", "password": "${env:NDEX_SOURCE_PASSWORD}"}
TARGET = {"route": "http://127.0.0.1:8765/v2", "username": "mirror", "password": "${env:NDEX_TARGET_PASSWORD}"}


def validate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ferryman", "validate", *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if not line.startswith("  hint:")]


def ids(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]


def id_plan(id_list: list[Any]) -> dict[str, Any]:
    return {"planType": "IdCopyPlan", "source": SOURCE, "target": TARGET, "idList": id_list}


def write(folder: Path, name: str, plan: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    return path


# --- idList: one pass over the joined ids, item by item only to report ------------------------------

# the plan is written with indent=2: "idList" is at line 13, its item i at line 14 + i, column 5
def item_at(i: int) -> str:
    return f"{14 + i}:5"


def test_one_bad_id_among_500_is_reported_alone_at_its_place(tmp_path: Path) -> None:
    id_list = ids(500, 1)
    id_list[317] = id_list[317][:-1] + "g"
    write(tmp_path, "plan.json", id_plan(id_list))
    proc = validate("plan.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert errors(proc) == [
        f'plan.json:{item_at(317)}: error[ND401]: "{id_list[317]}" is not a network UUID (at $.idList[317])',
        "1 error, 0 warnings in 1 file",
    ]


def test_a_repeat_in_other_case_among_500_is_reported_at_the_repeat(tmp_path: Path) -> None:
    id_list = ids(500, 2)
    id_list[499] = id_list[3].upper()
    write(tmp_path, "plan.json", id_plan(id_list))
    proc = validate("plan.json", cwd=tmp_path)
    assert errors(proc) == [
        f'plan.json:{item_at(499)}: error[ND402]: network id "{id_list[499]}" is already listed at idList[3]'
        " (at $.idList[499])",
        "1 error, 0 warnings in 1 file",
    ]


def test_two_ids_in_one_item_are_not_taken_for_two_items(tmp_path: Path) -> None:
    # joined by ",", these three items have exactly the length of three UUIDs and their separators
    a, b, c = ids(3, 3)
    id_list = [f"{a},{b}", "", c[:-1]]
    assert len(",".join(id_list)) == 3 * 37 - 1
    write(tmp_path, "plan.json", id_plan(id_list))
    checked = check_file(str(tmp_path / "plan.json"), "copy-plan")
    assert [(d.code, d.line, d.col, d.json_path) for d in checked.diagnostics] == [
        ("ND401", 14 + i, 5, ("idList", i)) for i in range(3)
    ]
    assert checked.diagnostics[1].message == '"" is not a network UUID'


def test_a_list_of_distinct_uuids_passes_in_any_case(tmp_path: Path) -> None:
    id_list = ids(40, 4)
    id_list[7] = id_list[7].upper()
    write(tmp_path, "plan.json", id_plan(id_list))
    proc = validate("--strict", "plan.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "ok: 1 file valid\n")


def _per_item(id_list: list[Any]) -> bool:
    """The definition the joined-text check stands for: every item a UUID, none repeated (any case)."""
    if not all(isinstance(i, str) and is_uuid(i) for i in id_list):
        return False
    return len({i.lower() for i in id_list}) == len(id_list)


def _mutated(rng: random.Random, value: str) -> Any:
    at = rng.randrange(len(value))
    choice = rng.randrange(9)
    if choice == 0:
        return value[:at] + rng.choice("-,gZ x\n\u0660é0aF") + value[at + 1 :]
    if choice == 1:
        return value[:at] + value[at + 1 :]
    if choice == 2:
        return value[:at] + "-" + value[at:-1]
    if choice == 3:
        return value.upper()
    if choice == 4:
        return value[:8] + "," + value[9:]
    if choice == 5:
        return value + ","
    if choice == 6:
        return "${env:NETWORK_ID}"
    if choice == 7:
        return 5
    return value.replace("-", "", 1) + "0"


def test_the_whole_list_check_agrees_with_the_item_by_item_definition() -> None:
    rng = random.Random(7)
    for n in range(20_000):
        id_list: list[Any] = ids(rng.choice((1, 2, 3, 13)), n)
        kind = rng.random()
        if kind < 0.6:
            at = rng.randrange(len(id_list))
            id_list[at] = _mutated(rng, id_list[at])
        elif kind < 0.7 and len(id_list) > 1:
            id_list[0] = id_list[-1].upper()
        elif kind < 0.8 and len(id_list) > 1:  # a separator moved into an item, the length kept
            id_list[0], id_list[1] = id_list[0] + "," + id_list[1][:-1], id_list[1][-1]
        assert distinct_uuids(id_list) is _per_item(id_list), id_list


# --- JSON: one shared decoder, stopping at a key given twice -------------------------------------------


def test_a_duplicate_key_is_found_after_valid_plans_and_valid_plans_after_it(tmp_path: Path) -> None:
    for name in ("a.json", "c.json"):
        write(tmp_path, name, id_plan(ids(2, 5)))
    text = json.dumps(id_plan(ids(2, 6)), indent=2).replace('"planType"', '"idList": [],\n  "planType"', 1)
    (tmp_path / "b.json").write_text(text, encoding="utf-8")
    for _ in range(2):  # in one process, the decoder is shared by every file
        checked = [check_file(str(tmp_path / name), "copy-plan") for name in ("a.json", "b.json", "c.json")]
        assert [c.ok for c in checked] == [True, False, True]
        assert [(d.code, d.line, d.col) for d in checked[1].diagnostics] == [("IO110", 14, 3)]
        assert checked[1].diagnostics[0].message == 'key "idList" is given twice in one object (first at line 2)'
    proc = validate("a.json", "b.json", "c.json", cwd=tmp_path)
    assert errors(proc) == [
        'b.json:14:3: error[IO110]: key "idList" is given twice in one object (first at line 2)',
        "1 error, 0 warnings in 3 files",
    ]


@pytest.mark.parametrize(
    ("tail", "code"),
    [
        (', "x": NaN}', "IO111"),  # a refused number after the duplicate is still the one reported
        (', "x": [1,, 2]}', "IO103"),  # and so is a syntax error
        (', "x": ' + "[" * 501 + "]" * 501 + "}", "IO110"),  # while too deep a nesting is not
    ],
)
def test_a_duplicate_key_keeps_its_precedence_among_errors(tmp_path: Path, tail: str, code: str) -> None:
    # the inner object is complete (and its duplicate seen) before the parser reaches the tail
    text = '{"planType": "IdCopyPlan", "source": {"route": "a", "route": "b"}' + tail
    (tmp_path / "plan.json").write_text(text, encoding="utf-8")
    checked = check_file(str(tmp_path / "plan.json"), "copy-plan")
    assert [d.code for d in checked.diagnostics] == [code]


# --- reading: the bytes, their sha256, special files -------------------------------------------------


def test_the_sha256_recorded_is_that_of_the_bytes_read(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + json.dumps(id_plan(ids(3, 8))).encode()
    (tmp_path / "plan.json").write_bytes(data)
    checked = check_file(str(tmp_path / "plan.json"), "copy-plan")
    assert checked.ok
    assert checked.doc is not None and checked.doc.sha256 == hashlib.sha256(data).hexdigest()


def test_read_regular_reads_the_whole_file_or_at_most_the_limit(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4000  # more than one read's worth
    (tmp_path / "big").write_bytes(data)
    assert read_regular(str(tmp_path / "big")) == data
    assert read_regular(str(tmp_path / "big"), 1001) == data[:1001]
    assert read_regular(str(tmp_path / "big"), len(data) + 1) == data
    (tmp_path / "empty").write_bytes(b"")
    assert read_regular(str(tmp_path / "empty")) == b""


def test_a_folder_and_a_fifo_are_refused_as_before(tmp_path: Path) -> None:
    (tmp_path / "plans.json").mkdir()
    os.mkfifo(tmp_path / "fifo.json")  # no writer: a blocking open would hang here
    proc = validate("plans.json/", "fifo.json", "--kind", "copy-plan", cwd=tmp_path)
    folder = check_file(str(tmp_path / "plans.json"), "copy-plan")
    fifo = check_file(str(tmp_path / "fifo.json"), "copy-plan")
    assert [d.message for d in folder.diagnostics] == ["cannot read file: Is a directory"]
    assert [d.message for d in fifo.diagnostics] == ["cannot read file: it is a FIFO"]
    assert proc.returncode != 0


# --- display paths with the current folder found once -------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["plan.json", "d/plan.json", "./plan.json", "d/../plan.json", "d//plan.json", ".hidden/plan.json", "..x.json"],
)
def test_paths_in_messages_are_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / ".hidden").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text('{"planType": "IdCopyPlan", ', encoding="utf-8")
    checked = check_file(path, "copy-plan", cwd=os.getcwd())
    assert [d.path for d in checked.diagnostics] == [display_path(path)]


# --- the silent forms decided inline ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "code"),
    [(1, None), ("1", None), (2147483647, None), ("2147483647", None), ("2147483648", "ND415"),
     (2147483648, "ND415"), ("0", "ND415"), (0, "ND415"), ("010", "ND405"), ("\u0661", "ND414"), (True, "SC100 ND414")],
)
def test_query_limits_at_the_edges(tmp_path: Path, limit: Any, code: str | None) -> None:
    plan = {"planType": "QueryCopyPlan", "source": SOURCE, "target": TARGET, "queryString": "*", "queryLimit": limit}
    checked = check_file(str(write(tmp_path, "plan.json", plan)), "copy-plan")
    assert [d.code for d in checked.diagnostics] == (code.split() if code else [])


@pytest.mark.parametrize(
    ("password", "code"),
    [("${env:NDEX_PW}", None), ("${env:_X1}", None), ("${env:1X}", "ND407"), ("${ENV:X}", "ND407"),
     ("${env:X}${env:Y}", None), ("literal", "ND406"), ("", None), (None, "ND410"), ("${env:Ä}", "ND407")],
)
def test_passwords_at_the_edges(tmp_path: Path, password: Any, code: str | None) -> None:
    plan = id_plan(ids(1, 9))
    plan["source"] = {**SOURCE, "password": password}
    checked = check_file(str(write(tmp_path, "plan.json", plan)), "copy-plan")
    assert [d.code for d in checked.diagnostics] == ([code] if code else [])


def test_absolute_paths_show_below_the_current_folder_else_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "d" / "plan.json"
    plan.parent.mkdir()
    plan.write_text("{", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for path in (str(plan), str(tmp_path / "d" / ".." / "d" / "plan.json")):
        assert [d.path for d in check_file(path, "copy-plan").diagnostics] == ["d/plan.json"]
    elsewhere = str(tmp_path / "x")
    assert [d.path for d in check_file(str(plan), "copy-plan", cwd=elsewhere).diagnostics] == [str(plan)]
