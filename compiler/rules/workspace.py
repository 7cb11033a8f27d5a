"""Rules for the workspace manifest, and the rules that span files (profiles, `[[after]]`)."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..diagnostics import JsonPath
from ..document import Document, Findings, define

if TYPE_CHECKING:
    from ..loaded import LoadedWorkspace

WS_MISSING_INPUT = define("WS601", "error", "an input named by the manifest does not exist")
WS_NO_PLANS = define("WS602", "warning", "the copy-plan directory holds no *.json plan")
WS_DUPLICATE_PROFILE = define("WS603", "error", "two profiles share a name")
WS_STATE_DIR = define("WS605", "error", "state_dir is not a usable folder")
WS_NOT_FINITE = define("WS606", "error", "a number is NaN or infinite", "write a finite number")
WS_REGION_BACKWARDS = define("WS607", "error", "the region starts after it ends")
WS_PLAN_STEM_TWICE = define(
    "WS608", "error", "two copy plans share a file stem (task ids are ndex:<stem>)", "rename one of the files"
)


@dataclasses.dataclass(frozen=True)
class InputRef:
    path: str  # absolute
    kind: str
    at: JsonPath  # where the manifest names it


def _base(doc: Document) -> str:
    return os.path.dirname(doc.fs_path or os.path.abspath(doc.path))


def _table(data: Any, key: str) -> dict[str, Any]:
    v = data.get(key) if isinstance(data, dict) else None
    return v if isinstance(v, dict) else {}


def plan_files(doc: Document, findings: Findings | None = None) -> list[tuple[str, JsonPath]]:
    """The copy-plan files named by `[ndex] plans` (a folder of *.json or a list of files)."""
    base = _base(doc)
    plans = _table(doc.data, "ndex").get("plans")
    out: list[tuple[str, JsonPath]] = []
    if isinstance(plans, str):
        folder = os.path.join(base, plans)
        if os.path.isdir(folder):
            names = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
            if not names and findings:
                findings.report(WS_NO_PLANS, f"no *.json copy plan in {plans}", ("ndex", "plans"))
            out = [(os.path.join(folder, f), ("ndex", "plans")) for f in names]
        elif os.path.isfile(folder):
            out = [(folder, ("ndex", "plans"))]
        elif findings:
            findings.report(WS_MISSING_INPUT, f"copy-plan folder {plans} does not exist", ("ndex", "plans"))
    elif isinstance(plans, list):
        out = [(os.path.join(base, p), ("ndex", "plans", i)) for i, p in enumerate(plans) if isinstance(p, str)]
    return out


def referenced_inputs(doc: Document, findings: Findings) -> Iterator[InputRef]:
    """Each input file the manifest names, in manifest order; missing ones are reported."""
    data = doc.data if isinstance(doc.data, dict) else {}
    base = _base(doc)
    candidates: list[tuple[str, str, JsonPath]] = []
    cfg = _table(data, "zmap").get("config")
    if isinstance(cfg, str):
        candidates.append((os.path.join(base, cfg), "zmap", ("zmap", "config")))
    candidates.extend((p, "copy-plan", at) for p, at in plan_files(doc, findings))
    profiles = data.get("profiles")
    if isinstance(profiles, list):
        for i, prof in enumerate(profiles):
            if isinstance(prof, dict) and isinstance(prof.get("template"), str):
                candidates.append((os.path.join(base, prof["template"]), "externals", ("profiles", i, "template")))
    for path, kind, at in candidates:
        if os.path.isfile(path):
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
    seen: dict[str, str] = {}
    base = _base(doc)
    for path, at in plan_files(doc):
        stem = os.path.splitext(os.path.basename(path))[0]
        shown = os.path.relpath(path, base)
        if stem in seen and os.path.normpath(seen[stem]) != os.path.normpath(shown):
            findings.report(WS_PLAN_STEM_TWICE, f"copy plans {seen[stem]} and {shown} share the stem {stem!r}", at)
        seen.setdefault(stem, shown)


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
