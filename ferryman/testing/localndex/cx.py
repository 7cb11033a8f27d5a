"""Read an uploaded CX (v1) network incrementally and summarise it, as NDEx's loader does.

CX v1 is a JSON array of one-key aspect fragments (`nodes`, `edges`, `networkAttributes`,
`metaData`, `provenanceHistory`, ...; docs/ndex.md, "Local NDEx server"). The file is read with
ijson's incremental parser (its C backend), so memory stays bounded by the largest element kept
(a network attribute or the provenance entity), never by the network: nodes and edges are only
counted. Measured on this project's machines: about 25-30 MB/s.

The checks are ndex-rest's `CXNetworkLoader` checks that a copy tool can meet: malformed JSON,
"No CX metadata found in this CX stream." and "Nodes aspect is missing." fail the load; what they
do to the network (isValid true, errorMessage set) is the server's business (`storage`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, Any

# The fields NDEx lifts out of networkAttributes into the summary; the rest become `properties`.
SUMMARY_ATTRIBUTES = ("name", "description", "version")
MAX_PROPERTIES = 10_000  # a bound on memory; more attributes are counted in a warning


class CxError(Exception):
    """The CX stream cannot be loaded; the message is what the server reports as errorMessage."""


@dataclass
class CxSummary:
    """What the server learns from one CX stream.

    `properties` are NDEx property objects: `{predicateString, value, dataType, subNetworkId}`;
    `provenance` is the entity of the first `provenanceHistory` element, or None.
    """

    node_count: int = 0
    edge_count: int = 0
    name: str | None = None
    description: str | None = None
    version: str | None = None
    properties: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _add_attribute(summary: CxSummary, element: Any) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("n"), str):
        return
    name, value = element["n"], element.get("v")
    if name in SUMMARY_ATTRIBUTES and element.get("s") is None:
        setattr(summary, name, None if value is None else _as_text(value))
        return
    if len(summary.properties) >= MAX_PROPERTIES:
        if len(summary.properties) == MAX_PROPERTIES:
            summary.warnings.append(f"more than {MAX_PROPERTIES} network attributes: the rest are not listed")
        return
    summary.properties.append(
        {
            "predicateString": name,
            "value": None if value is None else _as_text(value),
            "dataType": element.get("d", "string"),
            "subNetworkId": element.get("s"),
        }
    )


MAX_DEPTH = 256
"""Deepest JSON nesting accepted in an upload. CX itself needs 5 levels (array, fragment, aspect
list, element, attribute value); a bound keeps a hostile `[[[[…` stream from costing memory:
ijson's prefixed events would build a prefix per level, quadratic in the depth (docs/ndex.md)."""

_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")
_KEPT = ("networkAttributes", "metaData", "provenanceHistory")


def summarize(stream: IO[bytes]) -> CxSummary:
    """Summarise the CX network read from `stream` (binary, read to its end).

    Raises CxError with NDEx's message when the stream is not loadable CX, or when it nests
    deeper than MAX_DEPTH.
    """
    import ijson  # type: ignore[import-untyped]

    summary = CxSummary()
    metadata_names: set[str] = set()
    saw_metadata = False
    builder: Any = None  # ijson.ObjectBuilder for the element being kept, if any
    depth = 0  # open containers; the outer array is depth 1, a fragment 2, an aspect's list 3
    aspect = ""  # the key of the fragment being read (depth 2)
    try:
        # basic_parse: events without prefixes, so memory stays linear in the nesting depth
        events = ijson.basic_parse(stream, buf_size=1 << 20)
        first = next(events, None)
        if first is None:
            raise CxError("Empty CX stream.")
        if first[0] != "start_array":
            raise CxError("Malformed CX stream: a CX network is a JSON array of aspect fragments.")
        depth = 1
        for event, value in events:
            if event in _STARTS:
                depth += 1
                if depth > MAX_DEPTH:
                    raise CxError(f"Malformed CX stream: JSON nested deeper than {MAX_DEPTH} levels.")
            elif event in _ENDS:
                depth -= 1
            if builder is not None:
                builder.event(event, value)
                if depth == 3 and event in _ENDS:
                    _finish(summary, aspect, builder.value, metadata_names)
                    builder = None
                continue
            if event == "map_key" and depth == 2:
                aspect = value
            elif event == "start_map" and depth == 4:
                if aspect == "nodes":
                    summary.node_count += 1
                elif aspect == "edges":
                    summary.edge_count += 1
                elif aspect in _KEPT:
                    saw_metadata = saw_metadata or aspect == "metaData"
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
    except ijson.JSONError as exc:
        raise CxError(f"Malformed JSON in CX stream: {exc}") from None
    if not saw_metadata:
        raise CxError("No CX metadata found in this CX stream.")
    if "nodes" not in metadata_names:
        raise CxError("Nodes aspect is missing.")
    return summary


def _finish(summary: CxSummary, aspect: str, element: Any, metadata_names: set[str]) -> None:
    if aspect == "networkAttributes":
        _add_attribute(summary, element)
    elif aspect == "metaData":
        if isinstance(element, dict) and isinstance(element.get("name"), str):
            metadata_names.add(element["name"])
    elif aspect == "provenanceHistory" and summary.provenance is None:
        entity = element.get("entity") if isinstance(element, dict) else None
        if isinstance(entity, dict):
            summary.provenance = entity
