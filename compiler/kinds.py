"""The input dialects ferryman knows: how to recognize, load, schema-check and rule-check each."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable

from .document import Document, Findings
from .loaders import LoadResult


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    description: str
    schema: str | None
    load: Callable[[str, str, str | None], LoadResult]  # (text, display path, fs path)
    check: Callable[[Document, Findings], None]  # the dialect's semantic rules
    sniff: Callable[[str, str], bool]  # (file name, text) -> is it this kind?


def _rules(module: str) -> Callable[[Document, Findings], None]:
    def check(doc: Document, findings: Findings) -> None:
        import importlib

        importlib.import_module(f"{__package__}.rules.{module}").check(doc, findings)

    return check


def _looks_like_manifest(name: str, text: str) -> bool:
    return name == "ferryman.toml" or bool(re.search(r"(?m)^\s*\[workspace\]\s*$", text))


def _looks_like_zmap(name: str, text: str) -> bool:
    return bool(re.search(r"(?m)^\s*\[ZMap\]\s*$", text))


def _looks_like_styles(name: str, text: str) -> bool:
    # a styles file: GKeyFile groups, no [ZMap] stanza, no TOML tables, style keys such as mode=
    return (
        not _looks_like_zmap(name, text)
        and bool(re.search(r"(?m)^\s*\[[^\]]+\]\s*$", text))
        and bool(re.search(r"(?m)^\s*(mode|colours|width|bump-mode|parent-style)\s*=", text))
    )


def _looks_like_copy_plan(name: str, text: str) -> bool:
    return text.lstrip().startswith("{") and '"planType"' in text


# a form key, block or flow style, any case: a misspelt `Gene` is reported, never skipped as unknown
_EXTERNALS_FORM = re.compile(r"""(?im)(?:^\s+|[{,]\s*)["']?(?:gene|transcript|translation)["']?\s*:""")


def _looks_like_externals(name: str, text: str) -> bool:
    # a JSON Schema of the format names the same keys: it is not a data file
    return bool(_EXTERNALS_FORM.search(text)) and "assembly" in text.lower() and '"$schema"' not in text


def _bind(kind: str, module: str) -> Callable[[str, str, str | None], LoadResult]:
    def loader(text: str, display: str, fs_path: str | None) -> LoadResult:
        import importlib

        mod = importlib.import_module(f"{__package__}.loaders.{module}")
        result: LoadResult = mod.load_text(text, display, kind, fs_path)
        return result

    return loader


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "manifest",
            "ferryman.toml workspace manifest",
            "workspace",
            _bind("manifest", "tomlfile"),
            _rules("workspace"),
            _looks_like_manifest,
        ),
        Kind("zmap", "ZMap config (GKeyFile)", "zmap", _bind("zmap", "gkeyfile"), _rules("zmap"), _looks_like_zmap),
        Kind(
            "styles",
            "ZMap styles file (GKeyFile)",
            None,
            _bind("styles", "gkeyfile"),
            _rules("styles"),
            _looks_like_styles,
        ),
        Kind(
            "copy-plan",
            "NDEx copy plan (JSON)",
            "copy-plan",
            _bind("copy-plan", "jsonfile"),
            _rules("ndex"),
            _looks_like_copy_plan,
        ),
        # the externals shape is checked by its rules (same contract as schemas/externals.schema.json,
        # a test keeps the two in agreement): jsonschema alone costs 1.75x the parse on real-size files
        Kind(
            "externals",
            "IDTrack external-database YAML",
            None,
            _bind("externals", "yamlfile"),
            _rules("idtrack"),
            _looks_like_externals,
        ),
    )
}

# file names worth a look when a directory is searched
_CANDIDATE = re.compile(r"(?:^ferryman\.toml$|\.(?:json|ya?ml|ini|cfg|conf|styles?)$|^ZMap$|^zmap$)", re.I)


def is_candidate(path: str) -> bool:
    return bool(_CANDIDATE.search(os.path.basename(path)))


def detect(name: str, text: str) -> Kind | None:
    """The kind of a file from its content (and name, for the manifest)."""
    for kind in KINDS.values():
        if kind.sniff(os.path.basename(name), text):
            return kind
    return None
