"""ZMap `pipe://` URLs (docs/formats.md, ZMap): which script to run and with which arguments.

    pipe://[user[:password]@][host[:port]]/url-path[;typecode][?query][#fragment]

User, password, host, port, typecode and fragment are ignored. After the authority one `/` is
a separator (RFC 1738), so `pipe:///get.pl` names the relative path `get.pl` and
`pipe:////opt/bin/get.pl` the absolute `/opt/bin/get.pl`. The query becomes the argument list:
split on `&`, each piece one argument exactly as written, empty pieces dropped.

Parsing is pure; `resolve_script` and `escapes_script_dir` look at the file system only to
resolve symlinked folders.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

SCHEME = "pipe://"


class PipeUrlError(ValueError):
    """A `pipe://` URL that names no script."""


class PipeUrl(NamedTuple):
    """A parsed pipe URL: the script path as written and the arguments the query gives (a named
    tuple: a config has thousands, see `zmapconfig.ZMapSource`)."""

    url: str
    path: str  # relative ("get.pl") or absolute ("/opt/bin/get.pl"), as written
    query: str  # after the `?`, before any `#`: the argument list, split by `args`
    # `pipe://getgff.pl?…`: a script name where the host goes, taken as the relative path
    short_form: bool = False
    # `pipe:///software/bin/x.pl`: relative by the rule, but the seed document read it as the
    # absolute `/software/bin/x.pl` (a multi-part path after the separator slash)
    seed_reads_absolute: bool = False

    @property
    def args(self) -> tuple[str, ...]:
        """The script's arguments: the query split on `&`, each piece as written, empty pieces
        dropped (split when asked: the checks never need them, a plan does)."""
        return tuple(filter(None, self.query.split("&")))

    @property
    def is_absolute(self) -> bool:
        return self.path.startswith("/")

    @property
    def seed_reading(self) -> str:
        """The absolute path the seed document would take `path` for."""
        return "/" + self.path


@functools.lru_cache(maxsize=65536)
def parse_pipe_url(url: str) -> PipeUrl:
    """Parse a `pipe://` URL. Raises `PipeUrlError` when it is not one or names no script."""
    if url[: len(SCHEME)].lower() != SCHEME:
        raise PipeUrlError(f"{url} is not a pipe:// URL")
    rest = url[len(SCHEME) :]
    if "#" in rest:
        rest = rest.split("#", 1)[0]  # the fragment is ignored
    hier, _, query = rest.partition("?")
    slash = hier.find("/")
    if slash < 0:
        # no path: the short form, a script name where the host would be
        name = hier.split(";", 1)[0]
        if not name or "@" in name or ":" in name:
            raise PipeUrlError(f"{url} names no script (nothing after the host)")
        return PipeUrl(url, name, query, short_form=True)
    path = hier[slash + 1 :].split(";", 1)[0]  # one `/` separates; `;typecode` is ignored
    if not path or path == "/":
        raise PipeUrlError(f"{url} names no script (the path after the host is empty)")
    first = path.split("/", 1)[0]
    seed_absolute = "/" in path and not path.startswith("/") and first not in (".", "..")
    return PipeUrl(url, path, query, False, seed_absolute)


def argv(url: PipeUrl, region: tuple[int, int] | None = None) -> list[str]:
    """The arguments after the script: the query pieces, then `zmap_start=S zmap_end=E`."""
    out = list(url.args)
    if region is not None:
        out += [f"zmap_start={region[0]}", f"zmap_end={region[1]}"]
    return out


@functools.lru_cache(maxsize=65536)
def resolve_script(url: PipeUrl, script_dir: str) -> str:
    """The script's normalized path: absolute as written, or relative to `script_dir`."""
    if url.is_absolute:
        return os.path.normpath(url.path)
    return os.path.normpath(os.path.join(script_dir, url.path))


def escapes_script_dir(url: PipeUrl, script_dir: str) -> bool:
    """Whether a relative script path leads outside `script_dir`.

    By `..` (after normalizing), or through a symlinked folder inside it. A symlinked script file
    is allowed: linking installed tools into the scripts folder is ordinary practice.
    """
    if url.is_absolute:
        return False
    base = os.path.abspath(script_dir)
    target = resolve_script(url, base)
    if not _within(target, base):
        return True
    folder = os.path.dirname(target)
    if folder == base:
        return False  # directly in script-dir: nothing to resolve (the common case, kept cheap)
    return not _within(os.path.realpath(folder), os.path.realpath(base))


def _within(path: str, folder: str) -> bool:
    """Whether normalized absolute `path` is `folder` or below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
