"""Schema defaults, applied once to loaded data: the IR reads the defaulted data and never writes a
default of its own, so every default lives in one place, the shipped schema (docs/formats.md).

Only what a schema says with `default` under `properties` is filled in, and only inside objects
the data already has (a default inside an optional table such as `[bridge]` applies when the
table is present). Runs after the schema check, on valid data.
"""

from __future__ import annotations

import copy
from typing import Any


def apply(data: Any, schema: dict[str, Any]) -> Any:
    """`data` with the schema's defaults filled in (in place for dicts; also returned)."""
    if not isinstance(data, dict) or not isinstance(schema, dict):
        return data
    props = schema.get("properties")
    if isinstance(props, dict):
        for key, sub in props.items():
            if not isinstance(sub, dict):
                continue
            if key not in data and "default" in sub:
                data[key] = copy.deepcopy(sub["default"])
            elif key in data:
                value = data[key]
                if isinstance(value, dict):
                    apply(value, sub)
                elif isinstance(value, list) and isinstance(sub.get("items"), dict):
                    for item in value:
                        apply(item, sub["items"])
    return data


def default(schema: dict[str, Any], *path: str) -> Any:
    """The default the schema gives at `path` (property names), e.g. ("bridge", "socks_port").
    Raises KeyError when the schema has none there."""
    node: Any = schema
    for key in path:
        node = node["properties"][key]
    return node["default"]
