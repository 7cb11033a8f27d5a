"""The copy decision for one source network: copy, update, adopt or skip, and why.

A pure function of what the two servers say (network summaries and provenance histories, as the
JSON dicts NDEx v2 returns) and the plan's flags. Nothing here does I/O, so `ferryman plan --refresh`
and the copy run share exactly one rule. The rules and their sources (the NDEx Sync 2.0 copy plan
documentation and ndex-sync's behaviour) are in docs/ndex.md, "Copy decisions".
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

Action = Literal["copy", "update", "adopt", "skip"]

COPY_EVENT = "copy"  # ndex-sync writes "Copy" (NdexProvenanceEventType.SNYC_COPY); compared case-insensitively
RETRIEVED_FROM = "pav:retrievedFrom"
DERIVED_FROM = "prov:wasDerivedFrom"


@dataclasses.dataclass(frozen=True)
class Network:
    """What one server says about one network.

    `summary`: the `GET /network/{id}/summary` (or search hit) dict: `externalId`, `name`,
    `modificationTime` / `creationTime` (epoch ms), `isReadOnly`, `isValid`, `errorMessage`, `owner`,
    `nodeCount`, `edgeCount`, `properties` (network attributes `{predicateString, value}`).
    `provenance`: the `GET /network/{id}/provenance` dict (a ProvenanceEntity: `uri`, `properties`
    `[{name, value}]`, `creationEvent {eventType, startedAtTime, endedAtTime, inputs, properties}`),
    or None when it could not be read. `administered`: the target account administers (owns) this
    network — meaningful for target candidates only.
    """

    summary: Mapping[str, Any]
    provenance: Mapping[str, Any] | None = None
    administered: bool = True

    @property
    def id(self) -> str:
        return str(self.summary.get("externalId", ""))

    @property
    def name(self) -> str:
        return str(self.summary.get("name") or "")


@dataclasses.dataclass(frozen=True)
class CopyDecision:
    """The outcome of `decide`.

    `action`: "copy" (a new network), "update" (`target_id` in place, UUID kept), "adopt" (`target_id`
    is an interrupted copy of this source: give it its provenance) or "skip". `reason`: one sentence
    for people. `target_read_only`: the update must lift and restore the read-only flag.
    """

    action: Action
    reason: str
    target_id: str | None = None
    target_read_only: bool = False


def epoch_ms(value: Any) -> int | None:
    """A provenance or summary time as epoch milliseconds, or None when absent or unreadable.

    NDEx (Jackson) writes java.sql.Timestamp as epoch ms; ISO-8601 text is accepted too."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return int(parsed.timestamp() * 1000)
    return None


def names_network(value: Any, network_id: str) -> bool:
    """True when `value` is `network_id` or a URL whose last path segment is it (ndex-sync reads
    `pav:retrievedFrom` the same way). Case-insensitive, as UUIDs are."""
    if not isinstance(value, str) or not network_id:
        return False
    text = value.strip()
    if text.lower() == network_id.lower():
        return True
    path = urlsplit(text).path.rstrip("/")
    return path.rsplit("/", 1)[-1].lower() == network_id.lower()


def root_event(provenance: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    event = provenance.get("creationEvent") if provenance else None
    return event if isinstance(event, Mapping) else None


def _properties(entity: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    props = entity.get("properties") if entity else None
    return [p for p in props if isinstance(p, Mapping)] if isinstance(props, list) else []


def copy_marker(source_id: str, candidate: Network) -> str | None:
    """How `candidate` is marked as a copy of network `source_id`, or None when it is not.

    "provenance": its provenance root was created by a Copy event and has `pav:retrievedFrom` naming
    the source. "attribute": a network attribute `prov:wasDerivedFrom` names the source (the newer
    NDEx convention)."""
    event = root_event(candidate.provenance)
    if event is not None and str(event.get("eventType", "")).lower() == COPY_EVENT:
        for prop in _properties(candidate.provenance):
            if prop.get("name") == RETRIEVED_FROM and names_network(prop.get("value"), source_id):
                return "provenance"
    for attr in _properties(candidate.summary):
        if attr.get("predicateString") == DERIVED_FROM and names_network(attr.get("value"), source_id):
            return "attribute"
    return None


def _known_times_ms(network: Network) -> list[int]:
    """The network's modificationTime and its last provenance event's end time, those that are known."""
    times = [epoch_ms(network.summary.get("modificationTime"))]
    event = root_event(network.provenance)
    if event is not None:
        times.append(epoch_ms(event.get("endedAtTime")))
    return [t for t in times if t is not None]


def latest_source_ms(source: Network) -> int | None:
    """The later of the source's modificationTime and its last provenance event's end time."""
    return max(_known_times_ms(source), default=None)


def earliest_target_ms(target: Network) -> int | None:
    """The earlier of the copy's modificationTime and its last provenance event's end time."""
    return min(_known_times_ms(target), default=None)


def is_modified(copy: Network) -> bool:
    """The copy was edited after its copy event: modificationTime later than the event's end.

    Only a provenance-marked copy has a copy event to compare with; ferryman writes the event's end
    no earlier than the copy's own modificationTime (see provenance.py), so clock skew between
    ferryman and the server cannot make a fresh copy look edited."""
    event = root_event(copy.provenance)
    if event is None or str(event.get("eventType", "")).lower() != COPY_EVENT:
        return False
    ended = epoch_ms(event.get("endedAtTime"))
    modified = epoch_ms(copy.summary.get("modificationTime"))
    return ended is not None and modified is not None and modified > ended


def is_out_of_date(source: Network, copy: Network) -> bool:
    """latestSource > earliestTarget (equal times are up to date). Unknown times count as out of date:
    a copy that cannot be shown current is not trusted."""
    latest, earliest = latest_source_ms(source), earliest_target_ms(copy)
    if latest is None or earliest is None:
        return True
    return latest > earliest


def load_failed(network: Network) -> str | None:
    """The server's errorMessage when it failed to load the network's CX, else None."""
    message = network.summary.get("errorMessage")
    return str(message) if message else None


def is_loading(network: Network) -> bool:
    """The server has not inspected the network yet (`isValid` false and no errorMessage)."""
    return network.summary.get("isValid") is False and load_failed(network) is None


def is_unfinished_copy(source: Network, candidate: Network, *, created_after_ms: int | None = None) -> bool:
    """`candidate` looks like a copy of `source` whose provenance was never written (the run was
    killed, or the connection dropped after the upload): no marker and no provenance event at all,
    the same name, node count and edge count, created no earlier than the source's last change (or
    than `created_after_ms`), and owned by the target account."""
    if copy_marker(source.id, candidate) is not None or root_event(candidate.provenance) is not None:
        return False
    if candidate.provenance is None or not candidate.administered:
        return False  # unreadable provenance proves nothing
    if candidate.name != source.name:
        return False
    for count in ("nodeCount", "edgeCount"):
        if candidate.summary.get(count) != source.summary.get(count):
            return False
    created = epoch_ms(candidate.summary.get("creationTime"))
    floor = created_after_ms if created_after_ms is not None else latest_source_ms(source)
    return created is not None and floor is not None and created >= floor


def _state(source: Network, copy: Network) -> str:
    failed = load_failed(copy)
    if failed is not None:
        return f"failed to load on the server ({_clip(failed)})"
    if is_loading(copy):
        return "still being loaded by the server"
    if is_modified(copy):
        return "modified after it was copied"
    if is_out_of_date(source, copy):
        return "out of date"
    return "up to date"


def _clip(text: str, limit: int = 120) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def decide(
    source: Network,
    candidates: Sequence[Network],
    *,
    update_target: bool,
    update_read_only: bool,
) -> CopyDecision:
    """Decide what one source network gets on the target (docs/ndex.md, "Copy decisions").

    `candidates`: the networks of the target account with their provenance. Never raises for odd
    input: missing fields make a copy look out of date, never up to date.
    """
    failed = load_failed(source)
    if failed is not None:
        return CopyDecision("skip", f"the source failed to load on its server ({_clip(failed)}): nothing to copy")
    if is_loading(source):
        return CopyDecision("skip", "the source is still being loaded by its server; re-run later")
    copies = [c for c in candidates if copy_marker(source.id, c) is not None]
    copies.sort(key=lambda c: (-(epoch_ms(c.summary.get("modificationTime")) or 0), c.id))
    if not copies:
        unfinished = [c for c in candidates if is_unfinished_copy(source, c)]
        if unfinished:
            found = min(unfinished, key=lambda c: c.id)
            return CopyDecision(
                "adopt",
                f"{found.id} has this network's name and size but no provenance: an interrupted copy, "
                "given its provenance instead of a second copy",
                found.id,
            )
        return CopyDecision("copy", "no copy in the target account")

    states = {c.id: _state(source, c) for c in copies}
    current = [c for c in copies if states[c.id] == "up to date"]
    if current:
        return CopyDecision("skip", f"up-to-date copy {current[0].id}", current[0].id)
    loading = [c for c in copies if states[c.id] == "still being loaded by the server"]
    if loading:
        return CopyDecision(
            "skip", f"copy {loading[0].id} is still being loaded by the server; re-run later", loading[0].id
        )

    summary = "; ".join(f"{c.id} {states[c.id]}" for c in copies)
    if not update_target:
        return CopyDecision("copy", f"no up-to-date copy ({summary}); updateTargetNetwork is false: a new copy")

    refusals: list[str] = []
    for c in copies:
        if is_modified(c):
            continue  # never overwrite someone's edits
        if c.summary.get("isReadOnly") is True:
            if not update_read_only:
                refusals.append(f"{c.id} is read-only and updateReadOnlyNetwork is false (ndex-sync also copies anew)")
                continue
            if not c.administered:
                refusals.append(f"{c.id} is read-only and the target account does not administer it")
                continue
            return CopyDecision("update", f"copy {c.id} {states[c.id]}; read-only: lifted for the update", c.id, True)
        return CopyDecision("update", f"copy {c.id} {states[c.id]}", c.id)
    why = "; ".join(refusals) if refusals else "every copy was modified after it was copied"
    return CopyDecision("copy", f"no copy can be updated in place ({summary}; {why}): a new copy")
