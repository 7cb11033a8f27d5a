"""Rules for IDTrack external-database YAML (docs/formats.md, IDTrack) and for the profiles applied to it.

`check` walks the file once. It checks the shape that schemas/externals.schema.json describes
(reported as SC100, with messages that name the database and assembly, and hints), because
jsonschema takes longer than parsing on real-size files; the schema stays the contract for
editors and other tools, and tests keep the two in agreement. On top of the shape it checks what
the schema cannot say: keys YAML reads as numbers, release lists, Database Index consistency.

`check_profile` runs from the workspace rules with the manifest's findings, so its diagnostics
point into ferryman.toml.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..diagnostics import JsonPath
from ..document import Document, Findings, Position, define
from ..profiles import FORMS, blocks, parse_releases
from ..schemas import SC_SCHEMA

ID_UNQUOTED_KEY = define(
    "ID501", "error", "a key that YAML reads as a number, boolean or null", "write the key in double quotes"
)
ID_RELEASE_LIST = define(
    "ID502",
    "error",
    "an Ensembl release list does not parse",
    'write the releases as numbers separated by commas, e.g. "48,49,50"',
)
ID_RELEASE_TWICE = define("ID503", "warning", "a release is listed twice in one list")
ID_DATABASE_INDEX = define(
    "ID504",
    "warning",
    "a Database Index does not identify one database",
    "IDTrack gives each database name one index, the same in every form",
)
ID_TEMPLATE_INCLUDES = define(
    "ID505",
    "warning",
    "a template has Include: true",
    "a template keeps every Include false; a profile's allowlist writes the modified file",
)
ID_FILE_ORGANISM = define(
    "ID506",
    "warning",
    "the file name names another organism",
    "IDTrack finds the file by its name: <organism>_externals_modified.yml",
)
ID_ALLOW_UNMATCHED = define(
    "ID510",
    "warning",
    "an allowlist name matches no database",
    "names are exact and case-sensitive, as the template writes them",
)
ID_ALLOW_UNKNOWN = define(
    "ID511",
    "error",
    "a structured allowlist names an unknown form, database or assembly",
    "a structured allowlist is exact: use the forms, names and assemblies the template has",
)
ID_RELEASE_MISSING = define(
    "ID512",
    "error",
    "the profile's release is not included in the YAML",
    "use a release the template lists, or regenerate the template with IDTrack",
)
ID_ORGANISM_MISSING = define(
    "ID513",
    "error",
    "the profile's organism is not in the YAML",
    "set organism to the one the template holds, or point template at that organism's file",
)

ID_OUTPUT_IS_INPUT = define(
    "ID514",
    "error",
    "a profile's output is an input of the workspace",
    "write the modified YAML to a file of its own, e.g. <organism>_externals_modified.yml",
)
ID_OUTPUT_NOT_FILE = define(
    "ID515",
    "error",
    "a profile's output is not a regular file",
    "name a file path; a folder, FIFO or device cannot take the modified YAML",
)
ID_OUTPUT_TWICE = define(
    "ID516",
    "error",
    "two profiles write the same output",
    "give each profile its own output: the later write would silently replace the earlier one",
)

DATABASE_KEYS = ("Assembly", "Database Index", "Potential Synonymous")
BLOCK_KEYS = ("Ensembl release", "Include")
_ORGANISM_NAME = re.compile(r"[a-z][a-z0-9_]*")
_FILE_NAME = re.compile(r"(.+?)_externals_(?:template|modified)\.ya?ml")
_NUMBER_ITEM = re.compile(r"\s*[0-9]+\s*")
_RANGE_ITEM = re.compile(r"\s*[0-9]+\s*(?:-|\.\.)\s*[0-9]+\s*")


def _what(value: Any) -> str:
    """The YAML kind of a value, as a message says it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    # what else safe YAML makes: dates (2001-01-01), datetimes, !!binary bytes
    return "a mapping" if isinstance(value, dict) else f"a {type(value).__name__}"


def _show(value: Any, limit: int = 40) -> str:
    """A scalar as a message quotes it, shortened."""
    if value is None or isinstance(value, bool):
        text = "null" if value is None else str(value).lower()
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[-1]


def _described(value: Any) -> str:
    """A value of the wrong type, as a message describes it: "the string 'false'", "a list"."""
    if value is None:
        return "empty (null)"
    if isinstance(value, (list, dict)):
        return _what(value)
    return f"{_what(value).replace('a ', 'the ', 1)} {_show(value)}"


def _key_part(key: Any) -> str | int:
    return key if isinstance(key, str) else str(key)


def _did_you_mean(name: str, known: Iterable[str]) -> str | None:
    options = list(known)
    for option in options:
        if option.lower().replace(" ", "") == name.lower().replace(" ", ""):
            return option
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


def similar_names(name: str, names: Iterable[str], limit: int = 5) -> list[str]:
    """Database names a user may have meant by `name`: same letters ignoring case and punctuation,
    a shared start of four or more letters, or close spelling; closest first."""

    def fold(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    target = fold(name)
    scored: list[tuple[float, str]] = []
    for candidate in set(names):
        folded = fold(candidate)
        ratio = difflib.SequenceMatcher(None, name.lower(), candidate.lower()).ratio()
        shorter = min(len(target), len(folded))
        prefix = next((i for i in range(shorter) if target[i] != folded[i]), shorter)
        if folded == target or prefix >= min(4, len(target)) or ratio >= 0.6:
            scored.append((2.0 if folded == target else ratio + prefix / 100, candidate))
    return [c for _, c in sorted(scored, key=lambda sc: (-sc[0], sc[1]))[:limit]]


def _value_position(doc: Document, path: JsonPath) -> Position:
    """Where the value of the mapping entry at `path` starts, when it is on the key's line."""
    line, col = doc.locate(path)
    lines = doc.text.splitlines()
    if not 0 < line <= len(lines):
        return Position(line, col)
    src, i = lines[line - 1], col - 1
    if src[i : i + 1] in ("'", '"'):
        i = src.find(src[i], i + 1)
    # the key ends at the first ": " (or ":" at the end of the line) after its closing quote, if any
    ends = (j for j in range(max(i, 0), len(src)) if src[j] == ":" and src[j + 1 : j + 2] in ("", " ", "\t"))
    colon = next(ends, -1) if i >= 0 else -1
    if colon < 0:
        return Position(line, col)
    start = len(src) - len(src[colon + 1 :].lstrip(" \t"))
    if start >= len(src) or src[start] in "#|>":
        return Position(line, col)  # the value is on the following lines
    return Position(line, start + 1)


class _Walk:
    """One pass over an externals document, reporting into `findings`."""

    def __init__(self, doc: Document, findings: Findings, shape: bool) -> None:
        self.doc = doc
        self.findings = findings
        self.shape = shape
        self.included: list[JsonPath] = []

    def bad_shape(self, message: str, at: JsonPath, *, hint: str | None = None, value: bool = False) -> None:
        if self.shape:
            where = _value_position(self.doc, at) if value else at
            self.findings.report(SC_SCHEMA, message, where, hint=hint, json_path=at if value else None)

    def unknown_keys(self, mapping: dict[Any, Any], known: tuple[str, ...], at: JsonPath, owner: str) -> set[str]:
        """Report keys not in `known`; return the known keys an unknown one was probably meant as."""
        meant: set[str] = set()
        for key in mapping:
            if key in known:
                continue
            guess = _did_you_mean(key, known) if isinstance(key, str) else None
            if guess and guess not in mapping:
                meant.add(guess)
                self.bad_shape(f"unknown key {_show(key)} in {owner}: did you mean {guess!r}?", (*at, _key_part(key)))
            else:
                expected = ", ".join(known)
                self.bad_shape(f"unknown key {_show(key)} in {owner} (expected {expected})", (*at, _key_part(key)))
        return meant

    def unquoted(self, what: str, key: Any, at: JsonPath) -> None:
        hint = f'write it quoted: "{key}":' if isinstance(key, (int, float)) and not isinstance(key, bool) else None
        message = f"{what} {_show(key)} is not quoted: YAML reads it as {_what(key)}, not a string"
        self.findings.report(ID_UNQUOTED_KEY, message, at, hint=hint)

    def run(self) -> None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.bad_shape(f"the file is {_described(data)}, not a mapping of organisms to forms", ())
            return
        if not data:
            self.bad_shape("the file names no organism", ())
            return
        for organism, forms in data.items():
            at: JsonPath = (_key_part(organism),)
            if not isinstance(organism, str):
                self.unquoted("organism", organism, at)
            elif not _ORGANISM_NAME.fullmatch(organism):
                self.bad_shape(
                    f"organism {organism!r} is not an Ensembl organism name",
                    at,
                    hint="lower case, words joined by underscores: homo_sapiens",
                )
            if not isinstance(forms, dict):
                self.bad_shape(f"organism {_show(organism)} is {_described(forms)}, not a mapping of forms", at)
            elif not forms:
                self.bad_shape(f"organism {_show(organism)} has no form (gene, transcript, translation)", at)
            else:
                self.organism(forms, at)
        self.template_includes()
        self.file_name(data)

    def organism(self, forms: dict[Any, Any], at: JsonPath) -> None:
        by_name: dict[str, tuple[int, str]] = {}
        by_index: dict[int, tuple[str, str]] = {}
        for form, databases in forms.items():
            fat = (*at, _key_part(form))
            if form not in FORMS:
                guess = _did_you_mean(form, FORMS) if isinstance(form, str) else None
                tail = f"did you mean {guess!r}?" if guess else "expected gene, transcript or translation"
                self.bad_shape(f"unknown form {_show(form)} in {at[0]}: {tail}", fat)
                continue
            if not isinstance(databases, dict):
                self.bad_shape(f"form {form!r} of {at[0]} is {_described(databases)}, not a mapping of databases", fat)
                continue
            for name, entry in databases.items():
                dat = (*fat, _key_part(name))
                owner = f"{form} database {_show(name)}"
                if not isinstance(name, str):
                    self.unquoted(f"{form} database name", name, dat)
                elif not name:
                    self.bad_shape(f"a {form} database has an empty name", dat)
                if not isinstance(entry, dict):
                    self.bad_shape(
                        f"{owner} is {_described(entry)}, not a mapping with Assembly, Database Index "
                        "and Potential Synonymous",
                        dat,
                    )
                    continue
                self.database(entry, dat, owner)
                index = entry.get("Database Index")
                if isinstance(name, str) and isinstance(index, int) and not isinstance(index, bool) and index >= 0:
                    self.database_index(name, form, index, dat, by_name, by_index)

    def database(self, entry: dict[Any, Any], at: JsonPath, owner: str) -> None:
        meant = self.unknown_keys(entry, DATABASE_KEYS, at, owner)
        if "Database Index" in entry:
            index = entry["Database Index"]
            iat = (*at, "Database Index")
            # jsonschema's "integer" also takes 40.0; .inf and .nan are floats that are not whole
            whole = isinstance(index, int) or (isinstance(index, float) and index.is_integer())
            if isinstance(index, bool) or not whole:
                message = f"the Database Index is {_described(index)}, not a whole number"
                self.bad_shape(message, iat, value=True)
            elif index < 0:
                self.bad_shape(f"the Database Index {_show(index)} is negative", iat, value=True)
        synonymous = entry.get("Potential Synonymous", "")
        if not isinstance(synonymous, str):
            self.bad_shape(
                f"the Potential Synonymous value is {_described(synonymous)}, not a string",
                (*at, "Potential Synonymous"),
                hint='IDTrack writes Potential Synonymous: ""',
                value=True,
            )
        if "Assembly" not in entry:
            if "Assembly" not in meant:
                self.bad_shape(f"{owner} has no Assembly", at)
            return
        assemblies = entry["Assembly"]
        aat = (*at, "Assembly")
        if not isinstance(assemblies, dict):
            self.bad_shape(f"the Assembly of {owner} is {_described(assemblies)}, not a mapping of assemblies", aat)
            return
        if not assemblies:
            self.bad_shape(f"the Assembly of {owner} is empty", aat)
        for assembly, block in assemblies.items():
            bat = (*aat, _key_part(assembly))
            if not isinstance(assembly, str):
                self.unquoted("assembly", assembly, bat)
            elif not (assembly.isascii() and assembly.isdigit()):
                self.bad_shape(
                    f"assembly {assembly!r} of {owner} is not a number",
                    bat,
                    hint='IDTrack names assemblies by number, as quoted strings: "37", "38"',
                )
            self.block(block, bat, f"assembly {_show(str(assembly))} of {owner}")

    def block(self, block: Any, at: JsonPath, owner: str) -> None:
        if not isinstance(block, dict):
            self.bad_shape(f"{owner} is {_described(block)}, not a mapping with Ensembl release and Include", at)
            return
        meant = self.unknown_keys(block, BLOCK_KEYS, at, owner)
        missing = [k for k in BLOCK_KEYS if k not in block and k not in meant]
        if missing:
            self.bad_shape(f"{owner} has no {' and no '.join(missing)}", at)
        if "Ensembl release" in block:
            self.releases(block["Ensembl release"], (*at, "Ensembl release"))
        if "Include" in block:
            include = block["Include"]
            if include is True:
                self.included.append((*at, "Include"))
            elif not isinstance(include, bool):
                quoted = isinstance(include, str) and include.strip().lower() in ("true", "false", "yes", "no")
                self.bad_shape(
                    f"the Include value is {_described(include)}, not true or false",
                    (*at, "Include"),
                    # IDTrack tests `if item["Include"]`: a non-empty string, 'false' too, counts as true
                    hint="write true or false without quotes: IDTrack counts any non-empty string as true"
                    if quoted
                    else None,
                    value=True,
                )

    def releases(self, value: Any, at: JsonPath) -> None:
        if not isinstance(value, str):
            single = isinstance(value, int) and not isinstance(value, bool)
            self.bad_shape(
                f"the release list is {_described(value)}, not a string",
                at,
                hint=(
                    f'quote it: Ensembl release: "{value}" (IDTrack splits the value on commas)'
                    if single
                    else 'write the releases as one string: "48,49,50"'
                ),
                value=True,
            )
            return
        parsed = parse_releases(value)
        if parsed is None:
            self.findings.report(ID_RELEASE_LIST, _release_problem(value), _value_position(self.doc, at), json_path=at)
            return
        twice = sorted(r for r, n in Counter(parsed).items() if n > 1)
        if twice:
            listed = ", ".join(map(str, twice))
            message = f"release {listed} is listed twice" if len(twice) == 1 else f"releases {listed} are listed twice"
            self.findings.report(ID_RELEASE_TWICE, message, _value_position(self.doc, at), json_path=at)

    def database_index(
        self,
        name: str,
        form: str,
        index: int,
        at: JsonPath,
        by_name: dict[str, tuple[int, str]],
        by_index: dict[int, tuple[str, str]],
    ) -> None:
        if name in by_name and by_name[name][0] != index:
            first, first_form = by_name[name]
            message = f"{name!r} has Database Index {index} here but {first} in {first_form}"
        elif index in by_index and by_index[index][0] != name:
            other, other_form = by_index[index]
            message = f"Database Index {index} of {name!r} is also the index of {other_form} database {other!r}"
        else:
            by_name.setdefault(name, (index, form))
            by_index.setdefault(index, (name, form))
            return
        jp = (*at, "Database Index")
        self.findings.report(ID_DATABASE_INDEX, message, _value_position(self.doc, jp), json_path=jp)

    def template_includes(self) -> None:
        name = os.path.basename(self.doc.path)
        if not self.included or not re.search(r"_template\.ya?ml$", name):
            return
        count = len(self.included)
        more = f" (and {count - 1} more block{'s' if count > 2 else ''})" if count > 1 else ""
        self.findings.report(ID_TEMPLATE_INCLUDES, f"template {name} has Include: true here{more}", self.included[0])

    def file_name(self, data: dict[Any, Any]) -> None:
        m = _FILE_NAME.fullmatch(os.path.basename(self.doc.path))
        organisms = [o for o in data if isinstance(o, str)]
        if m and organisms and m.group(1) not in organisms:
            message = f"the file name says {m.group(1)} but the file holds {', '.join(organisms)}"
            self.findings.report(ID_FILE_ORGANISM, message, (organisms[0],))


def _release_problem(value: str) -> str:
    """Why an `Ensembl release` string is not a release list, naming the bad item."""
    shown = _show(value)
    if not value.strip():
        return "the release list is empty"
    for item in value.split(","):
        if not item.strip():
            return f"release list {shown} has an empty item"
        if _RANGE_ITEM.fullmatch(item):
            return f"release list {shown} has the range {item.strip()!r}: list each release"
        if not _NUMBER_ITEM.fullmatch(item):
            return f"release list {shown} has {item.strip()!r}, which is not a release number"
    return f"release list {shown} is not a list of release numbers"


def check(doc: Document, findings: Findings) -> None:
    """Report every problem of an externals YAML: its shape (what schemas/externals.schema.json
    says, checked here for speed: jsonschema takes 1.75x the parse on real-size files), then what
    the schema cannot say."""
    _Walk(doc, findings, shape=True).run()


# --- profiles -----------------------------------------------------------------------------------


def _database_names(forms: dict[Any, Any]) -> dict[str, list[str]]:
    """Database name -> the forms that have it, in file order."""
    out: dict[str, list[str]] = {}
    for form, databases in forms.items():
        if form in FORMS and isinstance(databases, dict):
            for name in databases:
                if isinstance(name, str):
                    out.setdefault(name, []).append(form)
    return out


def _quote_all(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


def check_profile(profile: dict[str, Any], at: JsonPath, externals: Document, findings: Findings) -> None:
    """Check one `[[profiles]]` entry against its loaded template; report into the manifest's findings.

    `at` is the profile's path in the manifest, e.g. ("profiles", 0). Tolerates a malformed profile
    (the manifest schema reports it) and a malformed template (its own check reports it).
    """
    data = externals.data
    if not isinstance(data, dict):
        return
    named = profile.get("template")
    template = named if isinstance(named, str) else externals.path
    organism = profile.get("organism")
    held = [o for o in data if isinstance(o, str)]
    if isinstance(organism, str) and organism not in data:
        findings.report(
            ID_ORGANISM_MISSING,
            f"organism {organism!r} is not in {template}, which holds {', '.join(held) or 'no organism'}",
            (*at, "organism"),
        )
        return
    if not isinstance(organism, str):
        if len(held) != 1:
            return
        organism = held[0]
    forms = data[organism]
    if not isinstance(forms, dict):
        return
    release = profile.get("release")
    if isinstance(release, int) and not isinstance(release, bool):
        _check_release(release, organism, forms, template, (*at, "release"), findings)
    allow = profile.get("allow")
    if isinstance(allow, list):
        _check_names(allow, organism, forms, (*at, "allow"), findings)
    elif isinstance(allow, dict):
        _check_structured(allow, organism, forms, template, (*at, "allow"), findings)


def _check_release(
    release: int, organism: str, forms: dict[str, Any], template: str, at: JsonPath, findings: Findings
) -> None:
    listed: set[int] = set()
    unreadable = False
    for b in blocks({organism: forms}, organism):
        listed.update(b.releases or ())
        unreadable = unreadable or b.releases is None
    if release in listed or unreadable:
        return  # a list that does not parse may hold it; the template's own check reports that list
    span = f"it lists releases {min(listed)} to {max(listed)}" if listed else "it lists no release"
    message = f"release {release} is not included in any {organism} entry of {template} ({span})"
    findings.report(ID_RELEASE_MISSING, message, at)


def _check_names(allow: list[Any], organism: str, forms: dict[str, Any], at: JsonPath, findings: Findings) -> None:
    names = _database_names(forms)
    for i, name in enumerate(allow):
        if not isinstance(name, str) or name in names:
            continue
        near = similar_names(name, names)
        tail = f" (similar: {_quote_all(near)})" if near else ""
        findings.report(ID_ALLOW_UNMATCHED, f"{name!r} matches no database of {organism}{tail}", (*at, i))


def _check_structured(
    allow: dict[Any, Any], organism: str, forms: dict[str, Any], template: str, at: JsonPath, findings: Findings
) -> None:
    present = [f for f in forms if f in FORMS and isinstance(forms[f], dict)]
    names = _database_names(forms)
    for form, databases in allow.items():
        fat = (*at, _key_part(form))
        if form not in present:
            message = f"form {_show(form)} is not in {template} (it has {', '.join(present) or 'no form'})"
            findings.report(ID_ALLOW_UNKNOWN, message, fat)
            continue
        if not isinstance(databases, dict):
            continue
        for name, assemblies in databases.items():
            dat = (*fat, _key_part(name))
            entry = forms[form].get(name)
            if not isinstance(entry, dict):
                elsewhere = [f for f in names.get(name, []) if f != form]
                if elsewhere:
                    tail = f" (it is a {' and '.join(elsewhere)} database)"
                else:
                    near = similar_names(str(name), [n for n, fs in names.items() if form in fs])
                    tail = f" (similar: {_quote_all(near)})" if near else ""
                findings.report(ID_ALLOW_UNKNOWN, f"{_show(name)} is not a {form} database of {organism}{tail}", dat)
                continue
            known = entry.get("Assembly")
            if not isinstance(known, dict) or not isinstance(assemblies, list):
                continue
            have = [str(a) for a in known]
            for j, assembly in enumerate(assemblies):
                if str(assembly) not in have:
                    message = (
                        f"{form} database {name!r} has no assembly {_show(str(assembly))} "
                        f"in {template} (it has {_quote_all(have)})"
                    )
                    findings.report(ID_ALLOW_UNKNOWN, message, (*dat, j))
