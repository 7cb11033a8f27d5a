"""The official ndex2 Python client against the local NDEx server: each call behaves as against
NDEx (return values, errors raised), so plans tried locally behave the same on a real server."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests

from ferryman.testing import NdexServer, cx_bytes, make_cx, pytest_plugin

ndex2_client = pytest.importorskip("ndex2.client", reason="the 'conformance' extra installs ndex2")
ndex2_exceptions = pytest.importorskip("ndex2.exceptions")

ndex_server = pytest_plugin.ndex_server
ndex_server_factory = pytest_plugin.ndex_server_factory


def client(server: NdexServer, user: str | None = "alice") -> Any:
    if user is None:
        return ndex2_client.Ndex2(server.root_url)
    return ndex2_client.Ndex2(server.root_url, user, pytest_plugin.DEFAULT_USERS[user])


def network_id_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_status_and_version_detection(ndex_server: NdexServer) -> None:
    c = client(ndex_server)
    # ndex2 asks /rest/admin/status first and switches to /v2 for a 2.x server
    assert c.version == "2.0"
    assert c.version_endpoint == "/v2"
    c.update_status()
    assert c.status["properties"]["ServerVersion"].startswith("2.")
    assert c.status["userCount"] == 2


def test_users(ndex_server: NdexServer) -> None:
    c = client(ndex_server)
    bob = c.get_user_by_username("bob")
    assert bob["userName"] == "bob"
    assert c.get_id_for_user("bob") == bob["externalId"]
    assert c.get_user_by_id(bob["externalId"])["userName"] == "bob"
    with pytest.raises(requests.HTTPError) as err:
        c.get_user_by_username("nobody")
    assert err.value.response.status_code == 404


def test_save_summary_download_update(ndex_server: NdexServer) -> None:
    c = client(ndex_server)
    cx = make_cx("Conformance", 6, description="made by ndex2", properties={"organism": "Human"})
    url = c.save_new_network(cx, visibility="PUBLIC")
    assert url.startswith(ndex_server.url + "/network/")
    network_id = network_id_of(url)
    ndex_server.wait_loaded(network_id)
    summary = c.get_network_summary(network_id)
    assert (summary["name"], summary["nodeCount"], summary["edgeCount"]) == ("Conformance", 6, 5)
    assert summary["visibility"] == "PUBLIC"
    stream = c.get_network_as_cx_stream(network_id)
    assert stream.status_code == 200
    downloaded = json.loads(stream.content)
    # save_new_network appends nothing when a status aspect is already there
    assert downloaded == cx
    assert client(ndex_server, None).get_network_summary(network_id)["name"] == "Conformance"

    result = c.update_cx_network(io.BytesIO(cx_bytes(make_cx("Conformance v2", 9))), network_id)
    assert result == ""  # 204: ndex2 returns an empty string
    ndex_server.wait_loaded(network_id)
    assert c.get_network_summary(network_id)["nodeCount"] == 9


def test_stream_upload(ndex_server: NdexServer) -> None:
    c = client(ndex_server, "bob")
    url = c.save_cx_stream_as_new_network(io.BytesIO(cx_bytes(make_cx("Streamed", 3))))
    network_id = network_id_of(url)
    assert ndex_server.wait_loaded(network_id)["owner"] == "bob"


def test_search_networks(ndex_server: NdexServer) -> None:
    c = client(ndex_server)
    public = [ndex_server.add_network(make_cx(f"Pathway {i}"), "alice", visibility="PUBLIC") for i in range(3)]
    ndex_server.add_network(make_cx("Other"), "bob", visibility="PUBLIC")
    page0 = c.search_networks("*", account_name="alice", start=0, size=2)
    page1 = c.search_networks("*", account_name="alice", start=1, size=2)
    assert page0["numFound"] == 3
    got = [n["externalId"] for n in page0["networks"] + page1["networks"]]
    assert sorted(got) == sorted(public)
    assert len(page1["networks"]) == 1
    assert [n["name"] for n in c.search_networks("Other")["networks"]] == ["Other"]


def test_read_only_and_update_refusal(ndex_server: NdexServer) -> None:
    c = client(ndex_server)
    network_id = network_id_of(c.save_new_network(make_cx("Locked")))
    ndex_server.wait_loaded(network_id)
    assert c.set_read_only(network_id, True) == ""
    assert c.get_network_summary(network_id)["isReadOnly"] is True
    with pytest.raises(requests.HTTPError) as err:
        c.update_cx_network(io.BytesIO(cx_bytes(make_cx("Nope"))), network_id)
    assert err.value.response.status_code == 500
    assert err.value.response.json()["message"] == "Can't update readonly network."
    bob = client(ndex_server, "bob")
    with pytest.raises(requests.HTTPError) as err:
        bob.set_read_only(network_id, False)
    assert err.value.response.status_code == 401
    c.set_read_only(network_id, False)
    assert c.get_network_summary(network_id)["isReadOnly"] is False


def test_provenance(ndex_server: NdexServer) -> None:
    c = client(ndex_server)
    network_id = network_id_of(c.save_new_network(make_cx("Traced")))
    ndex_server.wait_loaded(network_id)
    entity = {
        "uri": f"{ndex_server.url}/network/{network_id}/summary",
        "creationEvent": {"eventType": "Copy", "endedAtTime": 1700000000000, "inputs": [],
                          "properties": [{"name": "pav:retrievedFrom", "value": "src-uuid"}]},
    }
    assert c.set_provenance(network_id, entity) == ""
    assert c.get_provenance(network_id) == entity


def test_permissions_by_username(ndex_server: NdexServer) -> None:
    c = client(ndex_server)
    network_id = network_id_of(c.save_new_network(make_cx("Granted")))
    ndex_server.wait_loaded(network_id)
    bob = client(ndex_server, "bob")
    with pytest.raises(requests.HTTPError):
        bob.get_network_summary(network_id)
    # (grant_network_to_user_by_username is broken in ndex2 itself: it calls .json on a dict)
    c.update_network_user_permission(c.get_id_for_user("bob"), network_id, "WRITE")
    assert bob.get_network_summary(network_id)["name"] == "Granted"
    bob.update_cx_network(io.BytesIO(cx_bytes(make_cx("Edited by bob"))), network_id)
    assert ndex_server.wait_loaded(network_id)["name"] == "Edited by bob"


def test_wrong_password(ndex_server: NdexServer) -> None:
    c = ndex2_client.Ndex2(ndex_server.root_url, "alice", "not-the-password")
    with pytest.raises(requests.HTTPError) as err:
        c.get_user_by_username("alice")
    assert err.value.response.status_code == 401
    assert "not-the-password" not in err.value.response.text
