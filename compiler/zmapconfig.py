"""Readers of a ZMap config in its normalized form `{stanza: {key: value}}` (docs/formats.md).

`loaders.gkeyfile` turns the file into that form; this module says what it means to ZMap: which
names are sources (in display order), each source's url and scheme, the server groups, the script
folder and the stylesfile. The rules (`rules.zmap`) and the IR (`ir`) both read configs through
these functions, so the two never disagree about what a config says.

Every reader tolerates data that failed the schema (it checks types before use), because the
rules run on such data too.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .diagnostics import JsonPath
from .document import Document
from .loaders import gkeyfile
from .pipeurl import PipeUrl, PipeUrlError, parse_pipe_url, resolve_script

ZMAP = gkeyfile.ZMAP_STANZA
SERVER_GROUPS = gkeyfile.SERVER_GROUPS_STANZA

SCHEMES = ("pipe", "file", "http", "https", "ftp", "acedb", "mysql", "ensembl", "trackhub")
"""The url schemes ZMap loads (ZMap's `supported_schemes`, src/zmapUtils/zmapUrl.cpp), compared
ASCII case-insensitively as ZMap compares them."""

RUN_BY_FERRYMAN = frozenset({"pipe"})
"""The schemes whose sources ferryman runs (a `pipe://` script). ZMap loads the others itself:
ferryman checks them and plans no task for them."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def scheme(url: Any) -> str:
    """The url's scheme, lower-case (`pipe`, `ensembl`, ...), or "" when it has no `scheme://`."""
    if not isinstance(url, str):
        return ""
    end = url.find("://")
    return url[:end].lower() if end >= 0 else ""


def is_zmap_scheme(name: str) -> bool:
    """Whether ZMap loads sources of scheme `name` (as `scheme` returns it)."""
    return name in SCHEMES


def run_by_ferryman(url: Any) -> bool:
    """Whether ferryman runs the source at `url` (a `pipe://` script). ZMap loads the other
    schemes (`file://`, `http(s)://`, `ftp://`, `acedb://`, `mysql://`, `ensembl://`,
    `trackhub://`) itself; ferryman accepts them and runs nothing for them."""
    return scheme(url) in RUN_BY_FERRYMAN


def source_names(data: Any) -> list[str]:
    """The names in `[ZMap] sources`, in order (the column display order), each once."""
    return list(dict.fromkeys(_strings(_dict(_dict(data).get(ZMAP)).get("sources"))))


def stanza(data: Any, name: str) -> dict[str, Any] | None:
    """The source stanza called `name`, or None (ZMap's own stanzas are never sources)."""
    if name in _NON_SOURCE or not isinstance(data, dict):
        return None
    value = data.get(name)
    return value if isinstance(value, dict) else None


_NON_SOURCE = gkeyfile.NON_SOURCE_STANZAS


def server_groups(data: Any) -> dict[str, list[str]]:
    """`[Server-groups]`: group name -> its members (each once), in file order."""
    groups = _dict(_dict(data).get(SERVER_GROUPS))
    return {name: list(dict.fromkeys(_strings(members))) for name, members in groups.items()}


def config_dir(doc: Document) -> str:
    """The folder of the config file: relative paths in it resolve against this."""
    return os.path.dirname(doc.fs_path or os.path.abspath(doc.path))


def script_dir(data: Any, base: str) -> str:
    """`[ZMap] script-dir` made absolute against `base` (the config's folder); default `base`."""
    value = _dict(_dict(data).get(ZMAP)).get("script-dir")
    if isinstance(value, str) and value:
        return os.path.abspath(os.path.join(base, value))
    return os.path.abspath(base)


def stylesfile(data: Any, source: str | None = None) -> tuple[str, JsonPath] | None:
    """The stylesfile that applies to `source` (its own, else [ZMap]'s) and where it is named."""
    if source is not None:
        st = stanza(data, source)
        own = st.get("stylesfile") if st is not None else None
        if isinstance(own, str) and own:
            return own, (source, "stylesfile")
    shared = _dict(_dict(data).get(ZMAP)).get("stylesfile")
    if isinstance(shared, str) and shared:
        return shared, (ZMAP, "stylesfile")
    return None


class ZMapSource(NamedTuple):
    """One source of a ZMap config: its stanza's keys as ZMap reads them.

    `pipe` and `script` are set for a `pipe://` source whose url names a script (`script` is its
    absolute path); both are None for every other scheme, and for a `pipe://` url that names no
    script, whose reason is `pipe_error`. `stylesfile` is the stylesfile that applies to the source
    (its own, else [ZMap]'s) and where it is named.

    A named tuple, as the IR's records are: immutable, and a config has 10,000 sources, which a
    frozen dataclass costs five times as much to make (docs/architecture.md, "Speed").
    """

    name: str
    url: str
    scheme: str
    pipe: PipeUrl | None
    script: str | None
    featuresets: tuple[str, ...]
    delayed: bool
    sequence: bool
    timeout: int | None  # seconds
    stylesfile: tuple[str, JsonPath] | None = None
    pipe_error: str | None = None

    @property
    def run_by_ferryman(self) -> bool:
        """Whether ferryman runs this source (`pipe://`); ZMap loads the others itself."""
        return self.scheme in RUN_BY_FERRYMAN


def read_sources(data: Any, base: str) -> list[ZMapSource]:
    """The listed sources that have a stanza and a url, in display order (`base`: config folder).

    One pass over the config; the rules, the cross-file checks and the IR take it through
    `sources(doc)`, which reads a document once."""
    scripts = script_dir(data, base)
    resolve = ScriptResolver(scripts)
    shared = stylesfile(data)
    out: list[ZMapSource] = []
    for name in source_names(data):
        st = stanza(data, name)
        url = st.get("url") if st is not None else None
        if st is None or not isinstance(url, str):
            continue
        pipe: PipeUrl | None = None
        script: str | None = None
        error: str | None = None
        url_scheme = scheme(url)
        if url_scheme == "pipe":
            try:
                pipe = parse_pipe_url(url)
                script = resolve(pipe)
            except PipeUrlError as exc:
                pipe, error = None, str(exc)
        timeout = st.get("timeout")
        own = st.get("stylesfile")
        out.append(
            ZMapSource(
                name,
                url,
                url_scheme,
                pipe,
                script,
                tuple(_strings(st.get("featuresets"))),
                st.get("delayed") is True,
                st.get("sequence") is True,
                timeout if isinstance(timeout, int) and not isinstance(timeout, bool) else None,
                (own, (name, "stylesfile")) if isinstance(own, str) and own else shared,
                error,
            )
        )
    return out


def sources(doc: Document) -> tuple[ZMapSource, ...]:
    """`read_sources` of a loaded config, read once per document (its folder is `config_dir`)."""
    cached = doc.cache.get("zmap.sources")
    if cached is None:
        cached = doc.cache["zmap.sources"] = tuple(read_sources(doc.data, config_dir(doc)))
    result: tuple[ZMapSource, ...] = cached
    return result


class ScriptResolver:
    """`resolve_script(url, script_dir)` for one script folder, worked out once per script path
    as written (10,000 sources of a config share a handful of scripts)."""

    def __init__(self, script_dir: str) -> None:
        self.script_dir = script_dir
        self._done: dict[str, str] = {}

    def __call__(self, url: PipeUrl) -> str:
        script = self._done.get(url.path)
        if script is None:
            script = self._done[url.path] = resolve_script(url, self.script_dir)
        return script
