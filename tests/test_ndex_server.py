"""The local NDEx v2 server over plain HTTP: status codes and bodies of ndex-rest, auth,
permissions, paging, the fault switch, write counters, concurrency (docs/ndex.md)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests

from ferryman.testing import NdexServer, cx_bytes, make_cx, pytest_plugin
from ferryman.testing.localndex import FaultSpecError, parse_rule

# the fixtures users get: bound to module names, pytest finds them here
ndex_server = pytest_plugin.ndex_server
ndex_server_factory = pytest_plugin.ndex_server_factory

ALICE = ("alice", "alice-secret")
BOB = ("bob", "bob-secret")


def upload(url: str, body: bytes, auth: tuple[str, str] | None, *, network_id: str = "",
           params: dict[str, str] | None = None, timeout: float = 30) -> requests.Response:
    """POST /network, or PUT /network/{id}, with the multipart part the ndex2 client sends."""
    files = {"CXNetworkStream": ("filename", body, "application/octet-stream")}
    method = "PUT" if network_id else "POST"
    target = f"{url}/network" + (f"/{network_id}" if network_id else "")
    return requests.request(method, target, files=files, auth=auth, params=params, timeout=timeout)


def wait_valid(url: str, network_id: str, auth: tuple[str, str] | None, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(f"{url}/network/{network_id}/summary", auth=auth, timeout=10)
        assert r.status_code == 200, r.text
        summary: dict[str, Any] = r.json()
        if summary["isValid"]:
            return summary
        assert time.monotonic() < deadline, f"network {network_id} never became valid"
        time.sleep(0.02)


def create(server: NdexServer, name: str, auth: tuple[str, str] = ALICE, **kw: Any) -> str:
    r = upload(server.url, cx_bytes(make_cx(name, **kw)), auth)
    assert r.status_code == 201, r.text
    network_id = r.text.rsplit("/", 1)[1]
    wait_valid(server.url, network_id, auth)
    return network_id


def assert_ndex_error(r: requests.Response, status: int, code: str, message: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["errorCode"] == code
    assert body["message"] == message
    assert None not in body.values()


# -- status and users -------------------------------------------------------------------------


def test_status_both_paths(ndex_server: NdexServer) -> None:
    v2 = requests.get(ndex_server.url + "/admin/status", timeout=10)
    rest = requests.get(ndex_server.root_url + "/rest/admin/status", timeout=10)
    assert v2.status_code == rest.status_code == 200
    assert v2.json()["properties"]["ServerVersion"].startswith("2.")
    assert rest.json()["properties"]["ServerVersion"] == "2.0"
    assert v2.json()["userCount"] == 2
    assert v2.json()["networkCount"] == 0
    assert v2.json()["properties"]["ServerResultLimit"] == "10000"


def test_user_lookup(ndex_server: NdexServer) -> None:
    r = requests.get(ndex_server.url + "/user", params={"username": "bob"},
                     headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200
    user = r.json()
    assert user["userName"] == "bob"
    assert requests.get(ndex_server.url + f"/user/{user['externalId']}", timeout=10).json() == user
    missing = requests.get(ndex_server.url + "/user", params={"username": "carol"}, timeout=10)
    assert_ndex_error(missing, 404, "NDEx_Object_Not_Found_Exception", "User carol not found.")


def test_basic_auth(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    wrong = requests.get(url + "/admin/status", auth=("alice", "nope-pw"), timeout=10)
    assert_ndex_error(wrong, 401, "NDEx_Unauthorized_Operation_Exception", "Invalid password for user alice.")
    assert "nope-pw" not in wrong.text
    anonymous = upload(url, cx_bytes(make_cx("x")), None)
    assert_ndex_error(anonymous, 401, "NDEx_Unauthorized_Operation_Exception",
                      "Attempted to access resource requiring authentication.")
    unknown = requests.get(url + "/admin/status", auth=("carol", "pw"), timeout=10)
    assert unknown.status_code == 401
    assert ndex_server.network_ids() == []


# -- networks ---------------------------------------------------------------------------------


def test_create_is_asynchronous_and_answers_201_with_location(ndex_server: NdexServer) -> None:
    ndex_server.add_fault("POST /v2/network load_delay=0.6")
    body = cx_bytes(make_cx("Chain", 5, description="five genes", properties={"organism": "Human"}))
    r = upload(ndex_server.url, body, ALICE)
    assert r.status_code == 201
    assert r.headers["Location"] == r.text
    assert r.text.startswith(ndex_server.url + "/network/")
    network_id = r.text.rsplit("/", 1)[1]
    first = requests.get(f"{ndex_server.url}/network/{network_id}/summary", auth=ALICE, timeout=10).json()
    assert first["isValid"] is False
    summary = wait_valid(ndex_server.url, network_id, ALICE)
    assert (summary["name"], summary["description"], summary["nodeCount"], summary["edgeCount"]) == (
        "Chain", "five genes", 5, 4)
    assert summary["properties"] == [
        {"predicateString": "organism", "value": "Human", "dataType": "string", "subNetworkId": None}]
    assert summary["owner"] == "alice"
    assert summary["visibility"] == "PRIVATE"
    assert "errorMessage" not in summary
    assert summary["cxFileSize"] == len(body)
    # GET with the Content-Type the ndex2 client leaves on its session
    down = requests.get(f"{ndex_server.url}/network/{network_id}", auth=ALICE,
                        headers={"Content-Type": "application/json"}, timeout=10)
    assert down.status_code == 200
    assert down.content == body
    assert down.headers["Content-Length"] == str(len(body))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'[{"nodes": [{"@id": 1}]}]', "No CX metadata found in this CX stream."),
        (b'[{"metaData": [{"name": "edges"}]}, {"edges": []}]', "Nodes aspect is missing."),
        (b'[{"metaData": [{"name": "nodes"}]}, {"nodes": [{"@id": 1}', None),
        (b'{"nodes": []}', "Malformed CX stream: a CX network is a JSON array of aspect fragments."),
    ],
    ids=["no-metadata", "no-nodes", "truncated", "not-an-array"],
)
def test_bad_cx_loads_as_valid_with_an_error_message(ndex_server: NdexServer, body: bytes,
                                                      message: str | None) -> None:
    r = upload(ndex_server.url, body, ALICE, params={"visibility": "PUBLIC"})
    assert r.status_code == 201
    network_id = r.text.rsplit("/", 1)[1]
    summary = wait_valid(ndex_server.url, network_id, ALICE)
    assert summary["isValid"] is True  # isValid means "inspected", as in ndex-rest
    if message is None:
        assert summary["errorMessage"].startswith("Malformed JSON in CX stream")
    else:
        assert summary["errorMessage"] == message
    assert summary["visibility"] == "PRIVATE"
    hits = requests.post(ndex_server.url + "/search/network", json={"searchString": "*"}, auth=ALICE, timeout=10)
    assert hits.json()["numFound"] == 0  # a failed load is not indexed


def test_update_rules(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    network_id = create(ndex_server, "Original")
    before = ndex_server.summary(network_id)
    new_body = cx_bytes(make_cx("Updated", 7))

    refused = upload(url, new_body, BOB, network_id=network_id)
    assert_ndex_error(refused, 401, "NDEx_Unauthorized_Operation_Exception",
                      "User doesn't have write permissions for this network.")
    assert refused.headers["WWW-Authenticate"] == "Basic"

    r = requests.put(f"{url}/network/{network_id}/systemproperty", json={"readOnly": True}, auth=ALICE, timeout=10)
    assert r.status_code == 204
    # read-only is checked before write permission: bob, who may not write, also gets the 500
    for who in (ALICE, BOB):
        ro = upload(url, new_body, who, network_id=network_id)
        assert_ndex_error(ro, 500, "NDEx_Exception", "Can't update readonly network.")
    assert requests.put(f"{url}/network/{network_id}/systemproperty", json={"readOnly": False}, auth=ALICE,
                        timeout=10).status_code == 204

    ok = upload(url, new_body, ALICE, network_id=network_id)
    assert ok.status_code == 204
    assert ok.content == b""
    after = wait_valid(url, network_id, ALICE)
    assert (after["name"], after["nodeCount"], after["externalId"]) == ("Updated", 7, network_id)
    assert after["modificationTime"] >= before["modificationTime"]
    assert after["creationTime"] == before["creationTime"]
    missing = upload(url, new_body, ALICE, network_id="0b7a6c1e-0000-4000-8000-000000000000")
    assert_ndex_error(missing, 404, "NDEx_Object_Not_Found_Exception",
                      "Network 0b7a6c1e-0000-4000-8000-000000000000 not found.")
    no_part = requests.put(f"{url}/network/{network_id}", files={"other": ("f", b"[]")}, auth=ALICE, timeout=10)
    assert_ndex_error(no_part, 400, "NDEx_Bad_Request_Exception",
                      "Field CXNetworkStream is not found in the POSTed Data.")
    assert ndex_server.summary(network_id)["completed"] is True  # a refused update leaves no lock behind


def test_systemproperty_is_owner_only(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    network_id = create(ndex_server, "Shared")
    bob_id = requests.get(url + "/user", params={"username": "bob"}, timeout=10).json()["externalId"]
    r = requests.put(f"{url}/network/{network_id}/permission", params={"userid": bob_id, "permission": "WRITE"},
                     auth=ALICE, timeout=10)
    assert (r.status_code, r.json()) == (200, 1)
    r = requests.put(f"{url}/network/{network_id}/systemproperty", json={"readOnly": True}, auth=BOB, timeout=10)
    assert_ndex_error(r, 401, "NDEx_Unauthorized_Operation_Exception",
                      "Only network owner can set readOnly Parameter.")
    assert ndex_server.summary(network_id)["isReadOnly"] is False
    # but WRITE lets bob update the network
    assert upload(url, cx_bytes(make_cx("By bob")), BOB, network_id=network_id).status_code == 204


def test_permissions_and_visibility(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    network_id = create(ndex_server, "Private one")
    bob_id = requests.get(url + "/user", params={"username": "bob"}, timeout=10).json()["externalId"]
    for auth in (None, BOB):
        r = requests.get(f"{url}/network/{network_id}/summary", auth=auth, timeout=10)
        assert_ndex_error(r, 401, "NDEx_Unauthorized_Operation_Exception",
                          f"Unauthorized access to network {network_id}")
        assert requests.get(f"{url}/network/{network_id}", auth=auth, timeout=10).status_code == 401
    not_admin = requests.put(f"{url}/network/{network_id}/permission",
                             params={"userid": bob_id, "permission": "READ"}, auth=BOB, timeout=10)
    assert_ndex_error(not_admin, 401, "NDEx_Unauthorized_Operation_Exception",
                      "Unable to update network permission: user is not an admin of this network.")
    requests.put(f"{url}/network/{network_id}/permission", params={"userid": bob_id, "permission": "READ"},
                 auth=ALICE, timeout=10).raise_for_status()
    assert requests.get(f"{url}/network/{network_id}/summary", auth=BOB, timeout=10).status_code == 200
    assert upload(url, cx_bytes(make_cx("x")), BOB, network_id=network_id).status_code == 401
    # ADMIN transfers ownership; the old owner keeps WRITE (ndex-rest grantPrivilegeToUser)
    requests.put(f"{url}/network/{network_id}/permission", params={"userid": bob_id, "permission": "ADMIN"},
                 auth=ALICE, timeout=10).raise_for_status()
    summary = ndex_server.summary(network_id)
    assert (summary["owner"], summary["ownerUUID"]) == ("bob", bob_id)
    perms = requests.get(f"{url}/network/{network_id}/permission", params={"type": "user"}, auth=BOB,
                         timeout=10).json()
    assert sorted(perms.values()) == ["ADMIN", "WRITE"]
    assert requests.put(f"{url}/network/{network_id}/systemproperty", json={"visibility": "PUBLIC"}, auth=BOB,
                        timeout=10).status_code == 204
    assert requests.get(f"{url}/network/{network_id}/summary", timeout=10).status_code == 200


def test_provenance(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    entity = {"uri": "http://example.org/v2/network/abc", "creationEvent": {"eventType": "Program"}}
    network_id = create(ndex_server, "With provenance", provenance=entity)
    assert requests.get(f"{url}/network/{network_id}/provenance", auth=ALICE, timeout=10).json() == entity
    copy_event = {"uri": "u", "creationEvent": {"eventType": "Copy", "inputs": [entity]},
                  "properties": [{"name": "pav:retrievedFrom", "value": "abc"}]}
    assert requests.put(f"{url}/network/{network_id}/provenance", json=copy_event, auth=BOB,
                        timeout=10).status_code == 401
    r = requests.put(f"{url}/network/{network_id}/provenance", json=copy_event, auth=ALICE, timeout=10)
    assert r.status_code == 204
    assert requests.get(f"{url}/network/{network_id}/provenance", auth=ALICE, timeout=10).json() == copy_event
    requests.put(f"{url}/network/{network_id}/systemproperty", json={"readOnly": True}, auth=ALICE,
                 timeout=10).raise_for_status()
    ro = requests.put(f"{url}/network/{network_id}/provenance", json=entity, auth=ALICE, timeout=10)
    assert_ndex_error(ro, 500, "NDEx_Exception", "Can't update readonly network.")


def test_bad_uuid_is_a_500_like_ndex(ndex_server: NdexServer) -> None:
    r = requests.get(ndex_server.url + "/network/not-a-uuid/summary", timeout=10)
    assert_ndex_error(r, 500, "NDEx_Exception",
                      "Uncaught exception java.lang.IllegalArgumentException: Invalid UUID string: not-a-uuid")


# -- search -----------------------------------------------------------------------------------


def test_search_pages_are_page_indexes(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    public = [ndex_server.add_network(make_cx(f"Public {i}"), "alice", visibility="PUBLIC") for i in range(5)]
    private = [ndex_server.add_network(make_cx(f"Private {i}"), "alice") for i in range(3)]
    bobs = ndex_server.add_network(make_cx("Bob's public"), "bob", visibility="PUBLIC")

    def page(start: int, size: int, auth: tuple[str, str] | None = None, **query: Any) -> dict[str, Any]:
        body = {"searchString": "*", **query}
        r = requests.post(f"{url}/search/network", params={"start": start, "size": size}, json=body, auth=auth,
                          timeout=10)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    anonymous = [page(i, 2, accountName="alice") for i in range(3)]
    ids = [n["externalId"] for p in anonymous for n in p["networks"]]
    assert ids == list(reversed(public))  # newest modification first, pages do not overlap
    assert [p["start"] for p in anonymous] == [0, 2, 4]
    assert anonymous[0]["numFound"] == 5
    # a logged-in user gets up to `size` public plus up to `size` private hits per page
    mine = page(0, 2, ALICE, accountName="ALICE")
    assert [n["visibility"] for n in mine["networks"]] == ["PUBLIC", "PUBLIC", "PRIVATE", "PRIVATE"]
    assert mine["numFound"] == 8
    assert {n["externalId"] for p in range(3) for n in page(p, 2, ALICE)["networks"]} == {*public, *private, bobs}
    assert page(0, 100, BOB, accountName="alice")["numFound"] == 5  # alice's private ones are not bob's
    by_uuid = page(0, 10, None, searchString=bobs)
    assert [n["externalId"] for n in by_uuid["networks"]] == [bobs]
    by_term = page(0, 10, None, searchString="bob's")
    assert [n["externalId"] for n in by_term["networks"]] == [bobs]
    admin = requests.post(f"{url}/search/network", json={"searchString": "*", "permission": "ADMIN"}, timeout=10)
    assert_ndex_error(admin, 500, "NDEx_Exception", "Permission can only be WRITE or READ in this function.")


# -- the fault switch and counters --------------------------------------------------------------


def test_fault_status_then_recovery(ndex_server: NdexServer) -> None:
    ndex_server.add_fault("GET /v2/admin/status status=503 times=2")
    codes = [requests.get(ndex_server.url + "/admin/status", timeout=10).status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_fault_drop_download(ndex_server: NdexServer) -> None:
    big = make_cx("Big", 5000)
    network_id = ndex_server.add_network(big, "alice", visibility="PUBLIC")
    ndex_server.add_fault("GET /v2/network/{networkid} drop_response_after=1000")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        r = requests.get(f"{ndex_server.url}/network/{network_id}", stream=True, timeout=10)
        assert r.status_code == 200
        b"".join(r.iter_content(4096))
    # the rule is used up; the summary route was never affected
    assert requests.get(f"{ndex_server.url}/network/{network_id}", timeout=10).content == cx_bytes(big)


def test_fault_drop_upload_stores_nothing(ndex_server: NdexServer) -> None:
    ndex_server.add_fault("POST /v2/network drop_request_after=2000")
    with pytest.raises(requests.exceptions.ConnectionError):
        upload(ndex_server.url, cx_bytes(make_cx("Dropped", 2000)), ALICE)
    assert ndex_server.network_ids() == []
    assert ndex_server.writes == {"POST /v2/network": 1}


def test_fault_drop_response_after_the_create(ndex_server: NdexServer) -> None:
    ndex_server.add_fault("POST /v2/network drop_response_after=0")
    with pytest.raises(requests.exceptions.ConnectionError):
        upload(ndex_server.url, cx_bytes(make_cx("Created anyway")), ALICE)
    (network_id,) = ndex_server.network_ids()  # the outcome the client could not see
    assert ndex_server.wait_loaded(network_id)["name"] == "Created anyway"


def test_fault_delay_and_admin_endpoint(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    r = requests.post(ndex_server.root_url + "/_ferryman/faults",
                      json={"rules": ["GET /v2/network/*/summary delay=1.5"]}, timeout=10)
    assert r.status_code == 200
    assert r.json()["rules"][0]["spec"] == "GET /v2/network/*/summary delay=1.5 times=1"
    network_id = ndex_server.add_network(make_cx("Slow"), "alice", visibility="PUBLIC")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{url}/network/{network_id}/summary", timeout=0.5)
    bad = requests.post(ndex_server.root_url + "/_ferryman/faults", json={"rules": ["GET /x explode=1"]},
                        timeout=10)
    assert bad.status_code == 400
    requests.post(ndex_server.root_url + "/_ferryman/faults", json={"rules": ["* /v2/* status=500 times=always"]},
                  timeout=10)
    assert requests.get(url + "/admin/status", timeout=10).status_code == 500
    assert requests.delete(ndex_server.root_url + "/_ferryman/faults", timeout=10).json() == {"rules": []}
    assert requests.get(url + "/admin/status", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("GET /v2/network", "expected"),
        ("GET v2/network status=500", "must start with '/'"),
        ("GET /v2/network status=200", "out of range"),
        ("GET /v2/network delay=soon", "needs a number"),
        ("GET /v2/network status=500 times=0", "times must be"),
    ],
)
def test_fault_rule_errors(spec: str, problem: str) -> None:
    with pytest.raises(FaultSpecError, match=problem):
        parse_rule(spec)


def test_reads_are_not_counted_as_writes(ndex_server: NdexServer) -> None:
    url = ndex_server.url
    network_id = ndex_server.add_network(make_cx("Seeded"), "alice", visibility="PUBLIC")
    requests.post(url + "/search/network", json={"searchString": "*"}, auth=ALICE, timeout=10)
    requests.get(f"{url}/network/{network_id}/summary", timeout=10)
    requests.get(f"{url}/network/{network_id}/provenance", timeout=10)
    requests.get(f"{url}/network/{network_id}", timeout=10)
    assert ndex_server.write_count == 0
    assert ndex_server.requests["POST /v2/search/network"] == 1
    requests.put(f"{url}/network/{network_id}/systemproperty", json={"readOnly": True}, auth=BOB, timeout=10)
    assert ndex_server.writes == {"PUT /v2/network/{networkid}/systemproperty": 1}  # refused, still an attempt
    stats = requests.get(ndex_server.root_url + "/_ferryman/stats", timeout=10).json()
    assert stats["writes"] == ndex_server.writes
    ndex_server.reset_counts()
    assert ndex_server.write_count == 0


# -- concurrency and life cycle -----------------------------------------------------------------


@pytest.mark.slow
def test_parallel_uploads(ndex_server: NdexServer) -> None:
    results: list[str] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            r = upload(ndex_server.url, cx_bytes(make_cx(f"Parallel {i}", 300 + i)), ALICE)
            assert r.status_code == 201, r.text
            results.append(r.text.rsplit("/", 1)[1])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(set(results)) == 12
    counts = sorted(wait_valid(ndex_server.url, n, ALICE)["nodeCount"] for n in results)
    assert counts == [300 + i for i in range(12)]
    assert requests.get(ndex_server.url + "/admin/status", timeout=10).json()["networkCount"] == 12


def test_data_survives_a_restart(tmp_path: Any) -> None:
    data = str(tmp_path / "data")
    with NdexServer({"alice": "one"}, data_dir=data) as first:
        network_id = first.add_network(make_cx("Kept", 4), "alice", visibility="PUBLIC")
        port = first.port
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/v2/admin/status", timeout=2)
    with NdexServer({"alice": "Second-Pw-9Q"}, data_dir=data) as second:
        assert second.summary(network_id)["nodeCount"] == 4
        assert requests.get(second.url + "/admin/status", auth=("alice", "Second-Pw-9Q"), timeout=10).status_code == 200
        assert requests.get(second.url + "/admin/status", auth=("alice", "one"), timeout=10).status_code == 401
    with open(f"{data}/ndex.sqlite3", "rb") as fh:
        assert b"Second-Pw-9Q" not in fh.read()  # passwords are stored hashed


def test_factory_serves_two_servers(ndex_server_factory: Any) -> None:
    source = ndex_server_factory()
    target = ndex_server_factory(users={"copier": "pw"}, faults=["POST /v2/network status=500"])
    assert source.port != target.port
    assert source.url.startswith("http://127.0.0.1:")
    r = upload(target.url, cx_bytes(make_cx("x")), ("copier", "pw"))
    assert r.status_code == 500
    assert json.loads(r.text)["message"] == "Injected fault: HTTP 500."
