"""Secret references: the `${env:NAME}` syntax every part of ferryman shares.

Any string value of an input may hold `${env:NAME}` (NAME = `[A-Za-z_][A-Za-z0-9_]*`) instead of a
secret. References are resolved at run time only, by the executor that needs the value, right
before it is used: validation, plans, journals, reports and exports carry the reference text,
never the value. There is no escape for a literal `${`: none of the input formats needs one.

This module is pure (no I/O, no global state): the environment is always passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ferryman.errors import FerrymanError

NAME = r"[A-Za-z_][A-Za-z0-9_]*"

REFERENCE = re.compile(r"\$\{env:(" + NAME + r")\}")
"""One well-formed reference; group 1 is the variable name."""

# Anything that starts like a reference but is not one. Tried only where REFERENCE did not match.
#   `${…}` closed within a short span (so `${ env:X }` is quoted whole), else `${…` up to a space;
#   `$env:X`, `$ENV{X}`, `$env(X)` (a sigil but no brace); `{env:X}` (a brace but no sigil).
_MALFORMED = r"\$\{(?:[^{}$\n]{0,64}\}|[^{}$\s]*)|\$env[:{(][^\s${}()]*[})]?|(?<!\$)\{env:[^\s${}]*\}?"
_SCAN = re.compile(r"(?P<ok>" + REFERENCE.pattern + r")|(?P<bad>" + _MALFORMED + r")", re.IGNORECASE)


class SecretError(FerrymanError):
    """A reference cannot be resolved. The message names the variable, never a value."""


def is_reference(s: str) -> bool:
    """True when `s` is exactly one well-formed reference, e.g. `${env:NDEX_PASSWORD}`."""
    return REFERENCE.fullmatch(s) is not None


def references(s: str) -> list[str]:
    """The variable names `s` refers to, in order of appearance (repeats kept)."""
    return [m.group(1) for m in REFERENCE.finditer(s)]


def malformed_references(s: str) -> list[tuple[int, str]]:
    """(offset, text) of every fragment of `s` that looks like a reference but is not well-formed.

    Examples: `${env:}`, `${ENV:X}`, `${env:1X}`, `${env:X` (unclosed), `$env:X`, `{env:X}`.
    """
    if ("$" not in s and "{" not in s) or REFERENCE.fullmatch(s):
        return []  # the common cases, decided without a scan
    out: list[tuple[int, str]] = []
    for m in _SCAN.finditer(s):
        # the scan is case-insensitive so `${ENV:X}` is caught; a real reference is case-exact
        if m.group("ok") is not None and REFERENCE.fullmatch(m.group("ok")):
            continue
        out.append((m.start(), m.group()))
    return out


def resolve(s: str, environ: Mapping[str, str]) -> str:
    """Replace every reference in `s` by its variable's value from `environ`.

    Raises `SecretError` naming the first unset variable, or quoting a malformed reference
    (a reference's text is not secret; only the values are).
    """
    bad = malformed_references(s)
    if bad:
        offset, text = bad[0]
        raise SecretError(
            f"malformed secret reference {text!r} at character {offset + 1}",
            hint="write ${env:NAME}, NAME being letters, digits and _ (not starting with a digit)",
        )

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in environ:
            raise SecretError(
                f"environment variable {name} is not set",
                hint=f"export {name}=… before the run (it is referenced as ${{env:{name}}})",
            )
        return environ[name]

    return REFERENCE.sub(value, s)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of every secret value replaced by `***`.

    Empty values are ignored (they would match everywhere). Longer values are matched first, so a
    secret that contains another is hidden whole. Callers pass every form a value may take in
    their output (for example the Basic-auth header value as well as the password).
    """
    values = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not values:
        return text
    pattern = re.compile("|".join(re.escape(v) for v in values))
    return pattern.sub("***", text)


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@?#]*)@")


def mask_url_userinfo(url: str) -> str:
    """`pipe://user:pass@host/x` -> `pipe://user:***@host/x`: a URL's password never reaches a plan."""
    m = _USERINFO.match(url)
    if not m or ":" not in m.group(2):
        return url
    user = m.group(2).split(":", 1)[0]
    return f"{m.group(1)}{user}:***@{url[m.end():]}"
