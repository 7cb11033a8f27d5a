"""The NDEx v2 client (runtime/ndex/client.py) against the local NDEx server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import tempfile
import uuid
from collections.abc import Iterator
from typing import IO

import pytest
import requests

from ferryman.runtime.ndex.client import (
    SPOOL_MAX,
    CreateOutcomeUnknown,
    LoadFailed,
    LoadTimeout,
    NdexClient,
    NdexError,
    checked_route,
)
from ferryman.runtime.services import http_session
from ferryman.testing import NdexServer, cx_bytes, make_cx, pytest_plugin

ndex_server = pytest_plugin.ndex_server
ndex_server_factory = pytest_plugin.ndex_server_factory

PASSWORD = "alice-secret"
TOKEN = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    s = http_session(retries=2, backoff=0.05)
    yield s
    s.close()


def client(server: NdexServer, session: requests.Session, user: str = "alice", password: str = PASSWORD,
           timeout: tuple[float, float] = (5.0, 10.0)) -> NdexClient:
    return NdexClient(session, server.url, user, password, timeout=timeout)


def spool(data: bytes) -> IO[bytes]:
    """A seekable body, as the copy code passes the downloaded CX (closed by the caller)."""
    f: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=1024)  # noqa: SIM115
    f.write(data)
    f.seek(0)
    return f


def assert_no_secret(text: str) -> None:
    assert PASSWORD not in text
    assert TOKEN not in text


def test_routes_with_credentials_query_or_v1_are_refused() -> None:
    with pytest.raises(NdexError) as e:
        checked_route(f"https://alice:{PASSWORD}@ndex.example.org/v2")
    assert str(e.value) == "route 'https://alice:***@ndex.example.org/v2' carries credentials"
    assert_no_secret(str(e.value))
    with pytest.raises(NdexError, match="does not end in /v2"):
        checked_route("https://ndex.example.org/rest")
    with pytest.raises(NdexError, match="has a query"):
        checked_route("https://ndex.example.org/v2?user=x")
    with pytest.raises(NdexError, match="not an http"):
        checked_route("ftp://ndex.example.org/v2")
    assert checked_route("https://ndex.example.org/v2/") == "https://ndex.example.org/v2"


def test_status_and_version(ndex_server: NdexServer, session: requests.Session) -> None:
    status = client(ndex_server, session).status()
    assert status["properties"]["ServerVersion"].startswith("2.")


def test_upload_wait_download_round_trip_and_location(ndex_server: NdexServer, session: requests.Session) -> None:
    c = client(ndex_server, session)
    body = cx_bytes(make_cx("round trip", 5))
    with spool(body) as f:
        network_id = c.create(f)
    assert str(uuid.UUID(network_id)) == network_id
    summary = c.wait_valid(network_id, limit_s=10)
    assert (summary["name"], summary["nodeCount"], summary["edgeCount"], summary["owner"]) == ("round trip", 5, 4,
                                                                                              "alice")
    with c.download(network_id) as got:
        assert json.loads(got.read()) == json.loads(body)
    assert ndex_server.writes == {"POST /v2/network": 1}


def test_large_download_spills_to_disk_and_arrives_whole(ndex_server: NdexServer, session: requests.Session) -> None:
    cx = make_cx("big", 60_000)  # about 4 MB of CX; the spool holds SPOOL_MAX in memory
    cx.insert(2, {"nodeAttributes": [{"po": i, "n": "note", "v": "x" * 64} for i in range(60_000)]})
    body = cx_bytes(cx)
    assert len(body) > SPOOL_MAX
    c = client(ndex_server, session)
    network_id = ndex_server.add_network(body, "alice")
    with c.download(network_id) as got:
        assert got._rolled  # type: ignore[attr-defined]  (on disk, not in memory)
        assert got.read() == body


def test_search_pages_by_index_with_account_filter(ndex_server: NdexServer, session: requests.Session) -> None:
    mine = {ndex_server.add_network(make_cx(f"alice {i}"), "alice") for i in range(7)}
    ndex_server.add_network(make_cx("bob's"), "bob", visibility="PUBLIC")
    c = client(ndex_server, session)
    assert c.search("*", account="alice", start=1, size=3)["networks"]  # page 1 = hits 3..5
    found = c.search_all("*", account="alice", size=3)
    assert {n["externalId"] for n in found} == mine and len(found) == 7
    assert len(c.search_all("*", account="alice", limit=5, size=2)) == 5
    assert {n["owner"] for n in c.search_all("*", size=3)} == {"alice", "bob"}


def test_provenance_read_only_and_update(ndex_server: NdexServer, session: requests.Session) -> None:
    c = client(ndex_server, session)
    network_id = ndex_server.add_network(make_cx("v1", 3), "alice")
    assert c.provenance(network_id) == {}
    prov = {"uri": "http://x/v2/network/1", "properties": [{"name": "dc:title", "value": "v1"}]}
    c.set_provenance(network_id, prov)
    assert c.provenance(network_id) == prov
    c.set_read_only(network_id, True)
    assert c.summary(network_id)["isReadOnly"] is True
    with spool(cx_bytes(make_cx("v2", 6))) as f, pytest.raises(NdexError) as e:
        c.update(network_id, f)
    assert e.value.status == 500 and "readonly" in str(e.value)
    c.set_read_only(network_id, False)
    with spool(cx_bytes(make_cx("v2", 6))) as f:
        c.update(network_id, f)
    assert c.wait_valid(network_id, limit_s=10)["nodeCount"] == 6


def test_wrong_password_is_401_with_a_hint_and_no_secret(ndex_server: NdexServer, session: requests.Session) -> None:
    c = client(ndex_server, session, password="wrong-" + PASSWORD)
    with pytest.raises(NdexError) as e:
        c.search("*")
    assert e.value.status == 401
    assert e.value.hint == "check the plan's username and password"
    assert_no_secret(str(e.value))
    assert "wrong-" not in str(e.value)


def test_someone_elses_network_cannot_be_flagged(ndex_server: NdexServer, session: requests.Session) -> None:
    network_id = ndex_server.add_network(make_cx("bob's", 3), "bob", visibility="PUBLIC")
    with pytest.raises(NdexError) as e:
        client(ndex_server, session).set_read_only(network_id, True)
    assert e.value.status == 401


def test_put_retried_after_503_sends_the_whole_body_again(ndex_server: NdexServer, session: requests.Session) -> None:
    c = client(ndex_server, session)
    network_id = ndex_server.add_network(make_cx("v1", 3), "alice")
    ndex_server.add_fault("PUT /v2/network/{networkid} status=503 times=1")
    body = cx_bytes(make_cx("v2", 40))
    with spool(body) as f:
        c.update(network_id, f)
    assert ndex_server.writes["PUT /v2/network/{networkid}"] == 2
    assert c.wait_valid(network_id, limit_s=10)["nodeCount"] == 40
    with c.download(network_id) as got:
        assert got.read() == body


def test_post_is_never_retried_and_a_5xx_makes_the_outcome_unknown(ndex_server: NdexServer,
                                                                   session: requests.Session) -> None:
    ndex_server.add_fault("POST /v2/network status=503 times=1")
    with spool(cx_bytes(make_cx("x"))) as f, pytest.raises(CreateOutcomeUnknown) as e:
        client(ndex_server, session).create(f)
    assert e.value.status == 503
    assert ndex_server.writes == {"POST /v2/network": 1}


def test_connection_dropped_after_the_upload_makes_the_outcome_unknown(ndex_server: NdexServer,
                                                                         session: requests.Session) -> None:
    ndex_server.add_fault("POST /v2/network drop_response_after=0 times=1")
    with spool(cx_bytes(make_cx("x"))) as f, pytest.raises(CreateOutcomeUnknown):
        client(ndex_server, session).create(f)
    assert len(ndex_server.network_ids()) == 1  # it was created: the caller must look before retrying


def test_unreachable_server_is_a_certain_failure(session: requests.Session) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = NdexClient(session, f"http://127.0.0.1:{port}/v2", "alice", PASSWORD, timeout=(1.0, 1.0))
    with spool(b"[]") as f, pytest.raises(NdexError) as e:
        c.create(f)
    assert not isinstance(e.value, CreateOutcomeUnknown)
    assert_no_secret(str(e.value))


def test_download_dropped_mid_body_is_retried_whole(ndex_server: NdexServer, session: requests.Session) -> None:
    body = cx_bytes(make_cx("drop", 200))
    network_id = ndex_server.add_network(body, "alice")
    ndex_server.add_fault("GET /v2/network/{networkid} drop_response_after=500 times=2")
    with client(ndex_server, session).download(network_id) as got:
        assert got.read() == body
    ndex_server.add_fault("GET /v2/network/{networkid} drop_response_after=500 times=always")
    with pytest.raises(NdexError, match=r"connection lost mid-download|got \d+ of"):
        client(ndex_server, session).download(network_id)


def test_slow_answer_times_out_then_the_get_is_retried(ndex_server: NdexServer, session: requests.Session) -> None:
    network_id = ndex_server.add_network(make_cx("slow"), "alice")
    c = client(ndex_server, session, timeout=(2.0, 0.5))
    ndex_server.add_fault("GET /v2/network/{networkid}/summary delay=1.5 times=1")
    assert c.summary(network_id)["name"] == "slow"  # the session's Retry read a second time
    ndex_server.add_fault("GET /v2/network/{networkid}/summary delay=1.5 times=always")
    with pytest.raises(NdexError, match="timed out"):
        c.summary(network_id)


def test_wait_valid_reports_the_servers_error_message(ndex_server: NdexServer, session: requests.Session) -> None:
    c = client(ndex_server, session)
    with spool(b'[{"nodes": [{"@id": 1}, ') as f:
        network_id = c.create(f)
    with pytest.raises(LoadFailed) as e:
        c.wait_valid(network_id, limit_s=10)
    assert network_id in str(e.value) and "failed to load" in str(e.value)


def test_wait_valid_has_a_time_limit(ndex_server: NdexServer, session: requests.Session) -> None:
    ndex_server.add_fault("POST /v2/network load_delay=5 times=1")
    c = client(ndex_server, session)
    with spool(cx_bytes(make_cx("slow load"))) as f:
        network_id = c.create(f)
    with pytest.raises(LoadTimeout, match=r"not loaded within 0.3 s"):
        c.wait_valid(network_id, limit_s=0.3, poll_s=0.05)


def test_not_a_uuid_is_refused_before_any_request(ndex_server: NdexServer, session: requests.Session) -> None:
    with pytest.raises(NdexError, match="is not a network UUID"):
        client(ndex_server, session).summary("../admin/status")
    assert ndex_server.requests == {}


def test_put_dropped_mid_upload_is_resent_whole(ndex_server: NdexServer, session: requests.Session) -> None:
    c = client(ndex_server, session)
    network_id = ndex_server.add_network(make_cx("v1", 3), "alice")
    ndex_server.add_fault("PUT /v2/network/{networkid} drop_request_after=1500 times=1")
    body = cx_bytes(make_cx("v2", 80))
    assert len(body) > 1500
    with spool(body) as f:
        c.update(network_id, f)
    assert ndex_server.requests["PUT /v2/network/{networkid}"] == 2
    assert c.wait_valid(network_id, limit_s=10)["nodeCount"] == 80
    with c.download(network_id) as got:
        assert got.read() == body
