"""IDTrack profiles: what an allowlist does to an external-database YAML (docs/formats.md, IDTrack).

Pure functions shared by the compiler (the plan shows a profile as its flips) and the runtime
(which writes the modified YAML). The data is the loaded YAML, `{organism: {form: {database:
{"Assembly": {"<asm>": {"Ensembl release": "48,49", "Include": bool}}, …}}}}`; a template holds
one organism, so `organism` may be left out when there is only one.

An allowlist is either a list of database names, which apply to every form and assembly, or a
structured `{form: {database: [assembly, …]}}`, which names exact blocks. Whatever it does not
select ends up `Include: false`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import yaml

FORMS = ("gene", "transcript", "translation")

Allowlist = Sequence[str] | Mapping[str, Mapping[str, Sequence[str | int]]]
BlockKey = tuple[str, str, str]  # (form, database, assembly)

_RELEASES = re.compile(r"\s*[0-9]+\s*(?:,\s*[0-9]+\s*)*")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ProfileError(ValueError):
    """A profile cannot be applied to this YAML (the message says why, for the user)."""


@dataclasses.dataclass(frozen=True)
class Flip:
    """One assembly block whose `Include` a profile changes."""

    form: str
    database: str
    assembly: str
    before: bool
    after: bool

    def __str__(self) -> str:
        before, after = str(self.before).lower(), str(self.after).lower()
        return f"{self.form}/{self.database}/{self.assembly}: Include {before} -> {after}"


class Block(NamedTuple):
    """One assembly block of the YAML, as read (Include is True only for a real `true`); a named
    tuple, as an externals file has thousands (docs/architecture.md, "Speed")."""

    form: str
    database: str
    assembly: str
    releases: tuple[int, ...] | None  # None: the list does not parse
    include: bool

    @property
    def key(self) -> BlockKey:
        return (self.form, self.database, self.assembly)


def parse_releases(value: object) -> tuple[int, ...] | None:
    """The releases of an `Ensembl release` value ("79,80,81"), or None when it is not such a list.

    Spaces around items are accepted, as IDTrack's `int()` accepts them; ranges and empty items are not.
    """
    if not isinstance(value, str) or not _RELEASES.fullmatch(value):
        return None
    return tuple(map(int, value.split(",")))


def _only(names: Collection[object]) -> str:
    if len(names) != 1:
        raise ProfileError(f"name the organism: the YAML holds {', '.join(map(str, names)) or 'none'}")
    return str(next(iter(names)))


def organism_data(data: Any, organism: str | None = None) -> dict[str, Any]:
    """The forms of `organism`, or of the file's only organism when `organism` is None."""
    if not isinstance(data, dict):
        raise ProfileError("the YAML is not a mapping of organisms")
    forms = data.get(_only(data) if organism is None else organism)
    if not isinstance(forms, dict):
        raise ProfileError(f"organism {organism!r} is not in the YAML")
    return forms


def blocks(data: Any, organism: str | None = None) -> Iterator[Block]:
    """Every well-formed assembly block, in file order; malformed parts are skipped (rules report them)."""
    for form, databases in organism_data(data, organism).items():
        if form not in FORMS or not isinstance(databases, dict):
            continue
        for database, entry in databases.items():
            assemblies = entry.get("Assembly") if isinstance(entry, dict) else None
            if not isinstance(database, str) or not isinstance(assemblies, dict):
                continue
            for assembly, block in assemblies.items():
                if isinstance(block, dict):
                    releases = parse_releases(block.get("Ensembl release"))
                    yield Block(form, database, str(assembly), releases, block.get("Include") is True)


def in_effect(data: Any, release: int, *, organism: str | None = None) -> set[BlockKey]:
    """The (form, database, assembly) blocks in effect for `release`: listed for it and Include true."""
    return {b.key for b in blocks(data, organism) if b.include and b.releases and release in b.releases}


def selects(allow: Allowlist, form: str, database: str, assembly: str) -> bool:
    """Whether the allowlist turns this block on: a plain name anywhere, a structured entry exactly."""
    if isinstance(allow, Mapping):
        names = allow.get(form)
        assemblies = names.get(database) if isinstance(names, Mapping) else None
        if isinstance(assemblies, (str, bytes)) or not isinstance(assemblies, Sequence):
            return False
        return assembly in {str(a) for a in assemblies}
    if isinstance(allow, str):  # one name, not a string of letters to search in
        return database == allow
    return database in allow


def flips(data: Any, allow: Allowlist, release: int, *, organism: str | None = None) -> list[Flip]:
    """The blocks whose Include the profile changes, in file order.

    Selected blocks become true, all others false, whatever their releases: IDTrack consults the
    file for every release of a history, so the release only has to be covered (docs/formats.md, IDTrack).
    Raises ProfileError when no entry lists `release`, as IDTrack refuses such a file.
    """
    every = list(blocks(data, organism))
    if not any(b.releases and release in b.releases for b in every):
        raise ProfileError(f"release {release} is not included in any entry of the YAML")
    out: list[Flip] = []
    for b in every:
        after = selects(allow, b.form, b.database, b.assembly)
        if after != b.include:
            out.append(Flip(b.form, b.database, b.assembly, b.include, after))
    return out


def apply(data: Any, flips_: Collection[Flip], *, organism: str | None = None) -> Any:
    """A copy of `data` with the flips applied (for callers that need the data, not the text)."""
    out = copy.deepcopy(data)
    forms = organism_data(out, organism)
    for f in flips_:
        try:
            assemblies = forms[f.form][f.database]["Assembly"]
            key = next(k for k in assemblies if str(k) == f.assembly)
            assemblies[key]["Include"] = f.after
        except (KeyError, TypeError, StopIteration):
            raise ProfileError(f"{f.form}/{f.database}/{f.assembly} is not a block of the YAML") from None
    return out


# --- rewriting the text -------------------------------------------------------------------------


def _mapping_get(node: yaml.Node, key: str, where: str) -> yaml.Node:
    if not isinstance(node, yaml.MappingNode):
        raise ProfileError(f"{where} is not a mapping")
    found: yaml.Node | None = None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "<<":
            raise ProfileError(f"{where} uses a YAML merge key (<<); write the block out in full")
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found = v  # the last one wins, as when the file is loaded
    if found is None:
        raise ProfileError(f"{where} has no {key!r}")
    return found


def _referenced_twice(root: yaml.Node) -> set[int]:
    """Ids of nodes reachable by more than one path: anchors used through aliases."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return shared


def _compose(text: str) -> yaml.Node:
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ProfileError(f"the YAML does not parse: {str(exc).splitlines()[0]}") from None
    if node is None:
        raise ProfileError("the YAML is empty")
    return node


def _include_node(root: yaml.Node, organism: str, flip: Flip, shared: set[int]) -> yaml.ScalarNode:
    where = organism
    node = _mapping_get(root, organism, "the YAML")
    for key in (flip.form, flip.database, "Assembly", flip.assembly, "Include"):
        if id(node) in shared:
            raise ProfileError(f"{where} is shared through a YAML alias; write each block out in full")
        node = _mapping_get(node, key, where)
        where = f"{where}/{key}"
    if id(node) in shared or not isinstance(node, yaml.ScalarNode) or node.style:  # '' or None: plain
        raise ProfileError(f"{where} is not a plain true or false")
    return node


def render_modified(text: str, flips_: Collection[Flip], *, organism: str | None = None) -> str:
    """`text` with only the `Include:` values of the flipped blocks rewritten.

    Everything else — key order, quoting, comments, blank lines, line endings, a byte-order
    mark — stays byte for byte, which a round trip through yaml.dump would not keep. Raises ProfileError when a flip
    does not match the text (a block missing, or its Include not what `before` says) or when a
    block is shared through an alias or merge key, since rewriting it would change its other users.
    """
    if not flips_:
        return text
    if text.startswith("\ufeff"):  # a byte-order mark stays; PyYAML's marks count from after it
        return "\ufeff" + render_modified(text[1:], flips_, organism=organism)
    root = _compose(text)
    if organism is None:
        keys = root.value if isinstance(root, yaml.MappingNode) else []
        organism = _only([k.value for k, _ in keys if isinstance(k, yaml.ScalarNode)])
    shared = _referenced_twice(root)
    bools = yaml.constructor.SafeConstructor.bool_values
    edits: list[tuple[int, int, str]] = []
    for flip in flips_:
        node = _include_node(root, organism, flip, shared)
        current = bools.get(node.value.lower()) if node.tag.endswith(":bool") else None
        if current is not flip.before:
            raise ProfileError(
                f"{organism}/{flip.form}/{flip.database}/{flip.assembly} has Include {node.value!r}, "
                f"not {str(flip.before).lower()}"
            )
        start, end = node.start_mark.index, node.end_mark.index
        if text[start:end] != node.value:  # marks must be character offsets; never guess
            raise ProfileError("cannot locate Include values in this YAML text")
        edits.append((start, end, "true" if flip.after else "false"))
    out = text
    for start, end, value in sorted(edits, reverse=True):
        out = out[:start] + value + out[end:]
    return out
