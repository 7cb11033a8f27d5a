"""Copy plans executed between two local NDEx servers (runtime/ndex/copy.py)."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

import pytest
import requests

from ferryman.compiler.secrets import resolve
from ferryman.runtime.ndex.client import NdexClient, NdexError
from ferryman.runtime.ndex.copy import CopySettings, NetworkDecision, run_copy_plan
from ferryman.runtime.services import http_session
from ferryman.testing import NdexServer, cx_bytes, make_cx, pytest_plugin

ndex_server_factory = pytest_plugin.ndex_server_factory

SRC_PW, TGT_PW = "s3cr3t-source-pw", "t4rg3t-target-pw"
USERS = {"alice": SRC_PW, "bob": TGT_PW}
ENV = {"SRC_PW": SRC_PW, "TGT_PW": TGT_PW}
FAST = CopySettings(timeout=(5.0, 10.0), load_limit_s=20.0, lookup_wait_s=1.0, page_size=3)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    s = http_session(retries=2, backoff=0.05)
    yield s
    s.close()


@pytest.fixture
def servers(ndex_server_factory: Any) -> tuple[NdexServer, NdexServer]:
    return ndex_server_factory(USERS), ndex_server_factory(USERS)


def action(src: NdexServer, tgt: NdexServer, *, ids: list[str] | None = None, query: str = "*",
           limit: int | None = 100, account: str | None = "alice", update: bool = False,
           update_ro: bool = False) -> dict[str, Any]:
    """A plan task's action as the compiler writes it (compiler/plan.py)."""
    return {
        "plan": "plans/copy.json",
        "plan_type": "IdCopyPlan" if ids is not None else "QueryCopyPlan",
        "source": {"route": src.url, "username": "alice", "password": "${env:SRC_PW}"},
        "target": {"route": tgt.url, "username": "bob", "password": "${env:TGT_PW}"},
        "selection": {"ids": ids} if ids is not None else {"query": query, "limit": limit, "account": account},
        "update_target": update,
        "update_read_only": update_ro,
    }


def run(session: requests.Session, act: dict[str, Any], *, refresh: bool = False, workers: int = 4,
        settings: CopySettings = FAST) -> dict[str, NetworkDecision]:
    out = run_copy_plan(session, act, lambda s: resolve(s, ENV), workers, threading.Event(), refresh=refresh,
                        settings=settings)
    text = json.dumps([d.as_dict() for d in out])
    assert SRC_PW not in text and TGT_PW not in text
    return {d.name: d for d in out}


def as_alice(server: NdexServer, session: requests.Session) -> NdexClient:
    return NdexClient(session, server.url, "alice", SRC_PW)


def as_bob(server: NdexServer, session: requests.Session) -> NdexClient:
    return NdexClient(session, server.url, "bob", TGT_PW)


def spool(data: bytes) -> IO[bytes]:
    f: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=1024)  # noqa: SIM115 (closed by callers)
    f.write(data)
    f.seek(0)
    return f


def edit_source(src: NdexServer, session: requests.Session, network_id: str, name: str, nodes: int) -> None:
    time.sleep(0.01)  # a later modificationTime than the copy's, in ms
    c = as_alice(src, session)
    with spool(cx_bytes(make_cx(name, nodes))) as f:
        c.update(network_id, f)
    c.wait_valid(network_id, limit_s=10)


def target_networks(tgt: NdexServer) -> list[dict[str, Any]]:
    return [tgt.summary(i) for i in tgt.network_ids()]


def test_query_plan_copies_with_provenance_and_a_second_run_writes_nothing(
    servers: tuple[NdexServer, NdexServer], session: requests.Session
) -> None:
    src, tgt = servers
    ids = {src.add_network(make_cx(f"pathway {i}", 3 + i), "alice"): f"pathway {i}" for i in range(5)}
    src.add_network(make_cx("bob's own", 3), "bob", visibility="PUBLIC")  # not administered by alice
    first = run(session, action(src, tgt))
    assert sorted(first) == sorted(ids.values())
    assert {(d.decision, d.outcome, d.reason) for d in first.values()} == {
        ("copy", "copied", "no copy in the target account")}
    copies = target_networks(tgt)
    assert sorted(c["name"] for c in copies) == sorted(ids.values())
    assert {c["owner"] for c in copies} == {"bob"}
    d = first["pathway 2"]
    prov = as_bob(tgt, session).provenance(d.target_id or "")
    assert prov["creationEvent"]["eventType"] == "Copy"
    assert prov["uri"] == f"{tgt.url}/network/{d.target_id}"
    assert prov["properties"] == [{"name": "dc:title", "value": "pathway 2"},
                                  {"name": "pav:retrievedFrom", "value": f"{src.url}/network/{d.source_id}"}]
    assert tgt.summary(d.target_id or "")["nodeCount"] == 5
    tgt.reset_counts()
    second = run(session, action(src, tgt))
    assert {(d.decision, d.outcome) for d in second.values()} == {("skip", "skipped")}
    assert second["pathway 2"].target_id == d.target_id
    assert tgt.write_count == 0 and src.write_count == 0


def test_query_limit_and_paging(servers: tuple[NdexServer, NdexServer], session: requests.Session) -> None:
    src, tgt = servers
    for i in range(7):
        src.add_network(make_cx(f"n{i}"), "alice")
    assert len(run(session, action(src, tgt, limit=5))) == 5  # pages of 3: page 0 and page 1
    assert len(target_networks(tgt)) == 5


def test_refresh_decides_and_writes_nothing(servers: tuple[NdexServer, NdexServer], session: requests.Session) -> None:
    src, tgt = servers
    a = src.add_network(make_cx("a"), "alice")
    src.add_network(make_cx("b"), "alice")
    run(session, action(src, tgt, ids=[a]))
    edit_source(src, session, a, "a", 6)
    src.reset_counts()
    tgt.reset_counts()
    plan = run(session, action(src, tgt, update=True), refresh=True)
    assert {n: (d.decision, d.outcome) for n, d in plan.items()} == {"a": ("update", "planned"),
                                                                       "b": ("copy", "planned")}
    assert plan["a"].target_id is not None and plan["a"].reason == f"copy {plan['a'].target_id} out of date"
    assert src.write_count == 0 and tgt.write_count == 0


def test_update_in_place_keeps_the_uuid_and_without_the_flag_copies_anew(
    servers: tuple[NdexServer, NdexServer], session: requests.Session
) -> None:
    src, tgt = servers
    a = src.add_network(make_cx("a", 3), "alice")
    first = run(session, action(src, tgt, ids=[a]))["a"]
    edit_source(src, session, a, "a", 8)
    updated = run(session, action(src, tgt, ids=[a], update=True))["a"]
    assert (updated.decision, updated.outcome, updated.target_id) == ("update", "updated", first.target_id)
    assert len(tgt.network_ids()) == 1
    assert tgt.summary(first.target_id or "")["nodeCount"] == 8
    assert run(session, action(src, tgt, ids=[a]))["a"].outcome == "skipped"  # provenance was restored
    edit_source(src, session, a, "a", 9)
    fresh = run(session, action(src, tgt, ids=[a]))["a"]
    assert (fresh.decision, fresh.outcome) == ("copy", "copied")
    assert fresh.target_id != first.target_id and len(tgt.network_ids()) == 2


def test_read_only_copy_is_updated_and_the_flag_restored_even_when_the_update_fails(
    servers: tuple[NdexServer, NdexServer], session: requests.Session
) -> None:
    src, tgt = servers
    a = src.add_network(make_cx("a", 3), "alice")
    target_id = run(session, action(src, tgt, ids=[a]))["a"].target_id or ""
    as_bob(tgt, session).set_read_only(target_id, True)
    edit_source(src, session, a, "a", 7)

    without = run(session, action(src, tgt, ids=[a], update=True), refresh=True)["a"]
    assert without.decision == "copy" and "updateReadOnlyNetwork is false" in without.reason

    tgt.add_fault("PUT /v2/network/{networkid} status=500 times=1")
    failed = run(session, action(src, tgt, ids=[a], update=True, update_ro=True))["a"]
    assert (failed.decision, failed.outcome, failed.target_id) == ("update", "failed", target_id)
    assert "HTTP 500" in (failed.error or "")
    assert tgt.summary(target_id)["isReadOnly"] is True
    assert tgt.summary(target_id)["nodeCount"] == 3

    done = run(session, action(src, tgt, ids=[a], update=True, update_ro=True))["a"]
    assert (done.outcome, done.target_id) == ("updated", target_id)
    summary = tgt.summary(target_id)
    assert (summary["isReadOnly"], summary["nodeCount"]) == (True, 7)
    assert tgt.network_ids() == [target_id]


def test_id_plan_with_an_unreadable_id_copies_the_others(
    servers: tuple[NdexServer, NdexServer], session: requests.Session
) -> None:
    src, tgt = servers
    a = src.add_network(make_cx("a"), "alice")
    missing = "00000000-0000-4000-8000-000000000000"
    out = run_copy_plan(session, action(src, tgt, ids=[missing, a]), lambda s: resolve(s, ENV), 2, None,
                        settings=FAST)
    by_id = {d.source_id: d for d in out}
    assert by_id[a].outcome == "copied"
    assert (by_id[missing].outcome, by_id[missing].reason) == ("failed", "source network cannot be read")
    assert "HTTP 404" in (by_id[missing].error or "")


@pytest.mark.parametrize(
    ("fault", "uploads"),
    [
        ("POST /v2/network status=500 times=1", 2),  # not created: looked for, then uploaded once more
        ("POST /v2/network drop_response_after=0 times=1", 1),  # created, answer lost: found, not re-sent
        ("POST /v2/network drop_request_after=2000 times=1", 2),  # dropped mid-upload: nothing stored
        ("POST /v2/network delay=2 times=1", 1),  # slower than the read timeout: created meanwhile
        ("GET /v2/network/{networkid} drop_response_after=700 times=1", 1),  # dropped mid-download
    ],
)
def test_faults_leave_exactly_one_copy(servers: tuple[NdexServer, NdexServer], session: requests.Session,
                                       fault: str, uploads: int) -> None:
    src, tgt = servers
    body = cx_bytes(make_cx("big enough", 60))
    assert len(body) > 2000
    src.add_network(body, "alice")
    (tgt if fault.startswith("POST") else src).add_fault(fault)
    settings = CopySettings(timeout=(5.0, 1.0), load_limit_s=20.0, lookup_wait_s=3.0, page_size=3)
    d = run(session, action(src, tgt), settings=settings)["big enough"]
    assert d.outcome == "copied", d.error
    assert tgt.network_ids() == [d.target_id]
    assert tgt.writes["POST /v2/network"] == uploads
    assert as_bob(tgt, session).provenance(d.target_id or "")["creationEvent"]["eventType"] == "Copy"
    with as_bob(tgt, session).download(d.target_id or "") as got:
        assert json.loads(got.read()) == json.loads(body)
    assert run(session, action(src, tgt), settings=settings)["big enough"].outcome == "skipped"


def test_a_create_failing_twice_fails_the_network_and_the_rerun_completes(
    servers: tuple[NdexServer, NdexServer], session: requests.Session
) -> None:
    src, tgt = servers
    src.add_network(make_cx("a"), "alice")
    src.add_network(make_cx("b"), "alice")
    tgt.add_fault("POST /v2/network status=503 times=2")
    first = run(session, action(src, tgt), workers=1)
    assert sorted(d.outcome for d in first.values()) == ["copied", "failed"]
    failed = next(d for d in first.values() if d.outcome == "failed")
    assert "outcome unknown again" in (failed.error or "")
    again = run(session, action(src, tgt))
    assert sorted(d.outcome for d in again.values()) == ["copied", "skipped"]
    assert sorted(n["name"] for n in target_networks(tgt)) == ["a", "b"]


def test_an_interrupted_copy_is_adopted_not_duplicated(
    servers: tuple[NdexServer, NdexServer], session: requests.Session
) -> None:
    src, tgt = servers
    body = cx_bytes(make_cx("a", 4))
    a = src.add_network(body, "alice")
    time.sleep(0.01)
    orphan = tgt.add_network(body, "bob")  # uploaded, then the run was killed before the provenance
    d = run(session, action(src, tgt))["a"]
    assert (d.decision, d.outcome, d.target_id) == ("adopt", "adopted", orphan)
    assert tgt.network_ids() == [orphan]
    assert run(session, action(src, tgt))["a"].outcome == "skipped"
    assert a


def test_a_source_its_server_could_not_load_is_skipped(
    servers: tuple[NdexServer, NdexServer], session: requests.Session
) -> None:
    src, tgt = servers
    bad = src.add_network(b'[{"nodes": [', "alice")  # not searchable: named by id
    good = src.add_network(make_cx("good"), "alice")
    out = run_copy_plan(session, action(src, tgt, ids=[bad, good]), lambda s: resolve(s, ENV), 2, None,
                        settings=FAST)
    by_id = {d.source_id: d for d in out}
    assert (by_id[bad].decision, by_id[bad].outcome) == ("skip", "skipped")
    assert by_id[bad].reason.startswith("the source failed to load on its server (")
    assert by_id[good].outcome == "copied"
    assert len(tgt.network_ids()) == 1


def test_many_networks_in_parallel(servers: tuple[NdexServer, NdexServer], session: requests.Session) -> None:
    src, tgt = servers
    for i in range(12):
        src.add_network(make_cx(f"n{i:02d}", 3 + i % 4), "alice")
    out = run(session, action(src, tgt), workers=6)
    assert {d.outcome for d in out.values()} == {"copied"}
    assert sorted(n["name"] for n in target_networks(tgt)) == [f"n{i:02d}" for i in range(12)]


def test_stop_cancels_networks_not_started(servers: tuple[NdexServer, NdexServer], session: requests.Session) -> None:
    src, tgt = servers
    src.add_network(make_cx("a"), "alice")
    stop = threading.Event()
    stop.set()
    out = run_copy_plan(session, action(src, tgt), lambda s: resolve(s, ENV), 2, stop, settings=FAST)
    assert [d.outcome for d in out] == ["cancelled"]
    assert tgt.network_ids() == []


def test_plan_level_failures_raise_without_secrets(servers: tuple[NdexServer, NdexServer],
                                                   session: requests.Session) -> None:
    src, tgt = servers
    wrong = {"SRC_PW": SRC_PW, "TGT_PW": "not-" + TGT_PW}
    with pytest.raises(NdexError) as e:
        run_copy_plan(session, action(src, tgt), lambda s: resolve(s, wrong), 2, None, settings=FAST)
    assert e.value.status == 401
    assert TGT_PW not in str(e.value) and SRC_PW not in str(e.value)
    bad_route = action(src, tgt)
    bad_route["target"]["route"] = f"http://bob:{TGT_PW}@127.0.0.1:1/v2"
    with pytest.raises(NdexError) as e:
        run_copy_plan(session, bad_route, lambda s: resolve(s, ENV), 2, None, settings=FAST)
    assert str(e.value) == "target: route 'http://bob:***@127.0.0.1:1/v2' carries credentials"


def test_no_password_in_logs_of_a_faulty_run(servers: tuple[NdexServer, NdexServer], session: requests.Session,
                                             caplog: pytest.LogCaptureFixture) -> None:
    import base64
    import logging

    src, tgt = servers
    src.add_network(make_cx("a", 40), "alice")
    tgt.add_fault("PUT /v2/network/{networkid}/provenance status=503 times=1")
    src.add_fault("GET /v2/network/{networkid} drop_response_after=300 times=1")
    with caplog.at_level(logging.DEBUG):
        d = run(session, action(src, tgt))["a"]
    assert d.outcome == "copied"
    assert 'provenance HTTP/1.1" 503' in caplog.text  # urllib3 logged the PUT it then retried
    tokens = [SRC_PW, TGT_PW] + [base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in USERS.items()]
    assert not [t for t in tokens if t in caplog.text]
