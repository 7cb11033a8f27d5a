"""A copy plan's vocabulary and how the run reads its values (docs/formats.md, "Coercion").

The plan types and field names of ndex-sync's plans, the network id form, and the readers of
`queryLimit`, `updateTargetNetwork` (alias `updateTarget`), `updateReadOnlyNetwork` and routes.
The copy-plan rules (`rules/ndex.py`) and the IR (`ir.py`) both read values here, so a value the
rules accept is read the same way when the plan runs. Numbers and booleans are read as ndex-sync
2.1 reads them (Jackson 2.5, `compiler.coerce`).
"""

from __future__ import annotations

import re
from typing import Any

from . import coerce

__all__ = [
    "BOOL_FIELDS", "COMMON_FIELDS", "ID_FIELDS", "ID_PLAN", "PLAN_FIELDS", "QUERY_FIELDS", "QUERY_PLAN",
    "SERVER_FIELDS", "UPDATE_TARGET_ALIAS", "UUID", "as_bool", "as_int", "distinct_uuids", "is_uuid", "query_limit",
    "route_base", "update_read_only", "update_target",
]

QUERY_PLAN = "QueryCopyPlan"
ID_PLAN = "IdCopyPlan"
QUERY_FIELDS = ("queryString", "queryLimit", "queryAccountName")
ID_FIELDS = ("idList",)
UPDATE_TARGET_ALIAS = "updateTarget"
COMMON_FIELDS = ("$schema", "planType", "source", "target", "updateTargetNetwork", "updateReadOnlyNetwork")
PLAN_FIELDS = (*COMMON_FIELDS[:4], *QUERY_FIELDS, *ID_FIELDS, *COMMON_FIELDS[4:], UPDATE_TARGET_ALIAS)
SERVER_FIELDS = ("route", "username", "password")
BOOL_FIELDS = ("updateTargetNetwork", "updateReadOnlyNetwork", UPDATE_TARGET_ALIAS)

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# a list of UUIDs joined by ",": 36 characters and a separator each (see `distinct_uuids`)
_UUID_STRIDE = 37
_UUID_CHARACTERS = b"0123456789abcdefABCDEF-,"


def is_uuid(value: str) -> bool:
    """True for the 8-4-4-4-12 hex form NDEx uses for network ids (either case)."""
    return UUID.fullmatch(value) is not None


def distinct_uuids(ids: list[Any]) -> bool:
    """True when every item of `ids` is a network UUID (`is_uuid`) and no two are equal ignoring
    case: the idList on which the rules report nothing (rules/ndex.py checks any other list item by
    item, to report each bad item; docs/formats.md, "Checking thousands of plans").

    Decided on the items joined by "," with string operations that run at C speed (a regex over
    the joined ids costs several times more): the joined text has the length of that many UUIDs
    and separators, a "-" at each of the four places of a UUID's hyphens and a "," at each
    separator's place, no other "-" or "," anywhere, and nothing but hex digits besides. So every
    "," is a separator and every item the 8-4-4-4-12 hex form."""
    try:
        joined = ",".join(ids)
    except TypeError:  # an item that is not a string
        return False
    n = len(ids)
    if len(joined) != _UUID_STRIDE * n - 1:
        return False
    hyphens = "-" * n
    if not (joined[8::_UUID_STRIDE] == joined[13::_UUID_STRIDE] == joined[18::_UUID_STRIDE] == hyphens):
        return False
    if joined[23::_UUID_STRIDE] != hyphens or joined[36::_UUID_STRIDE] != "," * (n - 1):
        return False
    if joined.count("-") != 4 * n or joined.count(",") != n - 1:
        return False
    if not joined.isascii() or joined.encode().translate(None, _UUID_CHARACTERS):
        return False
    lowered = joined.lower()
    if lowered == joined:  # no upper-case digit: the items compare as they are
        return len(set(ids)) == n
    return len(set(lowered.split(","))) == n


def as_bool(value: Any) -> bool | None:
    """A flag as ndex-sync reads it (`coerce.jackson_bool`): its value, or None when refused."""
    return coerce.jackson_bool(value).value


def as_int(value: Any) -> int | None:
    """queryLimit as ndex-sync reads it (`coerce.jackson_int`), or None when it is refused or
    below 1 (a limit that selects nothing)."""
    n = coerce.jackson_int(value).value
    return n if n is not None and n >= 1 else None


def update_target(data: Any) -> bool:
    """The plan's updateTargetNetwork as the run uses it: `updateTargetNetwork`, else its alias
    `updateTarget`, read as ndex-sync reads it; false when absent or refused (then validation
    has reported an error). For the IR: `CopyPlan.update_target`."""
    if not isinstance(data, dict):
        return False
    name = "updateTargetNetwork" if "updateTargetNetwork" in data else UPDATE_TARGET_ALIAS
    return bool(as_bool(data.get(name, False)))


def update_read_only(data: Any) -> bool:
    """The plan's updateReadOnlyNetwork as the run uses it (false when absent or refused)."""
    return bool(as_bool(data.get("updateReadOnlyNetwork", False))) if isinstance(data, dict) else False


def query_limit(data: Any) -> int | None:
    """The plan's queryLimit as the run uses it, or None when absent, refused or below 1."""
    return as_int(data.get("queryLimit")) if isinstance(data, dict) and "queryLimit" in data else None


def route_base(route: str) -> str:
    """The route without its optional trailing slash, ready for `route + "/network/…"`."""
    return route[:-1] if route.endswith("/v2/") else route
