"""Semantic rules for ZMap configs (docs/formats.md), on the normalized form
`{stanza: {key: value}}` that `loaders.gkeyfile` produces, read through `zmapconfig`.

Decisions:
* the sources are the names in `[ZMap] sources`, in that order (the column display order). A
  stanza with a `url` that is not listed is reported and otherwise ignored, as ZMap ignores it.
* styles: a source names the styles in its `styles` list, and one per featureset — the style
  `[featureset-style]` maps it to, else the style of the featureset's own name (ZMap's rule).
  Names compare as ZMap compares them, ASCII case-insensitively. acedb sources serve their own.
* a problem shared by many sources (one missing script, one missing style, one stylesfile) is reported once, at
  its first use, with the number of other uses.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Iterator
from typing import Any

from ..diagnostics import JsonPath
from ..document import Code, Document, Findings, define
from ..loaders import gkeyfile
from ..paths import file_name
from ..pipeurl import escapes_script_dir, resolve_script
from ..zmapconfig import (
    SCHEMES,
    SERVER_GROUPS,
    ZMAP,
    ZMapSource,
    config_dir,
    is_zmap_scheme,
    script_dir,
    sources,
    stanza,
    stylesfile,
)

ZM_NO_STANZA = define(
    "ZM301", "error", "a name in [ZMap] sources has no stanza", "add a [name] stanza with a url, or take the name out"
)
ZM_NOT_LISTED = define(
    "ZM302",
    "warning",
    "a source stanza is not listed in [ZMap] sources",
    "add its name to [ZMap] sources, or delete the stanza: ZMap and ferryman ignore it",
)
ZM_GROUP_MEMBER = define(
    "ZM303", "error", "a [Server-groups] member is not a defined source", "members are names from [ZMap] sources"
)
ZM_GROUP_ACEDB = define(
    "ZM304",
    "error",
    "an acedb:// source is in a server group",
    "an acedb source keeps its connection open and would hold the group forever; take it out of the group",
)
ZM_SEQUENCE_TWICE = define(
    "ZM305",
    "error",
    "more than one source has sequence = true",
    "one source provides the DNA sequence: keep sequence = true on one of them",
)
ZM_UNKNOWN_ZMAP_KEY = define("ZM306", "warning", "unknown key in [ZMap]", "ZMap ignores keys it does not know")
ZM_UNKNOWN_SOURCE_KEY = define(
    "ZM307", "warning", "unknown key in a source stanza", "ZMap ignores keys it does not know"
)
ZM_NO_URL = define(
    "ZM308",
    "error",
    "a source has no url",
    "add url = pipe:///script?args, or a url of another scheme ZMap loads (file://, http://, ensembl://, …)",
)
ZM_LISTED_TWICE = define("ZM309", "warning", "a name is listed twice", "delete the second mention")
ZM_PIPE_ESCAPES = define(
    "ZM310",
    "error",
    "a pipe:// script path leads outside script-dir",
    "keep scripts inside script-dir, or give an absolute path: pipe:////abs/path/script",
)
ZM_PIPE_SHORT = define(
    "ZM311",
    "warning",
    "pipe:// short form: a script name where the host goes",
    "write pipe:///script?args (three slashes)",
)
ZM_PIPE_SEED_ABSOLUTE = define(
    "ZM312",
    "warning",
    "a pipe:/// path with folders is relative to script-dir, not absolute",
    "write pipe:////path for the absolute path, or pipe:///./path for the relative one",
)
ZM_SCRIPT_MISSING = define("ZM313", "error", "a pipe:// script does not exist")
ZM_SCRIPT_NOT_EXECUTABLE = define("ZM314", "error", "a pipe:// script is not executable", "chmod +x it")
ZM_SCRIPT_NO_SHEBANG = define(
    "ZM315",
    "error",
    "a pipe:// script does not start with #!",
    "begin with a line such as #!/usr/bin/env python3 (without one, ZMap and ferryman hand the file to /bin/sh)",
)
ZM_NO_STYLESFILE = define(
    "ZM316",
    "error",
    "no stylesfile and no acedb:// source",
    "set stylesfile in [ZMap] to a file of [style] groups; only acedb serves styles itself",
)
ZM_STYLESFILE_MISSING = define("ZM317", "error", "the stylesfile does not exist")
ZM_STYLE_MISSING = define(
    "ZM318",
    "error",
    "a style is not defined in the stylesfile",
    "add a [style] group to the stylesfile, or map the featureset in [featureset-style]",
)
ZM_SCRIPT_DIR = define("ZM319", "error", "script-dir is not a folder")
ZM_STYLESFILE_BROKEN = define(
    "ZM320", "error", "the stylesfile cannot be read", "check it on its own: ferryman validate --kind styles FILE"
)
ZM_PIPE_NO_SCRIPT = define("ZM321", "error", "a pipe:// URL names no script", "write pipe:///script?args")
ZM_URL_SCHEME = define(
    "ZM322",
    "error",
    "a source url has a scheme ZMap does not load",
    "ZMap loads " + ", ".join(f"{s}://" for s in SCHEMES) + " urls; ferryman runs the pipe:// ones",
)

ZM_OUTPUT_IS_PARTIAL = define(
    "ZM323",
    "error",
    "a pipe source's output file is another source's partial output",
    "rename one of the two sources: ferryman keeps a failed run's output as <source>.partial.gff",
)

# The [ZMap] keys ZMap reads (its config loader and documentation), and the docs/formats.md, ZMap ones.
KNOWN_ZMAP_KEYS = frozenset(
    {
        "sources", "script-dir", "data-dir", "stylesfile", "csver", "columns", "navigatorsets", "seq-data",
        "default-sequence", "sequence", "start", "end", "show-mainwindow", "abbrev-window-title",
        "exit-timeout", "sleep", "help-url", "session-colour", "dataset", "csname", "chr",
        "default-printer", "sequence-server", "pfetch", "pfetch-mode", "cookie-jar", "proxy", "port",
        "locale", "legacy-styles", "stylename-from-methodname", "xremote-debug", "curl-debug",
        "ipresolve", "cainfo", "thread-fail-silent", "edit-styles", "shrinkable",
        "highlight-filtered-columns", "enable-annotation", "max-features",
    }
)  # fmt: skip
KNOWN_SOURCE_KEYS = frozenset(
    {
        "url", "featuresets", "styles", "delayed", "sequence", "navigator_sets", "navigatorsets",
        "timeout", "stylesfile", "group", "version", "biotypes", "request-styles", "format",
        "provide-mapping",
    }
)  # fmt: skip


def _report(findings: Findings, code: Code, message: str, at: JsonPath, hint: str | None = None) -> None:
    """Report through the URL mask: a message may quote a url, never its password (docs/formats.md)."""
    findings.report(code, gkeyfile.mask_urls(message), at, hint=None if hint is None else gkeyfile.mask_urls(hint))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- the rules -------------------------------------------------------------------------------


def check(doc: Document, findings: Findings) -> None:
    """Report every rule violation of a ZMap config (the schema has already been checked)."""
    data = _dict(doc.data)
    base = config_dir(doc)
    _check_sources_list(data, findings)
    # the usable sources: listed, with a stanza and a url (a GKeyFile value is always a string)
    listed = sources(doc)
    _check_schemes(listed, findings)
    _check_keys(data, listed, findings)
    _check_sequence(listed, findings)
    _check_server_groups(data, {s.name: s for s in listed}, findings)
    _check_pipes(data, listed, base, findings)
    _check_output_names(listed, findings)
    _check_styles(data, listed, base, findings)


def _check_sources_list(data: dict[str, Any], findings: Findings) -> None:
    """Report names without a stanza or a url, repeats and unlisted stanzas."""
    raw = _dict(data.get(ZMAP)).get("sources")
    names = raw if isinstance(raw, list) else []
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not isinstance(name, str):
            continue
        at: JsonPath = (ZMAP, "sources", i)
        if name in seen:
            _report(findings, ZM_LISTED_TWICE, f"source {name} is listed twice in [ZMap] sources", at)
            continue
        seen.add(name)
        st = stanza(data, name)
        if st is None:
            _report(findings, ZM_NO_STANZA, f"source {name} has no [{name}] stanza", at)
        elif "url" not in st:
            _report(findings, ZM_NO_URL, f"source [{name}] has no url", (name,))
    for name, st in data.items():
        if name not in seen and stanza(data, name) is not None and "url" in st:
            _report(findings, ZM_NOT_LISTED, f"stanza [{name}] has a url but is not listed in [ZMap] sources", (name,))


_SCHEME_NAME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")  # RFC 3986 section 3.1


def _check_schemes(listed: tuple[ZMapSource, ...], findings: Findings) -> None:
    """Each source's url scheme is one ZMap loads (ZMap compares schemes case-insensitively)."""
    for source in listed:
        if is_zmap_scheme(source.scheme):
            continue
        name, url = source.name, source.url
        written = url.split("://", 1)[0] if "://" in url else ""
        if _SCHEME_NAME.fullmatch(written):
            msg = f"url of source [{name}] has the scheme {written}://, which ZMap does not load"
        else:  # no scheme at all: the value is not quoted (it may hold anything, a password included)
            msg = f"url of source [{name}] does not start with a scheme such as pipe:// or file://"
        _report(findings, ZM_URL_SCHEME, msg, (name, "url"))


def _suggest(key: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _check_keys(data: dict[str, Any], listed: tuple[ZMapSource, ...], findings: Findings) -> None:
    for key in _dict(data.get(ZMAP)):
        if key not in KNOWN_ZMAP_KEYS:
            msg = f"unknown key {key} in [ZMap]{_suggest(key, KNOWN_ZMAP_KEYS)}"
            _report(findings, ZM_UNKNOWN_ZMAP_KEY, msg, (ZMAP, key))
    for source in listed:
        name = source.name
        st = data[name]
        if KNOWN_SOURCE_KEYS.issuperset(st):
            continue  # the common case: no unknown key
        for key in st:
            if key not in KNOWN_SOURCE_KEYS:
                msg = f"unknown key {key} in source [{name}]{_suggest(key, KNOWN_SOURCE_KEYS)}"
                _report(findings, ZM_UNKNOWN_SOURCE_KEY, msg, (name, key))


def _check_sequence(listed: tuple[ZMapSource, ...], findings: Findings) -> None:
    providers = [s.name for s in listed if s.sequence]
    if len(providers) > 1:
        names = ", ".join(providers[:-1]) + " and " + providers[-1]
        msg = f"sources {names} all have sequence = true; at most one source may provide the sequence"
        if len(providers) == 2:
            msg = f"sources {names} both have sequence = true; at most one source may provide the sequence"
        _report(findings, ZM_SEQUENCE_TWICE, msg, (providers[1], "sequence"))


def _check_server_groups(data: dict[str, Any], listed: dict[str, ZMapSource], findings: Findings) -> None:
    for group, members in _dict(data.get(SERVER_GROUPS)).items():
        if not isinstance(members, list):
            continue
        # the values of a key named like a secret are never quoted (a `password = …` line here
        # is a mistake, and its value a password)
        secret = gkeyfile.secret_like(group)
        seen: set[str] = set()
        for i, member in enumerate(members):
            if not isinstance(member, str):
                continue
            at: JsonPath = (SERVER_GROUPS, group, i)
            shown = f"its member {i + 1} (not shown: {group} names a secret)" if secret else member
            if member in seen:
                _report(findings, ZM_LISTED_TWICE, f"server group {group} lists {shown} twice", at)
                continue
            seen.add(member)
            source = listed.get(member)
            if source is None and stanza(data, member) is None:
                _report(findings, ZM_GROUP_MEMBER, f"server group {group} names {shown}, which has no stanza", at)
            elif source is None:
                msg = f"server group {group} names {shown}, which is not a source in [ZMap] sources"
                _report(findings, ZM_GROUP_MEMBER, msg, at)
            elif source.scheme == "acedb":
                _report(findings, ZM_GROUP_ACEDB, f"server group {group} includes {shown}, an acedb:// source", at)


def _shown(path: str, base: str) -> str:
    """A path as messages show it: relative to the config's folder when inside it."""
    rel = os.path.relpath(path, base)
    return path if rel.startswith(os.pardir) else rel


def _shown_dir(path: str, base: str) -> str:
    shown = _shown(path, base)
    return "(the config's folder)" if shown == os.curdir else shown


@dataclasses.dataclass
class _ScriptUse:
    first: str  # the source that reports it
    others: int = 0


def _check_output_names(listed: tuple[ZMapSource, ...], findings: Findings) -> None:
    """A pipe source's output `<name>.gff` must not be another's `<name>.partial.gff` (docs/run.md,
    "Output paths"): [a.partial]'s output would be deleted when [a] succeeds, replaced when it fails."""
    by_file = {file_name(s.name): s.name for s in listed if s.scheme == "pipe"}
    for stem, name in by_file.items():
        other = by_file.get(stem[: -len(".partial")]) if stem.endswith(".partial") else None
        if other is not None:
            msg = (f"the output of source [{name}], {stem}.gff, is the file source [{other}] keeps a failed "
                   "run's output in")
            _report(findings, ZM_OUTPUT_IS_PARTIAL, msg, (name,))


def _check_pipes(data: dict[str, Any], listed: tuple[ZMapSource, ...], base: str, findings: Findings) -> None:
    scripts = script_dir(data, base)
    scripts_ok = os.path.isdir(scripts)
    sd_value = _dict(data.get(ZMAP)).get("script-dir")
    if not scripts_ok:
        what = "does not exist" if not os.path.exists(scripts) else "is not a folder"
        _report(findings, ZM_SCRIPT_DIR, f"script-dir {sd_value} {what}", (ZMAP, "script-dir"))
    uses: dict[str, _ScriptUse] = {}
    resolved: dict[str, str | None] = {}  # path as written -> script path, None when it leads outside
    for source in listed:
        if source.scheme != "pipe":
            continue
        name, pipe = source.name, source.pipe
        at: JsonPath = (name, "url")
        if pipe is None:
            _report(findings, ZM_PIPE_NO_SCRIPT, str(source.pipe_error), at)
            continue
        if pipe.short_form:
            msg = f"pipe://{pipe.path} puts the script where the host goes; read as the relative path {pipe.path}"
            _report(findings, ZM_PIPE_SHORT, msg, at, hint=f"write pipe:///{pipe.path}?… (three slashes)")
        if pipe.seed_reads_absolute:
            sd = _shown_dir(scripts, base)
            msg = (
                f"pipe:///{pipe.path} is the relative path {pipe.path} in script-dir {sd}, "
                f"not the absolute path {pipe.seed_reading}"
            )
            hint = (
                f"write pipe:///{pipe.seed_reading} for the absolute path, "
                f"or pipe:///./{pipe.path} for the relative one"
            )
            _report(findings, ZM_PIPE_SEED_ABSOLUTE, msg, at, hint=hint)
        if not pipe.is_absolute and not scripts_ok:
            continue
        path = resolved.get(pipe.path, "")
        if path == "":
            escapes = escapes_script_dir(pipe, scripts)
            path = resolved[pipe.path] = None if escapes else resolve_script(pipe, scripts)
        if path is None:
            msg = f"script path {pipe.path} leads outside script-dir {_shown_dir(scripts, base)}"
            _report(findings, ZM_PIPE_ESCAPES, msg, at)
            continue
        if path in uses:
            uses[path].others += 1
        else:
            uses[path] = _ScriptUse(name)
    for path, use in uses.items():
        _check_script(path, use, base, findings)


def _check_script(path: str, use: _ScriptUse, base: str, findings: Findings) -> None:
    shown = _shown(path, base)
    also = f" (also used by {use.others} other source{'s' if use.others != 1 else ''})" if use.others else ""
    at: JsonPath = (use.first, "url")
    if not os.path.isfile(path):
        what = ("is a folder, not a script" if os.path.isdir(path)
                else "is not a regular file" if os.path.exists(path) else "does not exist")
        _report(findings, ZM_SCRIPT_MISSING, f"script {shown} {what}{also}", at)
        return
    if not os.access(path, os.X_OK):
        _report(findings,
            ZM_SCRIPT_NOT_EXECUTABLE, f"script {shown} is not executable{also}", at, hint=f"chmod +x {shown}"
        )
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError as exc:
        _report(findings, ZM_SCRIPT_MISSING, f"script {shown} cannot be read: {exc.strerror or exc}{also}", at)
        return
    if head != b"#!":
        _report(findings, ZM_SCRIPT_NO_SHEBANG, f"script {shown} does not start with #!{also}", at)


@dataclasses.dataclass
class _StyleUse:
    at: JsonPath
    message: str
    others: int = 0


def _load_styles(path: str, shown: str, at: JsonPath, findings: Findings, also: str = "") -> set[str] | None:
    """The style names (lower case) of the stylesfile at `path` (named `shown` at `at`), or None
    when it is unusable: then the problem is reported there, followed by `also` (where else the
    file is named)."""
    if not os.path.isfile(path):
        if not os.path.exists(path):
            _report(findings, ZM_STYLESFILE_MISSING, f"stylesfile {shown} does not exist{also}", at)
        else:  # never opened: a FIFO would block the read, a device would be read without end
            what = "a folder" if os.path.isdir(path) else "not a regular file"
            _report(findings, ZM_STYLESFILE_BROKEN, f"stylesfile {shown} cannot be read: it is {what}{also}", at)
        return None
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        _report(findings, ZM_STYLESFILE_BROKEN, f"stylesfile {shown} cannot be read: {reason}{also}", at)
        return None
    kf = gkeyfile.parse(text)
    errors = [p for p in kf.problems if p.code.severity.value == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        msg = f"stylesfile {shown} cannot be read: line {first.line}: {first.message}{more}{also}"
        _report(findings, ZM_STYLESFILE_BROKEN, msg, at)
        return None
    return {name.lower() for name in kf.groups}


def _check_styles(data: dict[str, Any], listed: tuple[ZMapSource, ...], base: str, findings: Findings) -> None:
    has_acedb = any(s.scheme == "acedb" for s in listed)
    shared = stylesfile(data)
    if not has_acedb and shared is None:
        without = [s.name for s in listed if s.stylesfile is None]
        if without:
            shown = ", ".join(without[:3]) + (f" and {len(without) - 3} more" if len(without) > 3 else "")
            msg = f"no stylesfile in [ZMap] and no acedb:// source: the styles of {shown} are not defined"
            _report(findings, ZM_NO_STYLESFILE, msg, (ZMAP,))
    fs_style = {k.lower(): v for k, v in _dict(data.get("featureset-style")).items() if isinstance(v, str)}
    # the sources that take their styles from each stylesfile (acedb serves its own), by the file's
    # path: a file that many stanzas name is read once, and a problem with it reported once, where
    # it is first named, with the number of other stanzas naming it
    path_of: dict[str, str] = {}  # stylesfile as written -> its normalized path
    users: dict[str, list[tuple[ZMapSource, tuple[str, JsonPath]]]] = {}  # path -> (source, how it names it)
    for source in listed:
        named = source.stylesfile
        if named is not None and source.scheme != "acedb":
            path = path_of.get(named[0])
            if path is None:
                path = path_of[named[0]] = os.path.normpath(os.path.join(base, named[0]))
            users.setdefault(path, []).append((source, named))
    loaded: dict[str, set[str] | None] = {}
    walk: set[str] = set()  # the sources of stylesfiles that miss a style some source names
    for path, using in users.items():
        file_value, at = using[0][1]
        others = len({named for _, named in using}) - 1  # the other places naming it
        also = f" (also named in {others} other stanza{'s' if others != 1 else ''})" if others else ""
        styles = loaded[path] = _load_styles(path, file_value, at, findings, also)
        if styles is not None and not _all_styles_defined([data[s.name] for s, _ in using], fs_style, styles):
            walk.update(s.name for s, _ in using)
    missing: dict[tuple[str, str], _StyleUse] = {}  # (stylesfile, style) -> its first reference
    for source in listed:
        if source.name not in walk or source.stylesfile is None:
            continue
        file_value = source.stylesfile[0]
        defined = loaded[path_of[file_value]]
        assert defined is not None
        for ref, style, featureset in _missing_style_refs(source.name, data[source.name], fs_style, defined):
            key = (file_value, style.lower())
            if key in missing:
                missing[key].others += 1
            elif featureset is None:
                missing[key] = _StyleUse(ref, f"style {style} is not defined in {file_value}")
            elif featureset != style:
                msg = f"featureset {featureset} uses style {style} ([featureset-style]), "
                msg += f"which {file_value} does not define"
                missing[key] = _StyleUse(ref, msg)
            else:
                missing[key] = _StyleUse(
                    ref, f"featureset {featureset} has no style: {file_value} defines no [{style}]"
                )
    for use in missing.values():
        also = f" (also named by {use.others} other source{'s' if use.others != 1 else ''})" if use.others else ""
        _report(findings, ZM_STYLE_MISSING, use.message + also, use.at)


def _all_styles_defined(stanzas: list[dict[str, Any]], fs_style: dict[str, str], defined: set[str]) -> bool:
    """Whether `_missing_style_refs` finds nothing in any of `stanzas`: the common case, asked of
    the distinct names at once (sources share featuresets: real configs name a thousand distinct
    ones tens of thousands of times). False when an item is not a string: the item-by-item walk
    says which."""
    styles: set[str] = set()
    featuresets: set[str] = set()
    try:
        for st in stanzas:
            named_styles = st.get("styles", ())
            named_featuresets = st.get("featuresets", ())
            if not isinstance(named_styles, list | tuple) or not isinstance(named_featuresets, list | tuple):
                return False
            styles.update(named_styles)
            featuresets.update(named_featuresets)
        # a featureset's style: the one [featureset-style] maps it to, else its own name
        named = {s.lower() for s in styles} | {fs_style.get(f.lower(), f).lower() for f in featuresets}
    except (TypeError, AttributeError):  # an item that is not a string (or not hashable)
        return False
    return defined.issuperset(named)


def _missing_style_refs(
    name: str, st: dict[str, Any], fs_style: dict[str, str], defined: set[str]
) -> Iterator[tuple[JsonPath, str, str | None]]:
    """Each style a source names that `defined` (lower-cased names) does not hold: where, the
    style, and the featureset it is the style of (if so).

    A featureset uses the style [featureset-style] maps it to, else the style of its own name.
    """
    styles = st.get("styles")
    if isinstance(styles, list):
        for i, style in enumerate(styles):
            if isinstance(style, str) and style.lower() not in defined:
                yield (name, "styles", i), style, None
    featuresets = st.get("featuresets")
    if isinstance(featuresets, list):
        for i, fs in enumerate(featuresets):
            if isinstance(fs, str):
                style = fs_style.get(fs.lower(), fs)
                if style.lower() not in defined:
                    yield (name, "featuresets", i), style, fs
