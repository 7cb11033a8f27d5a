"""The input dialects ferryman knows (manifest, ZMap config, styles, copy plan, externals): how to
recognize, load, schema-check and rule-check each."""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
from collections.abc import Callable
from typing import Any

from .document import Document, Findings
from .loaders import LoadResult


@dataclasses.dataclass(frozen=True)
class Dialect:
    name: str
    description: str
    schema: str | None
    load: Callable[[str, str, str, str | None], LoadResult]  # (text, display path, dialect name, fs path)
    check: Callable[[Document, Findings], None]  # the dialect's semantic rules
    sniff: Callable[[str, str], bool]  # (path, text) -> is it an attempt at this kind?


def _module(name: str) -> Any:
    """The module `compiler.<name>`, imported on first use (the rules and loaders of a dialect
    that is never read are never imported); looked up once, not once per file."""
    mod = _MODULES.get(name)
    if mod is None:
        mod = _MODULES[name] = importlib.import_module(f"{__package__}.{name}")
    return mod


_MODULES: dict[str, Any] = {}


class _Imported:
    """`compiler.<module>.<name>`, imported on its first call and then called directly (the rules
    and loaders of a dialect that is never read are never imported; no module lookup per file)."""

    __slots__ = ("function", "module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        self.function: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        function = self.function
        if function is None:
            function = self.function = getattr(_module(self.module), self.name)
        return function(*args)


def _rules(module: str) -> Callable[[Document, Findings], None]:
    return _Imported(f"rules.{module}", "check")


def _loader(module: str) -> Callable[[str, str, str, str | None], LoadResult]:
    return _Imported(f"loaders.{module}", "load_text")


# Sniffers: (path, text) -> is this file an attempt at that kind? They err towards claiming a file,
# since a claimed file that is broken gets a located error while an unclaimed one is skipped in
# silence under --skip-unknown (docs/formats.md, "How a file's kind is found"). Each looks past a
# byte-order mark, blanks and comments, and knows its dialect's other spellings (flow-style YAML,
# quoted keys, TOML's `[ workspace ]`).

_BOM = "\ufeff"


def _head(text: str) -> str:
    return text.lstrip(_BOM + " \t\r\n")


def _looks_like_manifest(path: str, text: str) -> bool:
    name = os.path.basename(path)
    if name == "ferryman.toml" or re.search(r"(?m)^[ \t]*\[[ \t]*workspace[ \t]*\][ \t]*(?:#.*)?$", text):
        return True
    # another name for a manifest: a TOML file with the manifest's own tables
    return name.lower().endswith(".toml") and bool(
        re.search(r"(?m)^[ \t]*\[\[?[ \t]*(?:workspace|zmap|ndex|profiles|bridge)[ \t]*\]", text)
    )


def _looks_like_zmap(path: str, text: str) -> bool:
    # GLib group names are case-sensitive: ZMap reads only [ZMap]; ZMap's own file name is ZMap
    return os.path.basename(path) in ("ZMap", "zmap") or bool(re.search(r"(?m)^[ \t]*\[ZMap\][ \t]*\r?$", text))


def _looks_like_styles(path: str, text: str) -> bool:
    # a styles file: GKeyFile groups, no [ZMap] stanza, no TOML tables, style keys such as mode=
    return (
        not _looks_like_zmap(path, text)
        and bool(re.search(r"(?m)^\s*\[[^\]]+\]\s*$", text))
        and bool(re.search(r"(?m)^\s*(mode|colours|width|bump-mode|parent-style)\s*=", text))
    )


_PLANS_FOLDER = re.compile(r"(?i)plan")


def _looks_like_copy_plan(path: str, text: str) -> bool:
    name = os.path.basename(path).lower()
    if '"format_version"' in text and '"tasks"' in text:
        return False  # a plan saved by `ferryman plan --out` (schemas/plan.schema.json), not a copy plan
    if name.endswith(".json"):
        # any JSON file that names planType, or any JSON file in a folder of plans, is a plan attempt
        if "planType" in text:
            return True
        return bool(_PLANS_FOLDER.search(os.path.basename(os.path.dirname(os.path.abspath(path)))))
    # another name: text that starts as JSON does (or with a comment, which JSON does not allow:
    # a malformed plan is still a plan) and names planType
    return _head(text).startswith(("{", "[", "//", "/*")) and "planType" in text


_FORM_KEY = re.compile(r"""(?i)(?:^|[\s{,])["']?(?:gene|transcript|translation)["']?[ \t]*:""", re.M)


def _looks_like_externals(path: str, text: str) -> bool:
    name = os.path.basename(path).lower()
    if "externals" in name and name.endswith((".yml", ".yaml")):
        return True
    # a form key at any indentation, in flow style or quoted, in any case (`Gene` is an error the
    # rules name, not a reason to skip the file), and an Assembly key somewhere
    # an Assembly key somewhere; a JSON Schema of the format names the same keys: not a data file
    return (
        _FORM_KEY.search(text) is not None
        and re.search(r"(?i)assembly", text) is not None
        and '"$schema"' not in text
    )


DIALECTS: dict[str, Dialect] = {
    k.name: k
    for k in (
        Dialect(
            "manifest",
            "ferryman.toml workspace manifest",
            "workspace",
            _loader("tomlfile"),
            _rules("workspace"),
            _looks_like_manifest,
        ),
        Dialect("zmap", "ZMap config (GKeyFile)", "zmap", _loader("gkeyfile"), _rules("zmap"), _looks_like_zmap),
        Dialect(
            "styles",
            "ZMap styles file (GKeyFile)",
            None,
            _loader("gkeyfile"),
            _rules("styles"),
            _looks_like_styles,
        ),
        Dialect(
            "copy-plan",
            "NDEx copy plan (JSON)",
            "copy-plan",
            _loader("jsonfile"),
            _rules("ndex"),
            _looks_like_copy_plan,
        ),
        # the externals shape is checked by its rules (same contract as schemas/externals.schema.json,
        # a test keeps the two in agreement): jsonschema alone costs 1.75x the parse on real-size files
        Dialect(
            "externals",
            "IDTrack external-database YAML",
            None,
            _loader("yamlfile"),
            _rules("idtrack"),
            _looks_like_externals,
        ),
    )
}

# file names worth a look when a directory is searched
_CANDIDATE = re.compile(r"(?:^ferryman\.toml$|\.(?:json|ya?ml|ini|cfg|conf|styles?)$|^ZMap$|^zmap$)", re.I)


def is_candidate(path: str) -> bool:
    return bool(_CANDIDATE.search(os.path.basename(path)))


def detect(name: str, text: str) -> Dialect | None:
    """The dialect of file `name` (a path) from its content, its name and its folder; None when no
    dialect claims it. A JSON-looking file is asked about copy plans first, so a plan whose text
    happens to hold `[ZMap]` is still a plan."""
    json_like = name.lower().endswith(".json") or _head(text).startswith(("{", "[", "//", "/*"))
    if json_like and _looks_like_copy_plan(name, text):
        return DIALECTS["copy-plan"]
    for dialect in DIALECTS.values():
        if dialect.sniff(name, text):
            return dialect
    return None
