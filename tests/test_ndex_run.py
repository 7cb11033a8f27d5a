"""The ndex task in runs: `ferryman run` copies a plan folder between two local NDEx servers, a second
run writes nothing, one failing plan does not stop the others, the journal and `runs show` list one
decision per network, a literal password works and is never shown, `plan --refresh` writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ferryman.runtime.journal import read_events
from ferryman.testing import NdexServer, make_cx

from .conftest import ferryman

SOURCE_PW = "src-Pw-93!k"
TARGET_PW = "tgt-Pw-17#q"


@pytest.fixture
def servers() -> Iterator[tuple[NdexServer, NdexServer]]:
    with NdexServer({"curator": SOURCE_PW}) as source, NdexServer({"mirror": TARGET_PW}) as target:
        yield source, target


def _workspace(root: Path, source: NdexServer, target: NdexServer, ids: list[str], *, literal: bool = False) -> Path:
    plans = root / "copy-plans"
    plans.mkdir(parents=True)
    (plans / "by-id.json").write_text(json.dumps({
        "planType": "IdCopyPlan",
        "source": {"route": source.url, "username": "curator", "password": "${env:NDEX_SOURCE_PASSWORD}"},
        "target": {"route": target.url, "username": "mirror",
                   "password": TARGET_PW if literal else "${env:NDEX_TARGET_PASSWORD}"},
        "idList": ids,
        "updateTargetNetwork": "false",
    }, indent=2))
    (plans / "by-query.json").write_text(json.dumps({
        "planType": "QueryCopyPlan",
        "source": {"route": source.url, "username": "curator", "password": "${env:NDEX_SOURCE_PASSWORD}"},
        "target": {"route": target.url, "username": "mirror", "password": "${env:NDEX_TARGET_PASSWORD}"},
        "queryString": "pathway", "queryLimit": "10", "queryAccountName": "curator",
    }, indent=2))
    manifest = '[workspace]\nname = "nets"\nper_host_limit = 2\n\n[ndex]\nplans = "copy-plans"\n'
    (root / "ferryman.toml").write_text(manifest)
    return root


ENV = {"NDEX_SOURCE_PASSWORD": SOURCE_PW, "NDEX_TARGET_PASSWORD": TARGET_PW}


def _seed(source: NdexServer) -> list[str]:
    return [
        source.add_network(make_cx(name=f"{name} pathway", nodes=n), "curator", visibility="PUBLIC")
        for name, n in (("WNT", 5), ("TGF-beta", 8), ("Notch", 3))
    ]


def _decisions(root: Path, run_id: str) -> list[dict[str, object]]:
    path = root / ".ferryman" / "runs" / run_id / "journal.jsonl"
    out: list[dict[str, object]] = []
    for e in read_events(str(path)):
        out.extend(e.get("details") or [])
    return out


def test_run_copies_then_a_second_run_writes_nothing(tmp_path: Path, servers: tuple[NdexServer, NdexServer]) -> None:
    source, target = servers
    ids = _seed(source)
    root = _workspace(tmp_path, source, target, ids[:2], literal=True)
    refresh = ferryman("plan", "--refresh", cwd=root, env=ENV)
    assert refresh.returncode == 0, refresh.stderr
    assert target.write_count == 0 and source.write_count == 0
    assert "WNT pathway" in refresh.stdout and "copy" in refresh.stdout

    first = ferryman("run", "--progress", "plain", "--log-format", "json", cwd=root, env=ENV)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(target.network_ids()) == 3  # the two ids, and Notch found by the query (WNT, TGF-beta once)
    run_id = json.loads(first.stdout.splitlines()[-1])["run"]
    decisions = _decisions(root, run_id)
    # the plans share the target account, so they ran one after the other: the later one found
    # the earlier one's copies up to date
    assert sorted((d["name"], d["outcome"]) for d in decisions if d["outcome"] == "copied") == [
        ("Notch pathway", "copied"), ("TGF-beta pathway", "copied"), ("WNT pathway", "copied")]
    assert sorted(d["name"] for d in decisions if d["outcome"] == "skipped") == ["TGF-beta pathway", "WNT pathway"]
    writes = target.write_count

    second = ferryman("run", "--progress", "plain", cwd=root, env=ENV)
    assert second.returncode == 0, second.stdout + second.stderr
    assert target.write_count == writes, "a second run wrote on the target"
    assert len(target.network_ids()) == 3
    show = ferryman("runs", "show", "latest", cwd=root, env=ENV)
    assert "skipped" in show.stdout
    everything = first.stdout + first.stderr + second.stdout + second.stderr + show.stdout + refresh.stdout
    for path in (root / ".ferryman").rglob("*"):
        if path.is_file():
            everything += path.read_text(errors="replace")
    assert SOURCE_PW not in everything and TARGET_PW not in everything


def test_one_failing_plan_does_not_stop_the_others(tmp_path: Path, servers: tuple[NdexServer, NdexServer]) -> None:
    source, target = servers
    ids = _seed(source)
    root = _workspace(tmp_path, source, target, [ids[0], "00000000-0000-4000-8000-000000000000"])
    proc = ferryman("run", "--progress", "plain", cwd=root, env=ENV)
    assert proc.returncode == 1
    assert "FAILED    ndex:by-id" in proc.stderr and "1 copied, 1 failed" in proc.stderr
    assert "ok        ndex:by-query" in proc.stderr
    assert len(target.network_ids()) == 3
    env = dict(ENV, NDEX_TARGET_PASSWORD="wrong-password")
    proc = ferryman("run", "--progress", "plain", cwd=root, env=env)
    assert proc.returncode == 1 and "wrong-password" not in proc.stdout + proc.stderr
