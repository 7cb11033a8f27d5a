"""GKeyFile loader (GLib key files): ZMap configs and ZMap styles files (docs/formats.md, ZMap).

The format, as GLib reads it:

* a line is blank, a comment (`#` after optional whitespace), a `[group]` header (whitespace after
  the `]` is allowed) or `key = value` (whitespace around `=` trimmed; no inline comments; `;` is
  not a comment). Anything else is an error, as is a key before the first group.
* keys and groups are case-sensitive; a repeated key keeps the last value and a repeated group is
  merged into the first, both with a warning.
* escapes in values: `\\s \\n \\t \\r \\\\`, and `\\;` inside a list; any other escape is an error.
  Lists split on `;`, items are stripped and empty items dropped. Booleans are `true false 1 0`.
* one addition: the seed document breaks a long `url=` over indented lines. An indented line that
  directly follows a value ending in `&` continues that value (joined without its leading
  whitespace) when it has no blank inside: query pieces have none, while `delayed = true` (or
  `delayed\t=\ttrue`) is a key, as GLib reads it. A blank or comment line ends the value. Each
  continued value gets a warning: ZMap itself cannot read it, and `ferryman fmt` joins it.
* messages never quote a secret: a quoted line or value passes through `masked` (URL passwords,
  and whatever follows a password-like word), so a line such as `url pipe://me:pw@h` missing its
  `=` is shown without `pw` (docs/formats.md).

Decision: trailing whitespace of a value is dropped (GLib keeps it, but it is invisible in an
editor and only ever breaks paths); write `\\s` to keep a trailing space.

Two paths, one definition (docs/formats.md, "Fast path"). `parse` is the reference: a
hand-written loop that records positions as it goes and alone makes messages. `load_text` first
tries `fast_parse`, a few whole-text regular expressions run in C that answer only for a clean
file (ASCII; only blank, comment, `[group]` and simple `key = value` lines; no control character
outside values and comments; no repeated key or group, no locale key, no value that may be
continued) and otherwise return None. Both paths share one `normalize_values` core; when it finds
a problem on the fast path, the reference path runs so the problem is located as always. A
fast-path document locates lazily: its locator runs `parse` on the first call (a locator is only
called when something is reported). List item positions are worked out from the raw value
likewise.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from typing import Any, Literal, NamedTuple

from ..diagnostics import Diagnostic, JsonPath
from ..document import Code, Document, Locator, define
from ..secrets import mask_text
from . import LoadResult

GK_NOT_A_LINE = define(
    "GK201",
    "error",
    "line is not a [group] header, a key = value pair or a comment",
    "GKeyFile has no inline comments and no continuation lines (except one-word lines after a value ending in &)",
)
GK_KEY_OUTSIDE_GROUP = define(
    "GK202", "error", "key = value before the first [group] header", "move it under a [group] header"
)
GK_BAD_GROUP = define("GK203", "error", "invalid group name", "a group name is not empty and has no [ or ]")
GK_BAD_KEY = define(
    "GK204", "error", "invalid key name", "a key is not empty and has no [ or ] (except a [locale] suffix)"
)
GK_BAD_ESCAPE = define(
    "GK205",
    "error",
    "invalid escape sequence",
    "the escapes are \\s \\n \\t \\r \\\\ (and \\; inside a list); write a backslash as \\\\",
)
GK_NOT_BOOL = define("GK206", "error", "value is not a boolean", "write true, false, 1 or 0")
GK_NOT_INT = define("GK207", "error", "value is not an integer", "write a whole number, e.g. 120")
GK_REPEATED_KEY = define(
    "GK208", "warning", "key repeated in a group: the last value wins", "delete the line that does not count"
)
GK_REPEATED_GROUP = define(
    "GK209", "warning", "group header repeated: the groups are merged", "move its keys into the first group"
)
GK_CONTINUATION = define(
    "GK210",
    "warning",
    "value continued over indented lines, which ZMap cannot read",
    "run `ferryman fmt` to join it into one line",
)

ValueType = Literal["list", "bool", "int"]

# -- ZMap's key types (from ZMap's config loader); every key not named here is a string ----------
ZMAP_STANZA = "ZMap"
SERVER_GROUPS_STANZA = "Server-groups"
ZMAP_KEY_TYPES: dict[str, ValueType] = {
    "sources": "list",
    "columns": "list",
    "navigatorsets": "list",
    "seq-data": "list",
    "start": "int",
    "end": "int",
    "exit-timeout": "int",
    "sleep": "int",
    "port": "int",
    "max-features": "int",
    "show-mainwindow": "bool",
    "abbrev-window-title": "bool",
    "legacy-styles": "bool",
    "stylename-from-methodname": "bool",
    "xremote-debug": "bool",
    "curl-debug": "bool",
    "thread-fail-silent": "bool",
    "shrinkable": "bool",
    "highlight-filtered-columns": "bool",
    "enable-annotation": "bool",
}
SOURCE_KEY_TYPES: dict[str, ValueType] = {
    "featuresets": "list",
    "styles": "list",
    "navigator_sets": "list",
    "navigatorsets": "list",
    "biotypes": "list",
    "delayed": "bool",
    "sequence": "bool",
    "request-styles": "bool",
    "provide-mapping": "bool",
    "timeout": "int",
}
# Stanzas of a ZMap config that are not data sources (ZMap's own names), with their typed keys.
# `None` means: every value is a list.
NON_SOURCE_STANZAS: dict[str, dict[str, ValueType] | None] = {
    ZMAP_STANZA: ZMAP_KEY_TYPES,
    SERVER_GROUPS_STANZA: None,
    "columns": None,
    "blixem": {"dna-featuresets": "list", "protein-featuresets": "list", "featuresets": "list"},
    "ZMapWindow": {},
    "logging": {},
    "debug": {},
    "Peer": {},
    "glyphs": {},
    "heatmaps": {},
    "align": {},
    "import": {},
    "featuresets": {},
    "column-style": {},
    "column-description": {},
    "featureset-style": {},
    "featureset-source": {},
    "featureset-description": {},
    "featureset-related": {},
}

_NO_TYPES: dict[str, ValueType] = {}  # a styles file: every value is a string
_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
_INT32 = 2**31


@dataclasses.dataclass(slots=True)
class Entry:
    """One `key = value` line (plus its continuation lines), as written."""

    group: str
    key: str
    raw: str  # the value as written: trimmed, escapes not decoded, continuation pieces joined
    line: int  # where the key is
    col: int
    value_col: int  # where the value starts on `line`
    end_line: int  # last line of the value (== line unless continued)
    # for a continued value: (offset in raw, line, col) of each physical piece; None otherwise
    pieces: list[tuple[int, int, int]] | None = None

    @property
    def continued(self) -> bool:
        return self.pieces is not None

    def position(self, offset: int) -> tuple[int, int]:
        """Line and column of character `offset` of `raw`."""
        if self.pieces is None:
            return self.line, self.value_col + offset
        line, col, start = self.line, self.value_col, 0
        for piece_start, piece_line, piece_col in self.pieces:
            if piece_start > offset:
                break
            line, col, start = piece_line, piece_col, piece_start
        return line, col + offset - start


@dataclasses.dataclass(slots=True)
class Group:
    """A `[group]`: where it is first declared, its effective entries (last wins)."""

    name: str
    line: int
    col: int
    entries: dict[str, Entry] = dataclasses.field(default_factory=dict)
    repeats: list[int] = dataclasses.field(default_factory=list)  # lines of repeated headers


class Problem(NamedTuple):
    code: Code
    message: str
    line: int
    col: int
    json_path: JsonPath | None = None


@dataclasses.dataclass(slots=True)
class KeyFile:
    """A parsed key file: groups in file order, every entry in file order, syntax problems."""

    groups: dict[str, Group]
    entries: list[Entry]  # including those a later repeat overrides; fmt rewrites from these
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.code.severity.value == "error" for p in self.problems)


def parse(text: str) -> KeyFile:
    """Parse GKeyFile text into groups and raw entries with positions (values not decoded)."""
    groups: dict[str, Group] = {}
    entries: list[Entry] = []
    problems: list[Problem] = []
    group: Group | None = None
    in_bad_group = False  # keys under an invalid header: that header is the one error
    last: Entry | None = None  # the value that indented lines may continue
    group_entries: dict[str, Entry] = {}  # group.entries of `group`
    new_entry = Entry
    add_entry = entries.append
    for n, raw_line in enumerate(text.split("\n"), 1):
        line = raw_line.strip()
        if not line:
            last = None
            continue
        first = line[0]
        if first == "#":
            last = None
            continue
        indent = 0 if raw_line[0] == first else len(raw_line) - len(raw_line.lstrip())
        if indent and last is not None and last.raw[-1:] == "&" and _is_one_word(line):
            if last.pieces is None:
                last.pieces = []
            last.pieces.append((len(last.raw), n, indent + 1))
            last.raw += line
            last.end_line = n
            continue
        last = None
        if first == "[":
            close = line.find("]")
            if close == len(line) - 1:
                group = _open_group(groups, line[1:close], n, indent + 1, problems)
                in_bad_group = group is None
                if group is not None:
                    group_entries = group.entries
                continue
        eq = line.find("=")
        if eq < 0:
            shown = masked(line)
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            problems.append(
                Problem(GK_NOT_A_LINE, f"line {shown!r} is not a [group], a key = value or a comment", n, indent + 1)
            )
            continue
        key = line[:eq].rstrip()
        rest = line[eq + 1 :]
        value = rest.lstrip()
        if not key or (("[" in key or "]" in key) and not _is_locale_key(key)):
            what = "no key before '='" if not key else f"invalid key name {key!r}: [ and ] only in a [locale] suffix"
            problems.append(Problem(GK_BAD_KEY, what, n, indent + 1))
            continue
        if group is None:
            if in_bad_group:
                continue
            problems.append(
                Problem(GK_KEY_OUTSIDE_GROUP, f"key {key} comes before the first [group] header", n, indent + 1)
            )
            continue
        value_col = indent + eq + 2 + len(rest) - len(value)
        entry = new_entry(group.name, key, value, n, indent + 1, value_col, n)
        add_entry(entry)
        earlier = group_entries.get(key)
        if earlier is not None:
            problems.append(
                Problem(
                    GK_REPEATED_KEY,
                    f"key {key} is repeated in [{group.name}] (first at line {earlier.line}); the last value wins",
                    n,
                    indent + 1,
                    (group.name, key),
                )
            )
        group_entries[key] = entry
        last = entry
    for e in entries:
        if e.pieces is not None:
            lines = e.end_line - e.line + 1
            problems.append(
                Problem(
                    GK_CONTINUATION,
                    f"value of {e.key} continues over {lines} lines; ZMap cannot read continuation lines",
                    e.line,
                    e.col,
                    (e.group, e.key),
                )
            )
    return KeyFile(groups, entries, problems)


def join_continuations(text: str) -> tuple[str, KeyFile]:
    """`text` with every continued value joined into one line (what `ferryman fmt` writes), and
    the parse it comes from.

    Only the lines of continued values change: the key's line keeps everything up to its value,
    then holds the whole value, and its continuation lines go. Every other byte (comments, blank
    lines, line ends, trailing blanks) stays as it was. The text is returned unchanged when the
    parse has errors (`KeyFile.ok` is false): nothing is rewritten that was not understood.
    """
    kf = parse(text)
    continued = [e for e in kf.entries if e.pieces is not None]
    if not continued or not kf.ok:
        return text, kf
    lines = text.split("\n")  # as `parse` numbers them
    drop: set[int] = set()
    for e in continued:
        # the joined line ends as the value's last line did (CRLF kept; no line end at the end of a file)
        end = "\r" if lines[e.end_line - 1].endswith("\r") else ""
        lines[e.line - 1] = lines[e.line - 1][: e.value_col - 1] + e.raw + end
        drop.update(range(e.line, e.end_line))  # 0-based indexes of its continuation lines
    return "\n".join(line for i, line in enumerate(lines) if i not in drop), kf


def _is_one_word(line: str) -> bool:
    """Whether a stripped line has no blank inside (a continuation piece never has one)."""
    return len(line.split(None, 1)) == 1


# `scheme://userinfo@`: the userinfo of a URL anywhere in a text (RFC 3986 section 3.2.1)
# a password-like word (alone or inside a key such as db_password), and the rest of the text
_SECRET_NAME = r"pass(?:word|wd|phrase)|pwd|token|secret|api[-_]?key|credential"
_SECRET_WORD = re.compile(rf"(?i)({_SECRET_NAME})(\S*?[\s:=]+)(\S.*)")
_SECRET_KEY = re.compile(rf"(?i){_SECRET_NAME}")


def secret_like(key: str) -> bool:
    """Whether a key names a secret (`password`, `db_token`, `api-key`, ...): its value is never
    quoted in a message (docs/formats.md)."""
    return _SECRET_KEY.search(key) is not None



def masked(text: str) -> str:
    """`text` as a message may quote it: each URL password replaced by `***` (`pipe://me:***@h`;
    userinfo without a `:` is masked whole, as a token often stands in the user's place), and
    everything after a password-like word (`password`, `token`, `secret`, ...) replaced by `***`.

    Used on every quoted line or value of a GKeyFile or ZMap config (docs/formats.md). The same
    job as `compiler.secrets.mask_url_userinfo`, but for a URL anywhere in a text, not only at
    its start.
    """
    text = mask_urls(text)
    match = _SECRET_WORD.search(text)
    if match:
        text = text[: match.start(3)] + "***"
    return text


def mask_urls(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***`: the one masking mechanism,
    `compiler.secrets.mask_text` (a pipe URL's query string holds script arguments: kept)."""
    return mask_text(text, query=False)


def _open_group(groups: dict[str, Group], name: str, line: int, col: int, problems: list[Problem]) -> Group | None:
    if not name or "[" in name or not name.isprintable():
        if not name:
            what = "group header [] has no name"
        elif "[" in name:
            what = f"group name {name!r} contains ["
        else:
            what = f"group name {name!r} contains a control character"
        problems.append(Problem(GK_BAD_GROUP, what, line, col))
        return None  # its keys are skipped: the header is the one error
    existing = groups.get(name)
    if existing is not None:
        existing.repeats.append(line)
        msg = f"group [{name}] is repeated (first at line {existing.line}); the groups are merged"
        problems.append(Problem(GK_REPEATED_GROUP, msg, line, col, (name,)))
        return existing
    g = groups[name] = Group(name, line, col)
    return g


def _is_locale_key(key: str) -> bool:
    # GLib's `name[locale]` form: one bracketed suffix at the very end
    open_ = key.find("[")
    return open_ > 0 and key.endswith("]") and key.count("[") == 1 and key.count("]") == 1


class _EscapeError(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def decode_string(raw: str, *, keep_semicolon: bool = False, base: int = 0) -> str:
    """Decode the escapes of a string value. `keep_semicolon` leaves `\\;` as written.

    Raises `_EscapeError` with the offset (from `base`) of the bad escape.
    """
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c != "\\":
            j = raw.find("\\", i)
            if j < 0:
                out.append(raw[i:])
                break
            out.append(raw[i:j])
            i = j
            continue
        if i + 1 >= n:
            raise _EscapeError(base + i, "ends with an escape character \\")
        nxt = raw[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
        elif nxt == ";" and keep_semicolon:
            out.append("\\;")
        else:
            raise _EscapeError(base + i, f"has an invalid escape sequence \\{nxt}")
        i += 2
    return "".join(out)


def _split_raw(raw: str) -> list[tuple[int, str]]:
    """Split a raw list value on unescaped `;`: (offset, stripped piece), empty pieces dropped."""
    pieces: list[tuple[int, str]] = []
    start = 0
    i = 0
    n = len(raw)
    while True:
        if i >= n or raw[i] == ";":
            piece = raw[start:i]
            stripped = piece.strip()
            if stripped:
                pieces.append((start + len(piece) - len(piece.lstrip()), stripped))
            if i >= n:
                return pieces
            start = i + 1
        elif raw[i] == "\\":
            i += 1  # skip the escaped character, `\;` included
        i += 1


def decode_list(raw: str) -> list[str]:
    """Decode a list value: split on unescaped `;`, strip items, drop empty ones, decode escapes."""
    if "\\" not in raw:
        if ";" not in raw:
            item = raw.strip()
            return [item] if item else []
        return [item for item in map(str.strip, raw.split(";")) if item]
    out: list[str] = []
    for offset, piece in _split_raw(raw):
        out.append(_decode_list_item(piece, offset))
    return out


def _decode_list_item(piece: str, offset: int) -> str:
    if "\\;" in piece:
        parts = piece.split("\\;")
        decoded = []
        at = offset
        for p in parts:
            decoded.append(decode_string(p, base=at))
            at += len(p) + 2
        return ";".join(decoded)
    return decode_string(piece, base=offset)


def list_item_offsets(raw: str) -> list[int]:
    """The offset in `raw` of each item `decode_list(raw)` returns."""
    return [offset for offset, _ in _split_raw(raw)]


class ValueProblem(NamedTuple):
    """A value that cannot be read as its type: where (group, key, character offset in the raw
    value), which code and the message."""

    group: str
    key: str
    offset: int
    code: Code
    message: str


class _BadValue(Exception):
    def __init__(self, offset: int, code: Code, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.code = code
        self.message = message


def _typed(raw: str, key: str, kind: ValueType | None, keep_semicolon: bool) -> Any:
    """The decoded value of `raw` (the value of `key`) as `kind`; raises `_BadValue`."""
    try:
        if kind == "list":
            return decode_list(raw)
        text = decode_string(raw, keep_semicolon=keep_semicolon)
    except _EscapeError as exc:
        raise _BadValue(exc.offset, GK_BAD_ESCAPE, f"value of {key} {exc.message}") from None
    shown = f"{key} = {text}" if text else f"the empty value of {key}"
    if kind == "bool":
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise _BadValue(0, GK_NOT_BOOL, f"{shown} is not a boolean (true, false, 1 or 0)")
    if kind == "int":
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit():
            number = int(text)
            if -_INT32 <= number < _INT32:
                return number
            raise _BadValue(0, GK_NOT_INT, f"{shown} is out of range for an integer")
        raise _BadValue(0, GK_NOT_INT, f"{shown} is not an integer")
    return text


def zmap_key_types(group: str) -> dict[str, ValueType] | None:
    """The typed keys of a ZMap config stanza; None when every value is a list."""
    if group in NON_SOURCE_STANZAS:
        return NON_SOURCE_STANZAS[group]
    return SOURCE_KEY_TYPES


def normalize_values(
    raw: dict[str, dict[str, Any]], kind: str, escapes: bool = True
) -> tuple[dict[str, dict[str, Any]], list[ValueProblem]]:
    """Turn raw values `{group: {key: raw value}}` into the normalized form, in place, and return
    it with the values that could not be read (those keys are dropped).

    For "zmap", values are typed as ZMap reads them (lists, bools, ints; other values strings);
    for "styles" every value is a string. `escapes=False` promises that no raw value holds a
    backslash (the whole text has none), so no string needs decoding: only typed keys are looked
    at. Raw values are trimmed (as `parse` and `fast_parse` give them).
    """
    problems: list[ValueProblem] = []
    styles = kind == "styles"
    if styles and not escapes:
        return raw, problems  # every value is the string as written
    for name, group in raw.items():
        types = _NO_TYPES if styles else zmap_key_types(name)
        if not types and types is not None and not escapes:
            continue  # only strings, as written
        bad: list[str] = []
        for key, value in group.items():
            vtype = "list" if types is None else types.get(key)
            if not escapes or "\\" not in value:
                if vtype is None:
                    continue  # the common case, kept cheap: a string as written
                if vtype == "list":
                    group[key] = decode_list(value)  # no escape: it cannot fail
                    continue
            try:
                group[key] = _typed(value, key, vtype, keep_semicolon=styles)
            except _BadValue as exc:
                problems.append(ValueProblem(name, key, exc.offset, exc.code, exc.message))
                bad.append(key)
        for key in bad:
            del group[key]
    return raw, problems


def normalize(kf: KeyFile, kind: str) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """The normalized form `{group: {key: value}}` of a parsed file (see `normalize_values`),
    with each value problem located in the file."""
    raw = {name: {key: e.raw for key, e in group.entries.items()} for name, group in kf.groups.items()}
    data, found = normalize_values(raw, kind)
    problems: list[Problem] = []
    for p in found:
        entry = kf.groups[p.group].entries[p.key]
        line, col = entry.position(p.offset)
        problems.append(Problem(p.code, p.message, line, col, (p.group, p.key)))
    return data, problems


def locator(kf: KeyFile) -> Any:
    """A `Locator` for the normalized form: group header, key, or list item inside the value."""

    def locate(path: JsonPath) -> tuple[int, int]:
        if not path or not isinstance(path[0], str) or path[0] not in kf.groups:
            return (1, 1)
        group = kf.groups[path[0]]
        entry = group.entries.get(path[1]) if len(path) > 1 and isinstance(path[1], str) else None
        if entry is None:
            return group.line, group.col
        if len(path) > 2 and isinstance(path[2], int):
            offsets = list_item_offsets(entry.raw)
            if 0 <= path[2] < len(offsets):
                return entry.position(offsets[path[2]])
            return entry.line, entry.value_col
        return entry.line, entry.col

    return locate


def _diagnostic(display: str, p: Problem) -> Diagnostic:
    c = p.code
    # every message passes the URL mask: whatever a message quotes, no URL password gets out
    return Diagnostic(display, p.line, p.col, c.severity, c.code, mask_urls(p.message), p.json_path, c.hint)


def diagnostics(kf: KeyFile, display: str) -> list[Diagnostic]:
    """The syntax problems of a parsed file as diagnostics of file `display`."""
    return [_diagnostic(display, p) for p in kf.problems]


# -- the fast path (docs/formats.md, "Fast path") ------------------------------------------------
# The lines of a clean file, each matched from the "\n" before it (the text gets one in front):
# a `key = value` line (group 1: a key of printable ASCII without =, [ or ], not starting with #,
# blanks only between words; group 2: the value as `parse` keeps it, `str.strip`ped: whitespace
# around it goes, whatever is inside stays), a `[group]` header (group 3: a name of printable ASCII
# without [ or ]) or a comment line (no group); a `\r` only right before the line end (or inside a
# value or comment). `split` on this pattern gives the groups of each line and, between them, the
# lines that matched nothing: those must all be blank. Any other line (a syntax problem, a locale
# key `k[de]`, a control character outside a value or comment) stays there, and the reference
# `parse` runs instead. The text is ASCII, so `\s` is the whitespace `str.strip` removes.
# Possessive quantifiers (Python 3.11+) match the same here, as each piece has one way to match,
# but keep no backtracking state: a sixth faster on a large config.
_P = "+" if sys.version_info >= (3, 11) else ""
_EOL = rf"[ \t]*{_P}\r?(?=\n|\Z)"  # trailing blanks, an optional \r, then the line end
_NAME = r"[\x20-\x5a\x5c\x5e-\x7e]"  # printable ASCII but [ ]
_KEY_FIRST = r"[\x21\x22\x24-\x3c\x3e-\x5a\x5c\x5e-\x7e]"  # printable ASCII but blank # = [ ]
_KEY_CHAR = r"[\x21-\x3c\x3e-\x5a\x5c\x5e-\x7e]"  # printable ASCII but blank = [ ]
_KEY = rf"{_KEY_FIRST}{_KEY_CHAR}*{_P}(?:[ \t]+{_P}{_KEY_CHAR}+{_P})*{_P}"  # words, blanks between
_VALUE = rf"[^\S\n]*{_P}([^\n]*\S|)[^\S\n]*{_P}(?=\n|\Z)"  # the rest of the line, str.strip-ped
_FAST_LINE = re.compile(rf"\n[ \t]*(?:({_KEY})[ \t]*={_VALUE}|\[({_NAME}+)\]{_EOL}|#[^\n]*)")
# blank lines only (each from the "\n" before it)
_BLANK_LINES = re.compile(r"(?:\n[ \t]*\r?)*")
# a value ending in `&` followed by an indented line: maybe a continued value (the reference decides)
_MAYBE_CONTINUED = re.compile(r"&[^\S\n]*\n[ \t]")


def fast_parse(text: str) -> dict[str, dict[str, str]] | None:
    """`{group: {key: raw value}}` of a clean file, exactly as `parse` reads it, or None when the
    text has anything this path does not handle (then `parse` decides, and alone reports).

    A clean file is ASCII, has only blank, comment, `[group]` and `key = value` lines (no
    control character but tab outside values and comments, and `\\r` outside them only before a
    line end), no key before the first group, no repeated key or group, no locale key, and no
    value ending in `&` followed by an indented line. For such a file `parse` reports no problem
    at all, so None is also the answer whenever `parse` would report something. Raw values are
    as `parse` keeps them: trimmed with `str.strip`, escapes not decoded.
    """
    # ASCII only: no Unicode blank to weigh against str.strip, and a quick way out otherwise
    if not text.isascii() or _MAYBE_CONTINUED.search(text) is not None:
        return None
    parts = _FAST_LINE.split("\n" + text)  # unmatched text, then the 3 groups, per matched line
    unmatched = "".join(parts[0::4])
    if unmatched.count("\n") != len(unmatched) and _BLANK_LINES.fullmatch(unmatched) is None:
        return None  # some line is none of the simple forms
    groups: dict[str, dict[str, str]] = {}
    group: dict[str, str] = {}  # keys before the first group land here, and then miss the count
    comments = 0
    each = iter(parts)
    for _, key, value, name in zip(each, each, each, each, strict=False):  # the last unmatched text is left
        if key:
            group[key] = value
        elif name:
            group = groups[name] = {}
        else:
            comments += 1
    if len(groups) + sum(map(len, groups.values())) + comments != len(parts) // 4:
        return None  # a key before the first group, a repeated group or a key repeated in its group
    return groups


def _lazy_locator(text: str) -> Locator:
    """A locator for a fast-path document: the reference `parse` runs on its first call, once."""
    found: list[Locator] = []

    def locate(path: JsonPath) -> tuple[int, int]:
        if not found:
            found.append(locator(parse(text)))
        return found[0](path)

    return locate


def load_text(text: str, display: str, kind: str, fs_path: str | None = None) -> LoadResult:
    """Load a ZMap config (kind "zmap") or styles file (kind "styles").

    Any error (syntax, escape, boolean, integer) means no document: every error is reported and
    the rules do not run on a partial file. Warnings come with the document. A clean file takes
    the fast path (`fast_parse`, see the module docstring); anything else, or any value problem
    on the fast path, takes the reference path, which alone makes messages and positions.
    """
    raw = fast_parse(text)
    data, found = ({}, []) if raw is None else normalize_values(raw, kind, escapes="\\" in text)
    if raw is not None and not found:
        return LoadResult(Document(display, kind, data, text, _lazy_locator(text), fs_path), [])
    kf = parse(text)
    data, value_problems = normalize(kf, kind)
    problems = kf.problems + value_problems
    diagnostics = [_diagnostic(display, p) for p in problems]
    if any(d.is_error for d in diagnostics):
        return LoadResult(None, diagnostics)
    return LoadResult(Document(display, kind, data, text, locator(kf), fs_path), diagnostics)
