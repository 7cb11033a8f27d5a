"""Rules for the workspace manifest, and the rules that span files (profiles, `[[after]]`)."""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from ..diagnostics import JsonPath
from ..document import Code, Document, Findings, define

if TYPE_CHECKING:
    from ..loaded import LoadedWorkspace

WS_MISSING_INPUT = define("WS601", "error", "an input named by the manifest does not exist")
WS_NO_PLANS = define("WS602", "warning", "the copy-plan directory holds no *.json plan")
WS_DUPLICATE_PROFILE = define("WS603", "error", "two profiles share a name")
WS_STATE_DIR = define("WS605", "error", "state_dir is not a usable folder")
WS_NOT_FINITE = define("WS606", "error", "a number is NaN or infinite", "write a finite number")
WS_REGION_BACKWARDS = define("WS607", "error", "the region starts after it ends")
WS_BRIDGE_HOST = define(
    "WS609", "error", "the [bridge] target or jump cannot make a tunnel line",
    "write USER@HOST, HOST or a Jupyter URL; a password never goes before '@' (ssh asks for it)",
)
WS_PLAN_STEM_TWICE = define(
    "WS608", "error", "two copy plans share a file stem (task ids are ndex:<stem>)", "rename one of the files"
)


class InputRef(NamedTuple):
    """An input the manifest names (thousands: one per copy plan)."""

    path: str  # absolute
    kind: str
    at: JsonPath  # where the manifest names it


def _base(doc: Document) -> str:
    return os.path.dirname(doc.fs_path or os.path.abspath(doc.path))


def _table(data: Any, key: str) -> dict[str, Any]:
    v = data.get(key) if isinstance(data, dict) else None
    return v if isinstance(v, dict) else {}


def plan_files(doc: Document, findings: Findings | None = None) -> list[tuple[str, JsonPath]]:
    """The copy-plan files named by `[ndex] plans` (a folder of *.json or a list of files).

    A folder is listed once per manifest document: the IR takes the plans that were loaded."""
    out, problem, _ = _plan_listing(doc)
    if problem is not None and findings is not None:
        findings.report(*problem)
    return list(out)


_PlanListing = tuple[list[tuple[str, JsonPath]], tuple[Code, str, JsonPath] | None, frozenset[str]]


def _plan_listing(doc: Document) -> _PlanListing:
    """The plan files, the problem to report with them, and those of the files a folder listing
    shows to be regular files (absolute and normalized); worked out once per manifest document."""
    listing: _PlanListing | None = doc.cache.get("plan_files")
    if listing is None:
        listing = doc.cache["plan_files"] = _list_plans(doc)
    return listing


def _list_plans(doc: Document) -> _PlanListing:
    base = _base(doc)
    plans = _table(doc.data, "ndex").get("plans")
    out: list[tuple[str, JsonPath]] = []
    problem: tuple[Code, str, JsonPath] | None = None
    regular: frozenset[str] = frozenset()
    if isinstance(plans, str):
        folder = os.path.normpath(os.path.join(base, plans))
        if os.path.isdir(folder):
            with os.scandir(folder) as entries:  # the entries' types come with the listing
                found = {e.name: e for e in entries if e.name.endswith(".json")}
            names = sorted(found)
            if not names:
                problem = (WS_NO_PLANS, f"no *.json copy plan in {plans}", ("ndex", "plans"))
            out = [(os.path.join(folder, f), ("ndex", "plans")) for f in names]
            regular = frozenset(os.path.join(folder, f) for f in names if _is_regular(found[f]))
        elif os.path.isfile(folder):
            out = [(folder, ("ndex", "plans"))]
        else:
            problem = (WS_MISSING_INPUT, f"copy-plan folder {plans} does not exist", ("ndex", "plans"))
    elif isinstance(plans, list):
        out = [(os.path.join(base, p), ("ndex", "plans", i)) for i, p in enumerate(plans) if isinstance(p, str)]
    return out, problem, regular


def _is_regular(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()  # follows a symlink, as os.path.isfile does
    except OSError:
        return False


def referenced_inputs(doc: Document, findings: Findings) -> Iterator[InputRef]:
    """Each input file the manifest names, in manifest order; missing ones are reported."""
    data = doc.data if isinstance(doc.data, dict) else {}
    base = _base(doc)
    candidates: list[tuple[str, str, JsonPath]] = []
    cfg = _table(data, "zmap").get("config")
    if isinstance(cfg, str):
        candidates.append((os.path.join(base, cfg), "zmap", ("zmap", "config")))
    candidates.extend((p, "copy-plan", at) for p, at in plan_files(doc, findings))
    regular = _plan_listing(doc)[2]
    profiles = data.get("profiles")
    if isinstance(profiles, list):
        for i, prof in enumerate(profiles):
            if isinstance(prof, dict) and isinstance(prof.get("template"), str):
                candidates.append((os.path.join(base, prof["template"]), "externals", ("profiles", i, "template")))
    for path, kind, at in candidates:
        if path in regular:
            yield InputRef(path, kind, at)
        elif os.path.isfile(path):
            yield InputRef(os.path.abspath(path), kind, at)
        elif os.path.exists(path):  # a FIFO, device or folder: never opened (a FIFO would block)
            findings.report(WS_MISSING_INPUT, f"{kind} input {os.path.relpath(path, base)} is not a regular file", at)
        else:
            findings.report(WS_MISSING_INPUT, f"{kind} input {os.path.relpath(path, base)} does not exist", at)


def check(doc: Document, findings: Findings) -> None:
    """Manifest-only rules (run as part of its own file check)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    profiles = data.get("profiles")
    if isinstance(profiles, list):
        seen: set[str] = set()
        for i, prof in enumerate(profiles):
            name = prof.get("name") if isinstance(prof, dict) else None
            if isinstance(name, str):
                if name in seen:
                    findings.report(WS_DUPLICATE_PROFILE, f"profile {name!r} is defined twice", ("profiles", i, "name"))
                seen.add(name)
    state = _table(data, "workspace").get("state_dir")
    if isinstance(state, str):
        full = os.path.join(_base(doc), state)
        if os.path.exists(full) and not os.path.isdir(full):
            findings.report(WS_STATE_DIR, f"state_dir {state} exists and is not a folder", ("workspace", "state_dir"))
    check_finite_numbers(doc, findings)
    check_region(doc, findings)
    check_plan_stems(doc, findings)
    check_bridge(doc, findings)


def check_bridge(doc: Document, findings: Findings) -> None:
    """The `[bridge]` target and jump as `ferryman tunnel` reads them (compiler.tunnel): what it
    refuses, validate refuses too, at the key (the run would otherwise fail its bridge check with
    no line to start)."""
    from ferryman.errors import UsageError

    from ..tunnel import tunnel_command

    bridge = _table(doc.data, "bridge")
    target, jump = bridge.get("target"), bridge.get("jump")
    if not isinstance(target, str) and not isinstance(jump, str):
        return
    # the user is a run's business ($USER there): any valid name stands in for it here
    for key, value in (("jump", jump), ("target", target)):
        if not isinstance(value, str):
            continue
        try:
            if key == "jump":
                tunnel_command("host.invalid", jump=value, environ={"USER": "user"})
            else:
                tunnel_command(value, environ={"USER": "user"})
        except UsageError as exc:
            findings.report(WS_BRIDGE_HOST, f"{key}: {exc.message.removeprefix('--jump: ')}", ("bridge", key))

def check_finite_numbers(doc: Document, findings: Findings) -> None:
    """TOML allows `nan` and `inf`; no number of the manifest means anything as either (a timeout
    of NaN never expires, and compares false with every bound the schema sets), so every one is
    refused where it is written (docs/run.md, "Limits")."""

    def walk(value: Any, at: JsonPath) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            findings.report(WS_NOT_FINITE, f"{'.'.join(map(str, at))} is {value}", at)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*at, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*at, i))

    walk(doc.data, ())


def check_region(doc: Document, findings: Findings) -> None:
    """`[zmap] region`: start <= end (ZMap's zmap_start/zmap_end; a pipe script given a backwards
    region returns nothing or fails)."""
    region = _table(doc.data, "zmap").get("region")
    if not isinstance(region, dict):
        return
    start, end = region.get("start"), region.get("end")
    if isinstance(start, int) and isinstance(end, int) and start > end:
        at: JsonPath = ("zmap", "region", "start")
        findings.report(WS_REGION_BACKWARDS, f"region start {start} is after its end {end}", at)


def check_plan_stems(doc: Document, findings: Findings) -> None:
    """Each copy plan becomes the task `ndex:<file stem>`: two plans with one stem (a list naming
    `a/nets.json` and `b/nets.json`) would make one task and silently drop the other."""
    seen: dict[str, str] = {}  # stem -> the first plan's path
    base = _base(doc)
    for path, at in plan_files(doc):
        stem = os.path.splitext(os.path.basename(path))[0]
        first = seen.setdefault(stem, path)
        if first is not path and os.path.normpath(first) != os.path.normpath(path):
            shown, earlier = os.path.relpath(path, base), os.path.relpath(first, base)
            findings.report(WS_PLAN_STEM_TWICE, f"copy plans {earlier} and {shown} share the stem {stem!r}", at)


def check_cross_file(doc: Document, ws: LoadedWorkspace, findings: Findings) -> None:
    """Rules that need the manifest and the files it names together."""
    from . import idtrack

    data = doc.data if isinstance(doc.data, dict) else {}
    profiles = data.get("profiles")
    if isinstance(profiles, list):
        for i, prof in enumerate(profiles):
            if not isinstance(prof, dict) or not isinstance(prof.get("template"), str):
                continue
            template = os.path.abspath(os.path.join(_base(doc), prof["template"]))
            checked = ws.files.get(template)
            if checked is not None and checked.doc is not None:
                idtrack.check_profile(prof, ("profiles", i), checked.doc, findings)
    check_profile_outputs(doc, ws, findings)


def check_profile_outputs(doc: Document, ws: LoadedWorkspace, findings: Findings) -> None:
    """A profile's `output` may never be an input of the workspace (the manifest, a template, the
    ZMap config, a copy plan, a stylesfile, a pipe script, or a new *.json in the plans folder), nor anything
    but a regular file: a run would overwrite the input, or block on a FIFO (docs/formats.md,
    "Profile outputs"). Two profiles may not share an output either. Reported as ID514 / ID515 /
    ID516 at the profile's `output` in the manifest."""
    from ..zmapconfig import sources, stylesfile
    from .idtrack import ID_OUTPUT_IS_INPUT, ID_OUTPUT_NOT_FILE, ID_OUTPUT_TWICE

    same_file = _SameFile()
    profiles = doc.data.get("profiles") if isinstance(doc.data, dict) else None
    if not isinstance(profiles, list):
        return
    base = _base(doc)
    roles = {"manifest": "the manifest", "zmap": "the ZMap config", "copy-plan": "a copy plan"}
    # (absolute path, what it is to the workspace), one entry per path with the first role it is
    # given (the first input a path matches is the same): dict order is the order of first mention
    first_role: dict[str, str] = {}
    for path, checked in ws.files.items():
        kind = checked.dialect.name if checked.dialect is not None else ""
        first_role.setdefault(path, roles.get(kind, "a profile's template"))
        if kind != "zmap" or checked.doc is None:
            continue
        folder = os.path.dirname(path)
        shared = stylesfile(checked.doc.data)  # [ZMap]'s: each source's unless it names its own
        if shared is not None:
            first_role.setdefault(os.path.join(folder, shared[0]), "a stylesfile of the ZMap config")
        # the stylesfiles and pipe scripts of the sources ZMap loads (a url naming no script is
        # reported by the ZMap rules)
        named: dict[str, None] = {}  # stylesfiles as written, each once (10,000 sources share a few)
        for source in sources(checked.doc):
            if source.stylesfile is not None and source.stylesfile[0] not in named:
                named[source.stylesfile[0]] = None
                first_role.setdefault(os.path.join(folder, source.stylesfile[0]), "a stylesfile of the ZMap config")
            if source.script is not None and source.script not in first_role:
                first_role[source.script] = f"the pipe script of source {source.name!r}"
    inputs = list(first_role.items())
    # the inputs that were read are there: a path where nothing is yet cannot be one of them (the
    # common case, a profile never run, then costs no look at 2,000 copy plans)
    read = {path for path, checked in ws.files.items() if checked.doc is not None}
    maybe_absent = [(p, what) for p, what in inputs if p not in read]
    plans = _table(doc.data, "ndex").get("plans")
    written: list[tuple[str, str]] = []  # (absolute output, profile name) of the profiles before
    for i, prof in enumerate(profiles):
        output = prof.get("output") if isinstance(prof, dict) else None
        if not isinstance(output, str):
            continue
        at: JsonPath = ("profiles", i, "output")
        full = os.path.join(base, output)
        if not output.strip():
            findings.report(ID_OUTPUT_NOT_FILE, "output is empty", at)
            continue
        earlier = next((name for p, name in written if same_file(full, p)), None)
        written.append((full, str(prof.get("name"))))
        if earlier is not None:
            findings.report(ID_OUTPUT_TWICE, f"output {output} is also the output of profile {earlier!r}", at)
            continue
        # nothing at a normalized path: no input that was read is there (a path with `..` or a
        # trailing `/` may still resolve onto one, so it is compared with every input)
        absent = os.path.normpath(full) == full and same_file.stat(full) is None
        role = same_file.first(full, maybe_absent if absent else inputs)
        if role is None and isinstance(plans, str) and output.endswith(".json") and same_file(
            os.path.dirname(full), os.path.join(base, plans)
        ):
            role = "a copy plan (a *.json file in the plans folder)"
        own = prof.get("template")
        if role == "a profile's template" and isinstance(own, str) and same_file(full, os.path.join(base, own)):
            role = "the profile's own template"
        if role is not None:
            message = f"output {output} is {role}, an input of the workspace: a run would overwrite it"
            findings.report(ID_OUTPUT_IS_INPUT, message, at)
        elif os.path.exists(full) and not os.path.isfile(full):
            what = "a folder" if os.path.isdir(full) else "not a regular file"
            findings.report(ID_OUTPUT_NOT_FILE, f"output {output} is {what}", at)



class _SameFile:
    """`same_file(a, b)`: one resolved path (`os.path.realpath`), or one inode (`os.path.samefile`);
    False when either raises OSError. Each path is resolved and stat'ed once, and the folders of
    many inputs (2,000 copy plans in one folder) are resolved once for all of them."""

    def __init__(self) -> None:
        self._real: dict[str, str | None] = {}  # None: realpath raised OSError
        self._stat: dict[str, os.stat_result | None] = {}  # None: stat raised OSError

    def realpath(self, path: str) -> str | None:
        try:
            return self._real[path]
        except KeyError:
            pass
        real: str | None
        try:
            real = self._resolve(path)
        except OSError:
            real = None
        self._real[path] = real
        return real

    def _resolve(self, path: str) -> str:
        # realpath(folder/name) is realpath(folder)/name when name is a plain name that is not a
        # symlink there (posixpath._joinrealpath takes the components one by one, in this order)
        head, tail = os.path.split(path)
        if not tail or tail in (".", "..") or not os.path.isabs(path) or os.path.normpath(path) != path:
            return os.path.realpath(path)
        real_head = self.realpath(head)
        if real_head is None:
            return os.path.realpath(path)
        joined = os.path.join(real_head, tail)
        try:
            is_link = stat.S_ISLNK(os.lstat(joined).st_mode)
        except OSError:
            is_link = False
        return os.path.realpath(path) if is_link else joined

    def stat(self, path: str) -> os.stat_result | None:
        try:
            return self._stat[path]
        except KeyError:
            pass
        st: os.stat_result | None
        try:
            st = os.stat(path)
        except OSError:
            st = None
        self._stat[path] = st
        return st

    def __call__(self, a: str, b: str) -> bool:
        real_a, real_b = self.realpath(a), self.realpath(b)
        if real_a is None or real_b is None:
            return False
        if real_a == real_b:
            return True
        st_a = self.stat(a)
        if st_a is None:
            return False
        st_b = self.stat(b)
        return st_b is not None and os.path.samestat(st_a, st_b)

    def first(self, path: str, candidates: list[tuple[str, str]]) -> str | None:
        """The second item of the first candidate that is the same file as `path`, or None."""
        return next((what for p, what in candidates if self(path, p)), None)
