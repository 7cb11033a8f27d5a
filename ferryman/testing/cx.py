"""Small CX (v1) networks for tests and demos: seed a local NDEx server without fixture files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def make_cx(
    name: str,
    nodes: int = 3,
    *,
    description: str = "",
    properties: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A valid CX v1 network: a chain of `nodes` nodes (GENE0 - GENE1 - ...), `nodes - 1` edges.

    `properties` become network attributes (`{"n": key, "v": value}`); `provenance` is stored as
    the entity of a `provenanceHistory` aspect. The result is a list of aspect fragments, ready for
    `json.dumps`, the ndex2 client's `save_new_network` or `NdexServer.add_network`.
    """
    attrs: list[dict[str, Any]] = [{"n": "name", "v": name}]
    if description:
        attrs.append({"n": "description", "v": description})
    attrs.extend({"n": key, "v": value} for key, value in (properties or {}).items())
    edges = max(nodes - 1, 0)
    cx: list[dict[str, Any]] = [
        {"numberVerification": [{"longNumber": 281474976710655}]},
        {"metaData": [{"name": "nodes", "elementCount": nodes}, {"name": "edges", "elementCount": edges}]},
        {"networkAttributes": attrs},
        {"nodes": [{"@id": i, "n": f"GENE{i}"} for i in range(nodes)]},
        {"edges": [{"@id": i, "s": i, "t": i + 1, "i": "interacts-with"} for i in range(edges)]},
    ]
    if provenance is not None:
        cx.append({"provenanceHistory": [{"entity": dict(provenance)}]})
    cx.append({"status": [{"error": "", "success": True}]})
    return cx


def cx_bytes(cx: list[dict[str, Any]]) -> bytes:
    """The network as the UTF-8 JSON bytes an upload sends."""
    return json.dumps(cx).encode("utf-8")
