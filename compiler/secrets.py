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


# --- masking: the one mechanism every message and written plan uses (docs/formats.md, "Secrets in
# messages") ----------------------------------------------------------------------------------------

MASK = "***"

# `scheme://user:password@` or `//user:password@` anywhere in a text. The password runs to the last
# `@` before a blank or `/` (a raw `@` in a password is common); a password cut short by a
# truncation mark `…` (a long value shortened for a message) is masked as well.
_USERINFO_IN_TEXT = re.compile(
    r"(?P<pre>(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^\s/@:\"'<>]*:)(?P<pw>[^\s/]*?)(?P<end>@(?=[^\s@/]*(?:[\s/\"'<>…]|$))|…)"
)
# `user:password@host` without a scheme, e.g. a route written as `curator:pw@host/v2`
_BARE_USERINFO = re.compile(
    r"(?P<pre>(?<![\w.+%/:${-])[\w.+%-]+:)(?P<pw>[^\s/@\"'<>]+)(?P<end>@)(?=[\w-]+(?:\.[\w-]+)*(?::\d+)?(?:[/\s\"'<>…]|$))"
)
# `scheme://token@host`: a userinfo without `:` in a URL often is a token standing in the user's place
_TOKEN_USERINFO = re.compile(r"\b(?P<pre>[A-Za-z][A-Za-z0-9+.-]*://)(?P<tok>[^\s/?#@\[\]:]+)@")
# a URL in a text, for its query string and fragment: up to a blank, a quote or a bracket
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]*")


def _password(m: re.Match[str]) -> str:
    pw = m.group("pw")
    # an empty password hides nothing; a reference is not a secret and tells where the value comes from
    if not pw or is_reference(pw):
        return m.group(0)
    return f"{m.group('pre')}{MASK}{m.group('end')}"


def _token(m: re.Match[str]) -> str:
    tok = m.group("tok")
    return m.group(0) if tok == MASK or is_reference(tok) else f"{m.group('pre')}{MASK}@"


def _query(m: re.Match[str]) -> str:
    url = m.group(0)
    for mark in ("#", "?"):
        head, sep, tail = url.partition(mark)
        if sep and tail and tail != MASK:
            url = f"{head}{sep}{MASK}"
    return url


def mask_text(text: str, *, query: bool = True) -> str:
    """`text` with every URL password masked, and (with `query`) every URL's query string and
    fragment: `https://bob:pw@h/v2?key=k` -> `https://bob:***@h/v2?***`.

    Passwords are found in `scheme://user:pw@`, `//user:pw@` and bare `user:pw@host` forms (and a
    URL's userinfo without `:`, `scheme://token@host`, is masked whole: it is often a token), also
    when a truncation mark `…` cut the value before its `@`; a password that is exactly one
    `${env:NAME}` reference stays (it is no secret). The user name, host and path stay, so the
    message still says which URL it is about. Pure, and cheap when the text has no `@`, `?`, `#`
    or `…`.
    """
    if "@" in text or "…" in text:
        text = _USERINFO_IN_TEXT.sub(_password, text)
        if "@" in text:
            text = _BARE_USERINFO.sub(_password, text)
            if "://" in text:
                text = _TOKEN_USERINFO.sub(_token, text)
    if query and ("?" in text or "#" in text) and "://" in text:
        text = _URL_IN_TEXT.sub(_query, text)
    return text


def mask_url(url: str) -> str:
    """One URL as every output shows it: password and query string (and fragment) masked.

    `https://curator:PW@host/v2?token=t` -> `https://curator:***@host/v2?***`. See `mask_text`.
    """
    return mask_text(url, query=True)


def mask_urls_in_text(text: str) -> str:
    """`mask_text(text, query=True)`: for messages quoting copy-plan values, where a route's
    query string may carry a token."""
    return mask_text(text, query=True)


def mask_url_userinfo(url: str) -> str:
    """`pipe://user:pass@host/x` -> `pipe://user:***@host/x`: the password only (a pipe URL's query
    string holds the script's arguments, which plans show). Same mechanism as `mask_text`."""
    return mask_text(url, query=False)
