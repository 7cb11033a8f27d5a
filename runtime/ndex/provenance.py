"""The provenance history ferryman writes on a copy (new or updated in place).

Shape (NDEx's ProvenanceEntity, as ndex-sync writes it; docs/ndex.md "Copy decisions"):

    {"uri": "<target route>/network/<copy id>",
     "properties": [{"name": "dc:title", "value": <source name>},
                    {"name": "pav:retrievedFrom", "value": "<source route>/network/<source id>"}],
     "creationEvent": {"eventType": "Copy", "startedAtTime": ms, "endedAtTime": ms,
                       "inputs": [<the source's provenance root, or {"uri": <source URL>}>],
                       "properties": []}}

URLs keep the route's own scheme (ndex-sync writes `http://` even for https routes) and never carry
user:password@ or a query string. Times are epoch milliseconds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .decide import RETRIEVED_FROM

COPY_EVENT_TYPE = "Copy"
TITLE = "dc:title"


def network_url(route: str, network_id: str) -> str:
    """`https://host/v2` + id -> `https://host/v2/network/<id>`: userinfo, query and fragment dropped."""
    parts = urlsplit(route)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return f"{base}/network/{network_id}"


def copy_provenance(
    *,
    source_summary: Mapping[str, Any],
    source_provenance: Mapping[str, Any] | None,
    source_route: str,
    target_id: str,
    target_route: str,
    target_modification_ms: int | None,
    started_ms: int,
    now_ms: int,
) -> dict[str, Any]:
    """The provenance history of a copy of `source_summary` whose id on the target is `target_id`.

    Used for new copies and, unchanged, to restore the history after an update in place (the update
    replaces the network's content; the history then says it is a copy made now). `endedAtTime` is
    the later of `now_ms` and the copy's own modificationTime, so a copy never looks edited after its
    copy event when the target server's clock runs ahead of ours.
    """
    source_id = str(source_summary.get("externalId", ""))
    source_url = network_url(source_route, source_id)
    source_root: dict[str, Any]
    if source_provenance and (source_provenance.get("uri") or source_provenance.get("creationEvent")):
        source_root = copy.deepcopy(dict(source_provenance))
    else:
        source_root = {"uri": source_url, "properties": []}
    ended = max(now_ms, target_modification_ms or 0)
    properties: list[dict[str, Any]] = []
    if source_summary.get("name") is not None:
        properties.append({"name": TITLE, "value": str(source_summary["name"])})
    properties.append({"name": RETRIEVED_FROM, "value": source_url})
    return {
        "uri": network_url(target_route, target_id),
        "properties": properties,
        "creationEvent": {
            "eventType": COPY_EVENT_TYPE,
            "startedAtTime": min(started_ms, ended),
            "endedAtTime": ended,
            "inputs": [source_root],
            "properties": [],
        },
    }
