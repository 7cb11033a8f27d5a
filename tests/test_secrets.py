"""The ${env:NAME} reference syntax: recognition, malformed fragments, resolution, redaction."""

from __future__ import annotations

import pytest

from ferryman.compiler.secrets import (
    REFERENCE,
    SecretError,
    is_reference,
    malformed_references,
    redact,
    references,
    resolve,
)
from ferryman.errors import ExitCode, FerrymanError


def test_reference_pattern_names_the_variable() -> None:
    m = REFERENCE.fullmatch("${env:NDEX_SOURCE_PASSWORD}")
    assert m is not None
    assert m.group(1) == "NDEX_SOURCE_PASSWORD"


@pytest.mark.parametrize("text", ["${env:X}", "${env:_x1}", "${env:NDEX_TARGET_PASSWORD}"])
def test_is_reference_accepts_one_whole_reference(text: str) -> None:
    assert is_reference(text)


@pytest.mark.parametrize(
    "text", ["", "secret", "${env:X}x", "x${env:X}", "${env:X}${env:Y}", "${ENV:X}", "${env:1X}", "$env:X"]
)
def test_is_reference_rejects_anything_else(text: str) -> None:
    assert not is_reference(text)


def test_references_lists_names_in_order() -> None:
    assert references("https://${env:HOST}:${env:PORT}/v2?u=${env:HOST}") == ["HOST", "PORT", "HOST"]
    assert references("no refs, $5 and {braces}") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${env:}", [(0, "${env:}")]),
        ("${ENV:X}", [(0, "${ENV:X}")]),
        ("${env:1X}", [(0, "${env:1X}")]),
        ("a ${env:X", [(2, "${env:X")]),
        ("$env:X", [(0, "$env:X")]),
        ("${X}", [(0, "${X}")]),
        ("{env:X}", [(0, "{env:X}")]),
        ("$ENV{HOME}", [(0, "$ENV{HOME}")]),
        ("${ env:X }", [(0, "${ env:X }")]),
        ("${env:X:-default}", [(0, "${env:X:-default}")]),
        # an unclosed reference stops before the next one, which is still recognized as good
        ("${env:A ${env:B}", [(0, "${env:A")]),
        ("ok ${env:A} bad ${env:} ok ${env:B}", [(16, "${env:}")]),
    ],
)
def test_malformed_references_gives_offset_and_text(text: str, expected: list[tuple[int, str]]) -> None:
    assert malformed_references(text) == expected


@pytest.mark.parametrize("text", ["", "plain", "${env:X}", "a${env:X}b${env:Y_2}", "$5 {x} $$", "$${env:A}"])
def test_well_formed_or_unrelated_text_has_no_malformed_references(text: str) -> None:
    assert malformed_references(text) == []


def test_resolve_substitutes_every_reference() -> None:
    env = {"HOST": "ndex.example.org", "PW": "p@ss"}
    assert resolve("https://${env:HOST}/v2", env) == "https://ndex.example.org/v2"
    assert resolve("${env:PW}", env) == "p@ss"
    assert resolve("no references", env) == "no references"
    assert resolve("${env:EMPTY}", {"EMPTY": ""}) == ""


def test_resolve_unset_variable_names_it_and_never_a_value() -> None:
    env = {"NDEX_SOURCE_PASSWORD": "s3cr3t-value"}
    with pytest.raises(SecretError) as info:
        resolve("${env:NDEX_SOURCE_PASSWORD}:${env:NDEX_TARGET_PASSWORD}", env)
    err = info.value
    assert isinstance(err, FerrymanError)
    assert err.exit_code == ExitCode.FAILED
    assert err.message == "environment variable NDEX_TARGET_PASSWORD is not set"
    assert err.hint == "export NDEX_TARGET_PASSWORD=… before the run (it is referenced as ${env:NDEX_TARGET_PASSWORD})"
    assert "s3cr3t-value" not in str(err) + (err.hint or "")


def test_resolve_refuses_a_malformed_reference() -> None:
    with pytest.raises(SecretError) as info:
        resolve("user ${env:1X}", {"1X": "v"})
    assert info.value.message == "malformed secret reference '${env:1X}' at character 6"


def test_redact_replaces_every_secret_value() -> None:
    text = "login alice:hunter2 failed; retry with hunter2 and token abc123"
    assert redact(text, ["hunter2", "abc123"]) == "login alice:*** failed; retry with *** and token ***"


def test_redact_hides_the_longer_of_overlapping_secrets_whole() -> None:
    assert redact("pw=secret-extended", ["secret", "secret-extended"]) == "pw=***"


def test_redact_ignores_empty_values_and_treats_values_literally() -> None:
    assert redact("a.b a*b", ["", "a.b"]) == "*** a*b"
    assert redact("nothing to hide", []) == "nothing to hide"


def test_url_userinfo_is_masked() -> None:
    from ferryman.compiler.secrets import mask_url_userinfo

    assert mask_url_userinfo("pipe://bob:s3cret@host:99/x.pl?a=1") == "pipe://bob:***@host:99/x.pl?a=1"
    assert mask_url_userinfo("pipe:///x.pl?user=a@b") == "pipe:///x.pl?user=a@b"
    # a userinfo without ":" may be a token standing in the user's place: masked whole (docs/formats.md)
    assert mask_url_userinfo("pipe://bob@host/x") == "pipe://***@host/x"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://curator:PW@host/v2", "https://curator:***@host/v2"),
        ("https://curator:P@W@host/v2?token=t#frag", "https://curator:***@host/v2?***"),
        ('"https://c:PW@h/v2" is not of type object', '"https://c:***@h/v2" is not of type object'),
        ("curator:PW@ndex.example.org/v2", "curator:***@ndex.example.org/v2"),
        ('"https://curator:PWPWPWPWPW…', '"https://curator:***…'),
        ("https://u:${env:PW}@h/v2", "https://u:${env:PW}@h/v2"),
        ("http://host:8080/v2", "http://host:8080/v2"),
        ("no url here: a@b", "no url here: a@b"),
    ],
)
def test_mask_text_hides_passwords_and_queries(text: str, masked: str) -> None:
    from ferryman.compiler.secrets import mask_text, mask_url

    assert mask_text(text) == masked
    if text.startswith("http") and " " not in text:
        assert mask_url(text) == masked


def test_diagnostics_mask_url_passwords_whatever_the_rule_quoted() -> None:
    from ferryman.compiler.diagnostics import Diagnostic, Severity
    from ferryman.output import finding_github

    d = Diagnostic("f", 1, 1, Severity.ERROR, "XX000", "bad url pipe://u:hunter2@host", hint="see http://a:b2@c/x")
    assert "hunter2" not in d.text() and "b2@" not in d.text() and "hunter2" not in finding_github(d)
    assert d.message == "bad url pipe://u:***@host"
