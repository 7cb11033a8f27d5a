"""Booleans and integers as each original tool reads them: the one place ferryman coerces values.

Every rule and the IR read a boolean or an integer written in an input through this module, so a
value means the same thing in a diagnostic, a plan and a run (docs/formats.md, "Coercion"). Each
reader returns a `Reading`: the value the original tool would use (or None when it refuses the
value) and the `Form` it was written in, which decides what ferryman says:

* `Form.NATIVE`: the JSON type itself (`true`, `10`) - silent.
* `Form.DOCUMENTED`: a string form the tool's documentation shows (`"true"`, `"10"`) - silent.
* `Form.LENIENT`: a form the tool's reader accepts but its documentation does not show
  (`"True"`, `1`, `" 10"`, `"010"`, `10.0`) - accepted, with a warning that says how it is read.
* `Form.INVALID`: the tool refuses it (or, for an int, it is out of the tool's range) - an error.

Readers:

* `jackson_bool`, `jackson_int`: a JSON value read into a Java `boolean` / `int` field by Jackson
  2.5 with default features, as ndex-sync 2.1 reads copy plans (`StdDeserializer
  ._parseBooleanPrimitive` / `._parseIntPrimitive`).
* `glib_bool`, `glib_int`: a GKeyFile value as `g_key_file_get_boolean` / `_get_integer` read it
  (ZMap's reader).

All are pure functions of the value.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from typing import Generic, TypeVar

T = TypeVar("T", bool, int)

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
"""A Java / C `int` (32 bits): the range both Jackson and GLib read integers into."""


class Form(enum.Enum):
    """How a value was written, relative to what its tool documents (see the module docstring)."""

    NATIVE = "native"
    DOCUMENTED = "documented"
    LENIENT = "lenient"
    INVALID = "invalid"


@dataclasses.dataclass(frozen=True)
class Reading(Generic[T]):
    """What a tool makes of one written value.

    `value` is None exactly when `form` is INVALID. `note` says, for a LENIENT or INVALID reading,
    why, in words fit for a message ("blanks around it are ignored", "over 2147483647, …").
    """

    value: T | None
    form: Form
    note: str = ""
    overflow: bool = False  # INVALID because outside the int range (not because of its spelling)

    @property
    def ok(self) -> bool:
        """True when the tool accepts the value (NATIVE, DOCUMENTED or LENIENT)."""
        return self.form is not Form.INVALID

    @property
    def silent(self) -> bool:
        """True when nothing needs saying (NATIVE or DOCUMENTED)."""
        return self.form in (Form.NATIVE, Form.DOCUMENTED)


def _invalid(note: str, *, overflow: bool = False) -> Reading[T]:
    return Reading(None, Form.INVALID, note, overflow)


_JAVA_BLANKS = "".join(chr(c) for c in range(0x21))  # what String.trim() strips: U+0000 .. U+0020


def java_trim(s: str) -> str:
    """`String.trim()`: strips every character up to U+0020 (blanks and control characters) at both
    ends, as Jackson does before reading a string as a number or boolean."""
    return s.strip(_JAVA_BLANKS)


_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)")  # the documented string form of a number: "10"
_JAVA_INT = re.compile(r"[+-]?[0-9]+")  # what Integer.parseInt / Long.parseLong read (ASCII digits)


# the readings of the forms almost every plan writes, made once (a Reading is immutable)
_NATIVE_TRUE: Reading[bool] = Reading(True, Form.NATIVE)
_NATIVE_FALSE: Reading[bool] = Reading(False, Form.NATIVE)
_DOCUMENTED_TRUE: Reading[bool] = Reading(True, Form.DOCUMENTED)
_DOCUMENTED_FALSE: Reading[bool] = Reading(False, Form.DOCUMENTED)


def jackson_bool(value: object) -> Reading[bool]:
    """A JSON value read into a Java `boolean` field by Jackson 2.5 (ndex-sync 2.1).

    NATIVE: `true`, `false`. DOCUMENTED: `"true"`, `"false"`. LENIENT: `"True"`, `"False"` and
    either with blanks around it (Jackson trims), `""` and `"null"` (false), `null` (false), any
    integer (0 is false, every other integer true). INVALID: everything else (`"TRUE"`, `"yes"`,
    `1.0`, arrays, objects) - Jackson refuses it and ndex-sync skips the plan.
    """
    if value is True:
        return _NATIVE_TRUE
    if value is False:
        return _NATIVE_FALSE
    if isinstance(value, str):
        if value == "true":
            return _DOCUMENTED_TRUE
        if value == "false":
            return _DOCUMENTED_FALSE
        text = java_trim(value)
        if text in ("true", "True"):
            return Reading(True, Form.LENIENT, "" if text == value else "blanks around it are ignored")
        if text in ("false", "False"):
            return Reading(False, Form.LENIENT, "" if text == value else "blanks around it are ignored")
        if text == "":
            return Reading(False, Form.LENIENT, "an empty string is read as false")
        if text == "null":
            return Reading(False, Form.LENIENT, '"null" is read as false')
        return _invalid('only "true" and "false" (or "True", "False") are read as booleans')
    if isinstance(value, int):
        return Reading(value != 0, Form.LENIENT, "0 is read as false and any other integer as true")
    if value is None:
        return Reading(False, Form.LENIENT, "null is read as false")
    return _invalid("a boolean is true or false")


def jackson_int(value: object) -> Reading[int]:
    """A JSON value read into a Java `int` field by Jackson 2.5 (ndex-sync 2.1).

    NATIVE: an integer in the int range (any sign: ranges of meaning are the rules' business).
    DOCUMENTED: its decimal string, `"10"`, `"-3"`. LENIENT: a number with a fraction (`10.0`;
    `10.5` is cut to 10, as Jackson does), a string with blanks around it, leading zeros or a plus
    sign (`" 10"`, `"010"`, `"+10"`), `""`, `"null"` and `null` (all 0). INVALID: a value outside
    -2^31 .. 2^31-1 (Jackson's overflow error), any other string (`"ten"`, `"1e3"`, `"10.0"`,
    non-ASCII digits), a boolean, an array, an object.
    """
    if isinstance(value, bool):
        return _invalid("a boolean is not a number")
    if isinstance(value, int):
        return _ranged(value, Form.NATIVE, "")
    if isinstance(value, float):
        if not math.isfinite(value):
            return _invalid("not a finite number")
        whole = int(value)  # Jackson's getIntValue: toward zero
        note = "the fraction is dropped" if whole != value else ""
        return _ranged(whole, Form.LENIENT, note)
    if value is None:
        return Reading(0, Form.LENIENT, "null is read as 0")
    if isinstance(value, str):
        if len(java_trim(value)) > 64:  # far past the int range (and past what int() may convert)
            return _invalid(f"outside {INT_MIN} .. {INT_MAX}, the range of an int", overflow=True)
        if _DECIMAL.fullmatch(value):
            return _ranged(int(value), Form.DOCUMENTED, "")
        text = java_trim(value)
        if text == "":
            return Reading(0, Form.LENIENT, "an empty string is read as 0")
        if text == "null":
            return Reading(0, Form.LENIENT, '"null" is read as 0')
        if not _JAVA_INT.fullmatch(text):
            return _invalid("not a whole number in decimal digits")
        if len(text.lstrip("+-").lstrip("0")) > 19:  # Long.parseLong fails before any range check
            return _invalid(f"outside {INT_MIN} .. {INT_MAX}, the range of an int", overflow=True)
        notes = []
        if text != value:
            notes.append("blanks around it are ignored")
        if text.startswith("+"):
            notes.append("the plus sign is ignored")
        if text.lstrip("+-").startswith("0") and len(text.lstrip("+-")) > 1:
            notes.append("leading zeros are ignored (it is not octal)")
        return _ranged(int(text), Form.LENIENT, ", ".join(notes))
    return _invalid("a number is written as digits")


def _ranged(value: int, form: Form, note: str) -> Reading[int]:
    if not INT_MIN <= value <= INT_MAX:
        side = f"over {INT_MAX} (2^31-1), the largest" if value > INT_MAX else f"under {INT_MIN} (-2^31), the smallest"
        return _invalid(f"{side} int", overflow=True)
    return Reading(value, form, note)


def glib_bool(text: str) -> Reading[bool]:
    """A GKeyFile value read by `g_key_file_get_boolean`: exactly `true`, `false`, `1` or `0`
    (case matters: `TRUE` is refused). `true`/`false` are DOCUMENTED; `1`/`0` are NATIVE to GLib
    too and read silently. The loader has already cut the value's surrounding blanks."""
    if text in ("true", "false"):
        return Reading(text == "true", Form.DOCUMENTED)
    if text in ("1", "0"):
        return Reading(text == "1", Form.NATIVE)
    return _invalid("write true, false, 1 or 0 (lower case)")


_C_INT = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+[ \t\n\v\f\r]*")


def glib_int(text: str) -> Reading[int]:
    """A GKeyFile value read by `g_key_file_get_integer` (base-10 `strtol`, then the int range):
    an optional sign and decimal digits; leading zeros are decimal. Outside the int range, or
    anything else (`1.5`, `0x10`, `ten`), is INVALID."""
    if not _C_INT.fullmatch(text):
        return _invalid("write a whole number in decimal digits")
    if len(text) > 64:
        return _invalid(f"outside {INT_MIN} .. {INT_MAX}, the range of an int", overflow=True)
    return _ranged(int(text.strip()), Form.NATIVE, "")
