"""The typed intermediate representation: frozen records built only from validated input.

`build(loaded)` is the one way in; it refuses a workspace that has errors. Nothing here touches
the network or runs a script.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ferryman.errors import InputError

from . import copyplan, zmapconfig  # copyplan: one reading of copy-plan values, for rules and IR
from .document import Document
from .loaded import LoadedWorkspace
from .paths import below
from .pipeurl import PipeUrl
from .profiles import Flip  # one record for an Include flip: the profile functions build it
from .secrets import is_reference
from .zmapconfig import ZMapSource as Source  # one record for a source: the ZMap config reader builds it

# IR records are named tuples: immutable, and cheap to define and to make (thousands of copy
# plans; docs/architecture.md, "Speed"). `After` stays a dataclass: its `index` field would hide
# tuple.index; `InputFile` hashes lazily.
__all__ = [
    "After",
    "Bridge",
    "CopyPlan",
    "Endpoint",
    "Flip",
    "InputFile",
    "PipeUrl",
    "Profile",
    "Region",
    "ServerGroup",
    "Source",
    "Workspace",
    "ZMapConfig",
    "build",
]


class Region(NamedTuple):
    sequence: str | None
    start: int
    end: int


class ServerGroup(NamedTuple):
    """A ZMap `[Server-groups]` entry: source names never active at once (or at most the group's
    capacity of them, from `[groups]`)."""

    name: str
    members: tuple[str, ...]


class ZMapConfig(NamedTuple):
    path: str
    script_dir: str
    sources: tuple[Source, ...]  # in `sources` (display) order
    groups: tuple[ServerGroup, ...]


class Endpoint(NamedTuple):
    route: str
    username: str
    password: str  # a `${env:NAME}` reference, or an `${input:…}` pointer to a literal: never a value

    @property
    def host(self) -> str:
        """`host` or `host:port` of the route, lower case, never its userinfo ("" when unparsable)."""
        return _route_host(self.route)


@functools.lru_cache(maxsize=4096)
def _route_host(route: str) -> str:
    """`Endpoint.host` of `route` (thousands of plans name a handful of servers)."""
    try:
        parts = urlsplit(route)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    return f"{host}:{port}" if host and port is not None else host


class CopyPlan(NamedTuple):
    """One NDEx copy plan file (NDEx Sync 2.0 format), with coerced types."""

    name: str  # file stem: the task is ndex:<name>
    path: str
    plan_type: str
    source: Endpoint
    target: Endpoint
    query_string: str | None
    query_limit: int | None
    query_account: str | None
    id_list: tuple[str, ...]
    update_target: bool
    update_read_only: bool


class Profile(NamedTuple):
    name: str
    organism: str
    template: str
    output: str
    release: int
    allow: tuple[str, ...]  # plain names, or "form/db/assembly" for a structured allowlist
    flips: tuple[Flip, ...]


class Bridge(NamedTuple):
    socks_port: int
    jump: str | None
    target: str | None
    wait_s: float


@dataclasses.dataclass(frozen=True)
class After:
    """One `[[after]]` entry: `task` waits for `needs`; `index` is its place in the manifest."""

    task: str
    needs: tuple[str, ...]
    index: int = 0


class InputFile:
    """An input of the workspace: its path (relative to the root, with / separators) and the
    sha256 a plan records for it.

    The IR gives the hash as a function of no arguments, called on the first read of `sha256`:
    the task graph never reads it, so `ferryman validate` hashes nothing (docs/architecture.md,
    "Speed"). A plan read back from JSON gives the hash itself."""

    __slots__ = ("_sha256", "path")

    def __init__(self, path: str, sha256: str | Callable[[], str]) -> None:
        self.path = path
        self._sha256 = sha256

    @property
    def sha256(self) -> str:
        digest = self._sha256
        if not isinstance(digest, str):
            digest = self._sha256 = digest()
        return digest

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputFile) and (self.path, self.sha256) == (other.path, other.sha256)

    def __hash__(self) -> int:
        return hash((self.path, self.sha256))

    def __repr__(self) -> str:
        return f"InputFile({self.path!r}, {self.sha256!r})"


class Workspace(NamedTuple):
    name: str
    root: str
    manifest: str
    state_dir: str
    max_parallel: int
    per_host_limit: int
    region: Region | None
    timeout_s: float
    zmap: ZMapConfig | None
    copy_plans: tuple[CopyPlan, ...]
    profiles: tuple[Profile, ...]
    bridge: Bridge | None
    after: tuple[After, ...]
    group_capacity: tuple[tuple[str, int], ...]  # [groups]: name -> capacity (default 1)
    host_capacity: tuple[tuple[str, int], ...]  # [hosts]: name -> capacity (default per_host_limit)
    inputs: tuple[InputFile, ...]


def sha256_listing(folder: str, suffix: str = ".json") -> str:
    """The sha256 of a folder's listing: the sorted names ending in `suffix`, one per line. A plan
    records it for a copy-plan folder, so a plan file added or removed makes the plan stale."""
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(suffix))
    except OSError:
        names = []
    import hashlib  # not imported by validation, which hashes nothing

    return hashlib.sha256("".join(n + "\n" for n in names).encode()).hexdigest()


def sha256_input(path: str) -> str:
    """The hash a plan records for an input: of its bytes, or of its listing for a folder
    (a path ending in `/`). Raises OSError when a file cannot be read."""
    return sha256_listing(path) if path.endswith("/") else sha256_file(path)


def sha256_file(path: str) -> str:
    import hashlib  # not imported by validation, which hashes nothing

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _rel(root: str, path: str) -> str:
    return (below(path, root) or os.path.relpath(path, root)).replace(os.sep, "/")


def _table(data: Any, key: str) -> dict[str, Any]:
    v = data.get(key) if isinstance(data, dict) else None
    return v if isinstance(v, dict) else {}


def _password(value: Any, plan_rel: str, pointer: str) -> str:
    if isinstance(value, str) and (is_reference(value) or value == ""):
        return value
    # a literal: the plan points at it; the runtime reads it from the (hash-checked) input
    return "${input:" + plan_rel + "#" + pointer + "}"


def _zmap(path: str, doc: Document) -> ZMapConfig:
    groups = tuple(
        ServerGroup(name, tuple(dict.fromkeys(members)))
        for name, members in sorted(zmapconfig.server_groups(doc.data).items())
    )
    return ZMapConfig(path, zmapconfig.script_dir(doc.data, os.path.dirname(path)), zmapconfig.sources(doc), groups)


def _endpoint(data: dict[str, Any], side: str, plan_rel: str) -> Endpoint:
    e = _table(data, side)
    return Endpoint(
        str(e.get("route", "")).rstrip("/"),
        str(e.get("username", "")),
        _password(e.get("password", ""), plan_rel, f"/{side}/password"),
    )


def _copy_plan(root: str, path: str, data: dict[str, Any]) -> CopyPlan:
    rel = _rel(root, path)
    ids = data.get("idList")
    return CopyPlan(
        name=os.path.splitext(os.path.basename(path))[0],
        path=rel,
        plan_type=str(data.get("planType")),
        source=_endpoint(data, "source", rel),
        target=_endpoint(data, "target", rel),
        query_string=str(data["queryString"]) if "queryString" in data else None,
        query_limit=copyplan.query_limit(data),
        query_account=str(data["queryAccountName"]) if data.get("queryAccountName") else None,
        id_list=tuple([str(i).lower() for i in ids]) if isinstance(ids, list) else (),
        update_target=copyplan.update_target(data),
        update_read_only=copyplan.update_read_only(data),
    )


def _profile(root: str, prof: dict[str, Any], template_data: Any) -> Profile:
    from . import profiles

    allow = prof.get("allow")
    if isinstance(allow, dict):
        names = tuple(f"{form}/{db}/{asm}" for form, dbs in allow.items() for db, asms in dbs.items() for asm in asms)
    else:
        names = tuple(str(a) for a in allow or [])
    flips = profiles.flips(template_data, allow or [], int(prof["release"]), organism=str(prof["organism"]))
    return Profile(
        name=str(prof["name"]),
        organism=str(prof["organism"]),
        template=_rel(root, os.path.join(root, prof["template"])),
        output=_rel(root, os.path.join(root, prof["output"])),
        release=int(prof["release"]),
        allow=names,
        flips=tuple(flips),
    )


def build(loaded: LoadedWorkspace) -> Workspace:
    """The IR of a loaded workspace. Refuses one with errors (InputError): the IR is built from
    valid input only, after the schema defaults were applied (compiler.defaults)."""
    errors = [d for d in loaded.diagnostics if d.is_error]
    if errors or loaded.manifest is None:
        first = errors[0] if errors else None
        where = f" (first: {first.path}:{first.line}:{first.col}: {first.message})" if first else ""
        raise InputError(
            f"the workspace has {len(errors)} error{'s' if len(errors) != 1 else ''}{where}",
            hint="run 'ferryman validate' to see them all",
        )
    root = loaded.root
    data: dict[str, Any] = loaded.manifest.data
    ws = _table(data, "workspace")
    zm = _table(data, "zmap")
    region = None
    if isinstance(zm.get("region"), dict):
        r = zm["region"]
        region = Region(r.get("sequence"), int(r["start"]), int(r["end"]))
    zmap = None
    if isinstance(zm.get("config"), str):
        path = os.path.abspath(os.path.join(root, zm["config"]))
        checked = loaded.files[path]
        assert checked.doc is not None  # the IR is built from valid input only
        zmap = _zmap(path, checked.doc)
    from .rules.workspace import plan_files

    assert loaded.manifest is not None
    plans = tuple(_copy_plan(root, p, loaded.data(os.path.abspath(p))) for p, _ in plan_files(loaded.manifest))
    profs = tuple(
        _profile(root, p, loaded.data(os.path.abspath(os.path.join(root, p["template"]))))
        for p in data.get("profiles", []) or []
    )
    b = data.get("bridge")
    # defaults were filled in from the schema when the manifest was loaded (compiler.defaults)
    bridge = Bridge(int(b["socks_port"]), b.get("jump"), b.get("target"), float(b["wait_s"])) if b else None
    after = tuple(
        After(str(a["task"]), tuple(str(n) for n in a["needs"]), i) for i, a in enumerate(data.get("after", []))
    )
    files = _input_files(loaded, zmap)
    listed = [InputFile(_rel(root, f) + "/", functools.partial(sha256_listing, f)) for f in _plan_folders(loaded)]
    inputs = tuple(
        sorted([*(InputFile(_rel(root, p), _hash_of(loaded, p)) for p in files), *listed], key=lambda i: i.path)
    )
    return Workspace(
        name=str(ws.get("name")),
        root=root,
        manifest=_rel(root, loaded.manifest_path),
        state_dir=str(ws["state_dir"]),
        max_parallel=int(ws["max_parallel"]),
        per_host_limit=int(ws["per_host_limit"]),
        region=region,
        timeout_s=float(zm.get("timeout_s", 0)),  # only read when [zmap] (and so its default) is there
        zmap=zmap,
        copy_plans=plans,
        profiles=profs,
        bridge=bridge,
        after=after,
        group_capacity=tuple(sorted((str(k), int(v)) for k, v in _table(data, "groups").items())),
        host_capacity=tuple(sorted((str(k), int(v)) for k, v in _table(data, "hosts").items())),
        inputs=inputs,
    )


def _hash_of(loaded: LoadedWorkspace, path: str) -> Callable[[], str]:
    """How to hash input `path`: the bytes that were read for checking (the bytes the plan is
    built from), else the file as it is (a stylesfile)."""
    checked = loaded.files.get(path)
    doc = checked.doc if checked is not None else None
    if doc is not None and doc.read_from is not None:
        return functools.partial(getattr, doc, "sha256")
    return functools.partial(sha256_file, path)


def _plan_folders(loaded: LoadedWorkspace) -> list[str]:
    """The copy-plan folder `[ndex] plans` names, when it names a folder."""
    assert loaded.manifest is not None
    plans = _table(loaded.manifest.data, "ndex").get("plans")
    if isinstance(plans, str):
        folder = os.path.join(loaded.root, plans)
        if os.path.isdir(folder):
            return [os.path.normpath(folder)]
    return []


def _input_files(loaded: LoadedWorkspace, zmap: ZMapConfig | None) -> list[str]:
    """The manifest, the files it names, and the stylesfiles the ZMap config names."""
    files = dict.fromkeys(loaded.files)
    if zmap is not None:
        shared = zmapconfig.stylesfile(loaded.data(zmap.path))
        named = {s.stylesfile[0] for s in zmap.sources if s.stylesfile is not None}
        if shared is not None:
            named.add(shared[0])
        for entry in sorted(named):
            path = os.path.normpath(os.path.join(os.path.dirname(zmap.path), entry))
            if os.path.isfile(path):
                files.setdefault(path)
    return list(files)
