"""compiler.coerce: booleans and integers as Jackson 2.5 (ndex-sync) and GLib (ZMap) read them."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman.compiler.coerce import Form, glib_bool, glib_int, jackson_bool, jackson_int, java_trim

N, D, L = Form.NATIVE, Form.DOCUMENTED, Form.LENIENT


@pytest.mark.parametrize(
    ("value", "expected", "form"),
    [
        (True, True, N), (False, False, N), ("true", True, D), ("false", False, D),
        ("True", True, L), ("False", False, L), (" true\t", True, L), ("", False, L), ("null", False, L),
        (None, False, L), (1, True, L), (0, False, L), (-3, True, L),
    ],
)
def test_jackson_bool_accepts(value: Any, expected: bool, form: Form) -> None:
    reading = jackson_bool(value)
    assert (reading.value, reading.form) == (expected, form)
    assert reading.ok and reading.silent == (form is not L)


@pytest.mark.parametrize("value", ["TRUE", "FALSE", "yes", "1", "t", 1.0, 0.0, [], {}, "tru e"])
def test_jackson_bool_refuses(value: Any) -> None:
    reading = jackson_bool(value)
    assert reading.value is None and reading.form is Form.INVALID and not reading.ok and reading.note


@pytest.mark.parametrize(
    ("value", "expected", "form"),
    [
        (10, 10, N), (-5, -5, N), (2**31 - 1, 2**31 - 1, N), (-(2**31), -(2**31), N),
        ("10", 10, D), ("-3", -3, D), ("0", 0, D),
        (" 10", 10, L), ("010", 10, L), ("+10", 10, L), (10.0, 10, L), (10.9, 10, L), (-10.9, -10, L),
        ("", 0, L), ("null", 0, L), (None, 0, L), ("0" * 30 + "7", 7, L),
    ],
)
def test_jackson_int_accepts(value: Any, expected: int, form: Form) -> None:
    reading = jackson_int(value)
    assert (reading.value, reading.form) == (expected, form)


@pytest.mark.parametrize(
    ("value", "overflow"),
    [
        (2**31, True), (-(2**31) - 1, True), ("2147483648", True), ("9" * 5000, True), (1e12, True),
        (True, False), ("ten", False), ("1e3", False), ("10.0", False), ("١٠", False), ([10], False),
        (float("nan"), False), (float("inf"), False),
    ],
)
def test_jackson_int_refuses(value: Any, overflow: bool) -> None:
    reading = jackson_int(value)
    assert reading.value is None and reading.form is Form.INVALID
    assert reading.overflow is overflow


def test_java_trim_strips_control_characters_too() -> None:
    assert java_trim("\x00\x1f 10 \x7f") == "10 \x7f"  # U+007F is above U+0020: kept, as Java does


def test_glib_readers() -> None:
    assert [glib_bool(t).value for t in ("true", "false", "1", "0", "TRUE", "True", "yes", " true")] == [
        True, False, True, False, None, None, None, None,
    ]
    assert [glib_int(t).value for t in ("10", "-3", "+4", "010", " 7 ", "1.5", "0x10", "2147483648", "")] == [
        10, -3, 4, 10, 7, None, None, None, None,
    ]
