"""The copy decision (runtime/ndex/decide.py) and the provenance of a copy (provenance.py): pure rules."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman.runtime.ndex.decide import (
    Network,
    copy_marker,
    decide,
    epoch_ms,
    is_out_of_date,
    names_network,
)
from ferryman.runtime.ndex.provenance import copy_provenance, network_url

SRC = "0b1ef4a2-8f3c-11ee-b9d1-0242ac120002"
OTHER = "5e0c4b1e-8f3c-11ee-b9d1-0242ac120002"
T1 = "aaaaaaaa-0000-0000-0000-000000000001"
T2 = "aaaaaaaa-0000-0000-0000-000000000002"
SOURCE_ROUTE = "https://source.example.org/v2"
TARGET_ROUTE = "https://target.example.org/v2"


def source(mod: int = 1000, prov_end: int | None = None) -> Network:
    prov: dict[str, Any] = {"uri": network_url(SOURCE_ROUTE, SRC), "properties": []}
    if prov_end is not None:
        prov["creationEvent"] = {"eventType": "File Upload", "endedAtTime": prov_end, "inputs": []}
    return Network(
        {"externalId": SRC, "name": "BRCA pathway", "modificationTime": mod, "isValid": True,
         "nodeCount": 10, "edgeCount": 12, "creationTime": 500},
        prov,
    )


def copy_of(
    tid: str = T1,
    *,
    mod: int = 2000,
    event_end: int = 2000,
    event_type: str = "Copy",
    retrieved_from: str = SRC,
    read_only: bool = False,
    administered: bool = True,
    **summary: Any,
) -> Network:
    prov = {
        "uri": network_url(TARGET_ROUTE, tid),
        "properties": [{"name": "dc:title", "value": "BRCA pathway"},
                       {"name": "pav:retrievedFrom", "value": retrieved_from}],
        "creationEvent": {"eventType": event_type, "startedAtTime": event_end - 5, "endedAtTime": event_end,
                          "inputs": [], "properties": []},
    }
    s = {"externalId": tid, "name": "BRCA pathway", "modificationTime": mod, "isReadOnly": read_only,
         "isValid": True, "nodeCount": 10, "edgeCount": 12, "creationTime": mod, **summary}
    return Network(s, prov, administered)


def run(candidates: list[Network], *, update: bool = False, read_only: bool = False, src: Network | None = None):
    return decide(src or source(), candidates, update_target=update, update_read_only=read_only)


def test_no_copy_in_target_account_copies() -> None:
    unrelated = copy_of(retrieved_from=OTHER)
    d = run([unrelated])
    assert (d.action, d.reason, d.target_id) == ("copy", "no copy in the target account", None)


def test_up_to_date_copy_skips() -> None:
    d = run([copy_of()])
    assert (d.action, d.target_id) == ("skip", T1)
    assert d.reason == f"up-to-date copy {T1}"


def test_equal_dates_are_up_to_date() -> None:
    # latestSource == earliestTarget: not later, so not out of date
    d = run([copy_of(mod=1000, event_end=1000)], src=source(mod=1000))
    assert d.action == "skip"
    assert not is_out_of_date(source(mod=1000), copy_of(mod=1000, event_end=1000))
    assert is_out_of_date(source(mod=1001), copy_of(mod=1000, event_end=1000))


def test_source_provenance_end_counts_as_a_source_change() -> None:
    # source modificationTime is old but its last provenance event ended after the copy
    d = run([copy_of(mod=2000, event_end=2000)], src=source(mod=1000, prov_end=2500))
    assert d.action == "copy"
    assert "out of date" in d.reason


def test_out_of_date_copy_without_update_flag_copies_anew() -> None:
    d = run([copy_of(mod=900, event_end=900)])
    assert d.action == "copy"
    assert d.target_id is None
    assert d.reason == f"no up-to-date copy ({T1} out of date); updateTargetNetwork is false: a new copy"


def test_out_of_date_copy_with_update_flag_updates_in_place() -> None:
    d = run([copy_of(mod=900, event_end=900)], update=True)
    assert (d.action, d.target_id, d.target_read_only) == ("update", T1, False)
    assert d.reason == f"copy {T1} out of date"


def test_modified_copy_is_never_updated() -> None:
    # edited (modificationTime 3000) after its copy event (end 2000): the copy counts as neither up to
    # date nor updatable, so a new copy is made even in update mode
    edited = copy_of(mod=3000, event_end=2000)
    for update in (False, True):
        d = run([edited], update=update)
        assert d.action == "copy", update
        assert f"{T1} modified after it was copied" in d.reason
    d = run([edited], update=True)
    assert "every copy was modified after it was copied" in d.reason


def test_modified_copy_next_to_an_out_of_date_one_updates_the_unmodified() -> None:
    d = run([copy_of(T1, mod=3000, event_end=800), copy_of(T2, mod=900, event_end=900)], update=True)
    assert (d.action, d.target_id) == ("update", T2)


def test_read_only_copy_without_update_read_only_gets_a_new_copy() -> None:
    d = run([copy_of(mod=900, event_end=900, read_only=True)], update=True, read_only=False)
    assert d.action == "copy"
    assert "read-only and updateReadOnlyNetwork is false (ndex-sync also copies anew)" in d.reason
    assert d.reason.endswith("a new copy")


def test_read_only_copy_with_update_read_only_is_updated_with_the_flag_lifted() -> None:
    d = run([copy_of(mod=900, event_end=900, read_only=True)], update=True, read_only=True)
    assert (d.action, d.target_id, d.target_read_only) == ("update", T1, True)
    assert "read-only: lifted for the update" in d.reason


def test_read_only_copy_not_administered_by_the_target_account_gets_a_new_copy() -> None:
    d = run([copy_of(mod=900, event_end=900, read_only=True, administered=False)], update=True, read_only=True)
    assert d.action == "copy"
    assert "read-only and the target account does not administer it" in d.reason


def test_up_to_date_read_only_copy_skips_whatever_the_flags() -> None:
    d = run([copy_of(read_only=True, administered=False)], update=True, read_only=False)
    assert (d.action, d.target_id) == ("skip", T1)


def test_was_derived_from_attribute_marks_a_copy() -> None:
    marked = Network(
        {"externalId": T1, "name": "x", "modificationTime": 2000, "isValid": True,
         "properties": [{"predicateString": "prov:wasDerivedFrom", "value": f"{SOURCE_ROUTE}/network/{SRC}"}]},
        {"properties": []},
    )
    assert copy_marker(SRC, marked) == "attribute"
    assert run([marked]).action == "skip"
    stale = Network({**marked.summary, "modificationTime": 10}, marked.provenance)
    assert run([stale], update=True).action == "update"


def test_marker_rules() -> None:
    assert copy_marker(SRC, copy_of()) == "provenance"
    assert copy_marker(SRC, copy_of(event_type="COPY")) == "provenance"  # case-insensitive
    assert copy_marker(SRC, copy_of(retrieved_from=f"http://old.example.org//network/{SRC.upper()}")) == "provenance"
    assert copy_marker(SRC, copy_of(event_type="Update")) is None  # the root event is not a copy
    assert copy_marker(SRC, copy_of(retrieved_from=f"{SRC}-x")) is None
    assert copy_marker(OTHER, copy_of()) is None
    assert names_network(f"https://h/v2/network/{SRC}/", SRC)
    assert not names_network(None, SRC)


def test_copy_whose_load_failed_is_not_up_to_date() -> None:
    broken = copy_of(mod=5000, event_end=5000, errorMessage="Invalid CX: unexpected token at 3:1")
    d = run([broken])
    assert d.action == "copy"
    assert "failed to load on the server (Invalid CX: unexpected token at 3:1)" in d.reason
    d = run([broken], update=True)
    assert (d.action, d.target_id) == ("update", T1)  # an unmodified broken copy is repaired in place


def test_copy_still_loading_is_not_duplicated() -> None:
    d = run([copy_of(isValid=False)])
    assert (d.action, d.target_id) == ("skip", T1)
    assert "still being loaded" in d.reason


def test_unknown_times_never_look_up_to_date() -> None:
    no_times = Network({"externalId": T1, "isValid": True},
                       {"properties": [{"name": "pav:retrievedFrom", "value": SRC}],
                        "creationEvent": {"eventType": "Copy"}})
    assert run([no_times]).action == "copy"


def test_interrupted_copy_without_provenance_is_adopted() -> None:
    orphan = Network({"externalId": T2, "name": "BRCA pathway", "nodeCount": 10, "edgeCount": 12,
                      "creationTime": 1500, "modificationTime": 1500, "isValid": True}, {"properties": []})
    d = run([orphan])
    assert (d.action, d.target_id) == ("adopt", T2)
    # not the same size, created before the source's last change, or with some history: a plain copy
    for change in ({"edgeCount": 13}, {"creationTime": 900}):
        assert run([Network({**orphan.summary, **change}, orphan.provenance)]).action == "copy"
    assert run([Network(orphan.summary, {"creationEvent": {"eventType": "File Upload"}})]).action == "copy"
    assert run([Network(orphan.summary, None)]).action == "copy"


def test_most_recent_up_to_date_copy_is_named() -> None:
    d = run([copy_of(T1, mod=2000, event_end=2000), copy_of(T2, mod=2500, event_end=2500)])
    assert (d.action, d.target_id) == ("skip", T2)


@pytest.mark.parametrize(("value", "ms"), [(1700000000123, 1700000000123), ("1700000000123", 1700000000123),
                                           ("2023-11-14T22:13:20Z", 1700000000000), (None, None), (True, None),
                                           ("soon", None)])
def test_epoch_ms(value: Any, ms: int | None) -> None:
    assert epoch_ms(value) == ms


def test_copy_provenance_shape() -> None:
    src = source(prov_end=700)
    prov = copy_provenance(
        source_summary=src.summary, source_provenance=src.provenance, source_route=SOURCE_ROUTE,
        target_id=T1, target_route="https://u:pw@target.example.org:8443/v2/?k=v",
        target_modification_ms=5000, started_ms=3000, now_ms=4000,
    )
    assert prov == {
        "uri": f"https://target.example.org:8443/v2/network/{T1}",
        "properties": [{"name": "dc:title", "value": "BRCA pathway"},
                       {"name": "pav:retrievedFrom", "value": f"https://source.example.org/v2/network/{SRC}"}],
        "creationEvent": {"eventType": "Copy", "startedAtTime": 3000, "endedAtTime": 5000,
                          "inputs": [src.provenance], "properties": []},
    }
    # the copy it describes is a marked, unmodified, up-to-date copy
    written = Network({"externalId": T1, "modificationTime": 5000, "isValid": True}, prov)
    assert copy_marker(SRC, written) == "provenance"
    assert run([written], src=src).action == "skip"


def test_copy_provenance_without_source_history_points_at_the_source() -> None:
    prov = copy_provenance(
        source_summary={"externalId": SRC, "name": "n"}, source_provenance={"properties": []},
        source_route="http://127.0.0.1:8080/v2", target_id=T1, target_route=TARGET_ROUTE,
        target_modification_ms=None, started_ms=10, now_ms=20,
    )
    assert prov["creationEvent"]["inputs"] == [{"uri": f"http://127.0.0.1:8080/v2/network/{SRC}", "properties": []}]
    assert prov["creationEvent"]["endedAtTime"] == 20


def test_a_source_that_failed_to_load_or_is_loading_is_skipped() -> None:
    bad = Network({**source().summary, "errorMessage": "bad CX"}, source().provenance)
    d = run([], src=bad)
    assert (d.action, d.reason) == ("skip", "the source failed to load on its server (bad CX): nothing to copy")
    loading = Network({**source().summary, "isValid": False}, source().provenance)
    assert run([], src=loading).action == "skip"
