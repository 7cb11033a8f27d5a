"""Semantic rules for NDEx copy plans (docs/formats.md); the plan's field names and how its values
are read are in compiler/copyplan.py, which the IR reads too.

Which layer owns what (each problem is reported once):
* The schema owns the shape: the object types, `planType`, the fields each plan type requires
  (its if/then), and the JSON types `queryLimit` and the update flags may have. These rules never
  report a missing field; they run on whatever data the schema let through or rejected.
* These rules own everything whose message needs more than a JSON-Schema keyword can say: network
  UUIDs and duplicates in `idList` (the schema leaves the items alone so a bad item gets exactly
  one message), routes, password type and literal passwords (a schema message would quote the
  value), `${env:…}` syntax, unknown fields and fields of the other plan type, and how numbers and
  booleans are read: `queryLimit` and the flags go through `compiler.coerce` (Jackson 2.5, as
  ndex-sync 2.1 reads plans; docs/formats.md "Coercion"), which decides silent / warning / error.
* A key given twice is the JSON loader's error (IO110); `updateTarget` (the setter's name, which
  ndex-sync honours) is read as `updateTargetNetwork` with a warning, and both at once are an error.

Every value these rules quote goes through `secrets.mask_url` / `mask_text` first (a route's
password and query string never reach a message, even when the value is shortened).

Routes: a route must end in `/v2`; one trailing slash (`…/v2/`) is accepted without a warning,
since the meaning is unambiguous, and `route_base` strips it before URLs are joined.
A value that is a whole `${env:NAME}` reference is known only at run time: its checks are skipped.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

from .. import coerce
from ..copyplan import (
    BOOL_FIELDS,
    ID_FIELDS,
    ID_PLAN,
    PLAN_FIELDS,
    QUERY_FIELDS,
    QUERY_PLAN,
    SERVER_FIELDS,
    UPDATE_TARGET_ALIAS,
    as_bool,
    distinct_uuids,
    is_uuid,
    route_base,
)
from ..diagnostics import JsonPath
from ..document import Code, Document, Findings, define, strings
from ..loaders.jsonfile import string_position
from ..secrets import REFERENCE, is_reference, malformed_references, mask_text, mask_url

ND_NOT_UUID = define(
    "ND401",
    "error",
    "an idList item is not a network UUID",
    "NDEx network ids are UUIDs such as 5bca3218-28ca-11e4-9032-90b11c72aefa",
)
ND_DUPLICATE_ID = define("ND402", "error", "a network id is listed twice in idList", "list each network once")
ND_ROUTE_NOT_V2 = define(
    "ND403",
    "error",
    "a route does not end in /v2",
    "an NDEx v2 route ends in /v2, e.g. https://www.ndexbio.org/v2",
)
ND_ROUTE_NOT_URL = define(
    "ND404",
    "error",
    "a route is not an http(s) URL",
    "write the scheme and host, e.g. https://www.ndexbio.org/v2",
)
ND_COERCED_STRING = define(
    "ND405",
    "warning",
    "a number or boolean in a form only ndex-sync's reader accepts",
    'the NDEx Sync documentation writes true, false, 10, "true", "false" or "10"',
)
ND_LITERAL_PASSWORD = define(
    "ND406",
    "warning",
    "a password is written literally",
    "write ${env:NAME} and set NAME in the environment of the run (--strict fails the check on it)",
)
ND_MALFORMED_REFERENCE = define(
    "ND407",
    "error",
    "a ${env:…} reference is malformed",
    "write ${env:NAME}: NAME is letters, digits and _, not starting with a digit",
)
ND_UNKNOWN_FIELD = define(
    "ND408", "warning", "unknown field", "the original tool ignores unknown fields: fix the name or remove it"
)
ND_OTHER_PLAN_FIELD = define("ND409", "warning", "a field belongs to the other plan type and has no effect")
ND_PASSWORD_TYPE = define(
    "ND410", "error", "a password is not a string", "write a string, preferably a reference: ${env:NAME}"
)
ND_EMPTY_ID_LIST = define("ND411", "warning", "idList is empty", "list the UUIDs of the source networks to copy")
ND_SAME_ACCOUNT = define(
    "ND412",
    "warning",
    "source and target are the same account",
    "copies would land next to their sources, where a query finds them next time: use another target account",
)
ND_READ_ONLY_WITHOUT_UPDATE = define(
    "ND413",
    "warning",
    "updateReadOnlyNetwork has no effect without updateTargetNetwork",
    "set updateTargetNetwork to true as well, or remove updateReadOnlyNetwork",
)

ND_UNREADABLE_VALUE = define(
    "ND414",
    "error",
    "a number or boolean that ndex-sync cannot read",
    'write true or false for a flag, a whole number such as 10 (or "10") for queryLimit',
)
ND_QUERY_LIMIT_RANGE = define(
    "ND415",
    "error",
    "queryLimit is out of range",
    "queryLimit is at least 1 and at most 2147483647 (2^31-1, the largest int ndex-sync reads)",
)
ND_UPDATE_TARGET_ALIAS = define(
    "ND416",
    "warning",
    "updateTarget is read as updateTargetNetwork",
    "rename it to updateTargetNetwork: ndex-sync honours the setter's name updateTarget, the documentation "
    "names updateTargetNetwork",
)
ND_UPDATE_TARGET_TWICE = define(
    "ND417",
    "error",
    "updateTarget and updateTargetNetwork are both given",
    "keep updateTargetNetwork alone: ndex-sync reads both into one setting and the later one wins",
)

_V1_SEGMENTS = ("rest", "ndexbio-rest", "v1")
_PLAN_FIELD_SET = frozenset(PLAN_FIELDS)
_SIDES = ("source", "target")
_ABSENT = object()  # a field not given (None is a value: `"password": null`)
_ENV_OPENING = re.compile(r"\{[eE][nN][vV]")  # `"{env" in text.lower()`, without the copy
_SERVER_FIELD_SET = frozenset(SERVER_FIELDS)
# a name that a malformed reference was probably meant to carry: `$env:X`, `${ENV:X}`, `{env:X}`
_INTENDED_NAME = re.compile(r"(?i)^\$?\{?\s*env\s*[:{(]\s*([A-Za-z_][A-Za-z0-9_]*)\s*[})]?$")


def check(doc: Document, findings: Findings) -> None:
    """Report every rule violation in a copy plan (the schema's findings are not repeated).

    The common case of each rule (a referenced password, a route seen before, a list of distinct
    UUIDs) is decided here without a further call, every field known at the top of `_check_fields`,
    flags and `queryLimit` in a documented form by `coerce`; anything else goes to the rule's
    item-by-item check, in the order the rules report (docs/formats.md, "Checking thousands of
    plans")."""
    data = doc.data
    if not isinstance(data, dict):
        return
    plan_type = data.get("planType")
    other = _other_plan_fields(plan_type)
    _check_fields(data, other, findings)
    for side in _SIDES:
        server = data.get(side)
        if isinstance(server, dict):
            if not server.keys() <= _SERVER_FIELD_SET:
                _check_server_fields(side, server, findings)
            route = server.get("route")
            if isinstance(route, str) and _route_problems(side, route):
                _check_route(side, route, findings)
            password = server.get("password", _ABSENT)
            if password is not _ABSENT and not (type(password) is str and REFERENCE.fullmatch(password)):
                _check_password(side, password, findings)
    if plan_type != QUERY_PLAN:  # in a QueryCopyPlan, idList is ignored (ND409)
        ids = data.get("idList")
        if not (type(ids) is list and ids and distinct_uuids(ids)):
            _check_id_list(ids, findings)
    _check_coercions(data, other, findings)
    _check_same_account(data, findings)
    _check_read_only_flag(data, findings)
    _check_references(doc, data, findings)


def _other_plan_fields(plan_type: Any) -> tuple[str, ...]:
    if plan_type == QUERY_PLAN:
        return ID_FIELDS
    if plan_type == ID_PLAN:
        return QUERY_FIELDS
    return ()  # planType missing or wrong: the schema says so, and every field may be meant


def _check_fields(data: dict[str, Any], other: tuple[str, ...], findings: Findings) -> None:
    names = data.keys()
    if names <= _PLAN_FIELD_SET and names.isdisjoint(other):
        return  # the common case: every field known and of this plan type (nothing the loop reports)
    plan_type = data.get("planType")
    for name in data:
        if name in other:
            fields = ", ".join(QUERY_FIELDS if plan_type == ID_PLAN else ID_FIELDS)
            owner = QUERY_PLAN if plan_type == ID_PLAN else ID_PLAN
            article = "an" if plan_type == ID_PLAN else "a"
            findings.report(
                ND_OTHER_PLAN_FIELD,
                f"{name} has no effect in {article} {plan_type}",
                (name,),
                hint=f"{owner} fields ({fields}) are ignored here: remove it, or change planType",
            )
        elif name not in PLAN_FIELDS:
            hint = None
            if name in SERVER_FIELDS:
                hint = f"{name} belongs inside source and target"
            _report_unknown(name, PLAN_FIELDS, (name,), "", findings, hint)


def _report_unknown(
    name: str, known: tuple[str, ...], at: JsonPath, where: str, findings: Findings, hint: str | None = None
) -> None:
    if hint is None:
        close = _resembles(name, known)
        if close is not None:
            hint = f"did you mean {json.dumps(close)}? (the original tool ignores unknown fields)"
    findings.report(ND_UNKNOWN_FIELD, f"unknown field {_quote(name)}{where}", at, hint=hint)


def _resembles(name: str, known: tuple[str, ...]) -> str | None:
    """The known field `name` was probably meant to be: a close spelling, or a prefix (`user`)."""
    lowered = {k.lower(): k for k in known if not k.startswith("$")}
    low = name.lower()
    match = difflib.get_close_matches(low, list(lowered), n=1, cutoff=0.75)
    if match:
        return lowered[match[0]]
    prefixed = [k for k in lowered if len(low) >= 4 and (k.startswith(low) or low.startswith(k))]
    return lowered[prefixed[0]] if len(prefixed) == 1 else None


def _check_server_fields(side: str, server: dict[str, Any], findings: Findings) -> None:
    for name in server:
        if name not in _SERVER_FIELD_SET:
            _report_unknown(name, SERVER_FIELDS, (side, name), f" in {side}", findings)


def _check_route(side: str, route: str, findings: Findings) -> None:
    at: JsonPath = (side, "route")
    for code, message, hint in _route_problems(side, route):
        findings.report(code, message, at, hint=hint)


@functools.lru_cache(maxsize=1024)
def _route_problems(side: str, route: str) -> tuple[tuple[Code, str, str | None], ...]:
    """What `_check_route` reports for `route` on `side` (pure: thousands of plans share a
    handful of routes)."""
    found = _RouteFindings()
    _route_rules(side, route, found)
    return tuple(found.items)


class _RouteFindings:
    """Collects (code, message, hint) as `Findings.report` would get them, for one route."""

    def __init__(self) -> None:
        self.items: list[tuple[Code, str, str | None]] = []

    def report(self, code: Code, message: str, at: JsonPath, *, hint: str | None = None) -> None:
        self.items.append((code, message, hint))


def _route_rules(side: str, route: str, findings: _RouteFindings) -> None:
    at: JsonPath = (side, "route")
    if is_reference(route):
        return
    has_reference = REFERENCE.search(route) is not None
    parts = _split(route)
    if parts is not None and parts.password and not is_reference(parts.password):
        findings.report(
            ND_LITERAL_PASSWORD,
            f"{side} route {_quote(_masked(route))} carries a password",
            at,
            hint=f"remove user:password@ from the route and set {side}.password to ${{env:NAME}}",
        )
    if not has_reference and (parts is None or parts.scheme not in ("http", "https") or not parts.hostname):
        findings.report(ND_ROUTE_NOT_URL, f"{side} route {_quote(_masked(route))} is not an http(s) URL", at)
        return
    port = _port(parts) if parts is not None and not has_reference else None
    if port is not None:
        findings.report(
            ND_ROUTE_NOT_URL,
            f"{side} route {_quote(_masked(route))} has port {port}: a port is 1-65535",
            at,
            hint="write the server's port, e.g. https://ndex.example.org:8443/v2, or none for the scheme's default",
        )
        return
    if route.endswith("}") or route_base(route).endswith("/v2"):
        return  # ends in a reference: only the run can tell
    findings.report(
        ND_ROUTE_NOT_V2,
        f"{side} route {_quote(_masked(route))} does not end in /v2",
        at,
        hint=None if has_reference or parts is None else _route_hint(parts),
    )


def _split(route: str) -> SplitResult | None:
    try:
        return urlsplit(route)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None


def _port(parts: SplitResult) -> str | None:
    """The route's port as written when it is not a port number 1-65535, else None."""
    written = parts.netloc.rpartition("@")[2]
    if written.startswith("["):  # IPv6: the port follows the bracket
        written = written.partition("]")[2]
    if ":" not in written:
        return None
    text = written.rpartition(":")[2]
    if text == "":
        return None  # `host:` means the default port
    if text.isascii() and text.isdigit() and len(text) <= 5 and 1 <= int(text) <= 65535:
        return None
    return mask_text(text)[:20]


def _masked(route: str) -> str:
    """The route as printed: its password and query string masked (`secrets.mask_url`)."""
    return mask_url(route)


def _route_hint(parts: SplitResult) -> str | None:
    parts = parts._replace(netloc=urlsplit(_masked(parts.geturl())).netloc, query="", fragment="")
    path = parts.path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if last.lower() in _V1_SEGMENTS:
        fixed = parts._replace(path=path[: len(path) - len(last)] + "v2").geturl()
        return f"/{last} is an NDEx v1 route and the v1 API is not supported: use the v2 route, e.g. {fixed}"
    if not path:
        return f"add the API path: {parts._replace(path='/v2').geturl()}"
    return None  # the code's default hint


def _check_password(side: str, password: Any, findings: Findings) -> None:
    # (`check` has passed over the common case, `${env:NAME}`: well formed (ND407), not literal (ND406))
    at: JsonPath = (side, "password")
    if not isinstance(password, str):
        # the type is named, never the value: it may be a secret all the same
        findings.report(ND_PASSWORD_TYPE, f"{side} password is {_json_type(password)}, not a string", at)
        return
    if not password or malformed_references(password):
        return  # no secret at all (anonymous), or ND407 reports it
    if REFERENCE.sub("", password):
        var = f"NDEX_{side.upper()}_PASSWORD"
        findings.report(
            ND_LITERAL_PASSWORD,
            f"{side} password is written literally in the plan",
            at,
            hint=f'write "${{env:{var}}}" and set {var} in the environment of the run (--strict fails the check on it)',
        )


def _check_id_list(ids: Any, findings: Findings) -> None:
    """Each item of `ids` in turn (`check` has passed over a list of distinct UUIDs, `copyplan.distinct_uuids`)."""
    if not isinstance(ids, list):
        return  # the schema reports a missing or non-array idList
    if not ids:
        findings.report(ND_EMPTY_ID_LIST, "idList is empty: this plan copies nothing", ("idList",))
        return
    first_at: dict[str, int] = {}
    for i, item in enumerate(ids):
        at: JsonPath = ("idList", i)
        if not isinstance(item, str):
            findings.report(ND_NOT_UUID, f"{_short(item)} is not a network UUID: ids are strings", at)
            continue
        if not is_reference(item) and not is_uuid(item):
            findings.report(ND_NOT_UUID, f"{_quote(item)} is not a network UUID", at)
            continue
        key = item.lower()  # UUIDs compare case-insensitively
        if key in first_at:
            j = first_at[key]
            findings.report(ND_DUPLICATE_ID, f"network id {_quote(item)} is already listed at idList[{j}]", at)
        else:
            first_at[key] = i


def _check_coercions(data: dict[str, Any], other: tuple[str, ...], findings: Findings) -> None:
    if "queryLimit" in data and "queryLimit" not in other:
        _check_query_limit(data["queryLimit"], findings)
    for name in BOOL_FIELDS:
        if name in data:
            _check_flag(name, data[name], findings)
    if UPDATE_TARGET_ALIAS in data:
        if "updateTargetNetwork" in data:
            findings.report(
                ND_UPDATE_TARGET_TWICE,
                "updateTarget and updateTargetNetwork are both given: they are one setting",
                (UPDATE_TARGET_ALIAS,),
            )
        else:
            findings.report(
                ND_UPDATE_TARGET_ALIAS,
                "updateTarget is read as updateTargetNetwork (ndex-sync's setter name)",
                (UPDATE_TARGET_ALIAS,),
            )


def _written(value: Any) -> str:
    """A value as the plan writes it, for a message (masked, shortened)."""
    return _quote(value) if isinstance(value, str) else _short(value)


def _check_flag(name: str, value: Any, findings: Findings) -> None:
    reading = coerce.jackson_bool(value)
    if reading.silent:
        return
    if reading.value is None:
        findings.report(
            ND_UNREADABLE_VALUE,
            f"{name} {_written(value)} is not a boolean ndex-sync reads: {reading.note}",
            (name,),
            hint='write true or false (or "true", "false")',
        )
        return
    word = "true" if reading.value else "false"
    note = f"; {reading.note}" if reading.note else ""
    message = f"{name} {_written(value)} is read as {word}{note}"
    findings.report(ND_COERCED_STRING, message, (name,), hint=f"write {word}")


def _check_query_limit(value: Any, findings: Findings) -> None:
    reading = coerce.jackson_int(value)
    at: JsonPath = ("queryLimit",)
    if reading.value is None:
        if reading.overflow:
            message = f"queryLimit {_written(value)} is {reading.note} ndex-sync reads"
            findings.report(ND_QUERY_LIMIT_RANGE, message, at)
        else:
            message = f"queryLimit {_written(value)} is not a number ndex-sync reads: {reading.note}"
            findings.report(ND_UNREADABLE_VALUE, message, at, hint='write a whole number such as 10 (or "10")')
        return
    if reading.value < 1:
        findings.report(
            ND_QUERY_LIMIT_RANGE,
            f"queryLimit {_written(value)} is read as {reading.value}: a plan selects at least 1 network",
            at,
            hint="write a queryLimit of 1 or more",
        )
        return
    if not reading.silent:
        note = f"; {reading.note}" if reading.note else ""
        findings.report(
            ND_COERCED_STRING,
            f"queryLimit {_written(value)} is read as {reading.value}{note}",
            at,
            hint=f"write {reading.value}",
        )


def _check_read_only_flag(data: dict[str, Any], findings: Findings) -> None:
    flag = data.get("updateReadOnlyNetwork", False)
    if flag is False or as_bool(flag) is not True:
        return
    name = "updateTargetNetwork" if "updateTargetNetwork" in data else UPDATE_TARGET_ALIAS
    if name in data and as_bool(data[name]) is not False:
        return  # true, or a value reported as unreadable
    default = "" if name in data else " (its default)"
    findings.report(
        ND_READ_ONLY_WITHOUT_UPDATE,
        f"updateReadOnlyNetwork is true but updateTargetNetwork is false{default}: no copy is ever updated",
        ("updateReadOnlyNetwork",),
    )


def _check_same_account(data: dict[str, Any], findings: Findings) -> None:
    source, target = data.get("source"), data.get("target")
    if not (isinstance(source, dict) and isinstance(target, dict)):
        return
    if source.get("username") != target.get("username"):
        return  # the common case, without parsing URLs
    accounts = []
    for server in (source, target):
        route, user = server.get("route"), server.get("username")
        if not (isinstance(route, str) and isinstance(user, str) and user):
            return
        parts = _split(route_base(route))
        if parts is None:
            return
        # scheme and host are case-insensitive; the path and the user name are not
        accounts.append((parts.scheme.lower(), parts.netloc.lower(), parts.path, user))
    if accounts[0] == accounts[1]:
        user, route = target["username"], target["route"]
        findings.report(
            ND_SAME_ACCOUNT,
            f"source and target are both {_quote(user)} on {_masked(route)}",
            ("target", "username"),
        )


def _check_references(doc: Document, data: dict[str, Any], findings: Findings) -> None:
    if _references_all_well_formed(doc.text):
        return  # the common case, decided on the text without walking the data
    for path, value in strings(data):
        if "$" not in value and "{" not in value:
            continue  # the common case: nothing that could start a reference
        bad = malformed_references(value)
        if not bad:
            continue
        if _is_password(path):
            # quoting any part of a password, or pointing inside it, could give the secret away
            findings.report(
                ND_MALFORMED_REFERENCE,
                f"{path[0]} password holds a malformed ${{env:…}} reference (not quoted: it may be secret)",
                path,
            )
            continue
        for offset, fragment in bad:
            where = string_position(doc, path, offset)
            findings.report(
                ND_MALFORMED_REFERENCE,
                f"{_quote(fragment)} is not a well-formed ${{env:NAME}} reference",
                where if where is not None else path,
                json_path=path,
                hint=_reference_hint(fragment),
            )


def _references_all_well_formed(text: str) -> bool:
    """True when nothing in `text` but well-formed references could start one: no `$` and no
    `{env` left once they are removed, and no `\\u` escape that could spell either."""
    if not text or ("\\" in text and "\\u" in text):  # (a one-character search first: far cheaper)
        return False  # no text to go by, or an escape that could spell `$`
    rest = REFERENCE.sub("", text) if "${" in text else text
    return "$" not in rest and _ENV_OPENING.search(rest) is None


def _is_password(path: JsonPath) -> bool:
    return len(path) == 2 and path[0] in ("source", "target") and path[1] == "password"


def _reference_hint(fragment: str) -> str | None:
    m = _INTENDED_NAME.match(fragment)
    if m:
        return f"write ${{env:{m.group(1)}}}"
    if fragment == "${env:}":
        return "name the variable: ${env:NAME}"
    if re.match(r"\$\{env:[0-9]", fragment):
        return "a variable name cannot start with a digit"
    if fragment.startswith("${") and not fragment.endswith("}"):
        return "close the reference with }: ${env:NAME}"
    if ":-" in fragment:
        return "defaults are not supported: set the variable, and write ${env:NAME}"
    return None  # the code's default hint


def _quote(value: str, limit: int = 60) -> str:
    # masked before it is shortened: a cut could leave a password without the `@` that marks it
    s = mask_text(json.dumps(value, ensure_ascii=False))
    return s if len(s) <= limit else s[: limit - 2] + '…"'


def _short(value: Any) -> str:
    return _quote(value) if isinstance(value, str) else mask_text(json.dumps(value))[:40]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"
