"""pipe:// URLs: the script path (relative or absolute), the arguments, the warnings' flags."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ferryman.compiler.pipeurl import (
    PipeUrl,
    PipeUrlError,
    argv,
    escapes_script_dir,
    parse_pipe_url,
    resolve_script,
)


def test_three_slashes_is_a_relative_path() -> None:
    url = parse_pipe_url("pipe:///get.pl")
    assert url == PipeUrl("pipe:///get.pl", "get.pl", "")
    assert not url.is_absolute and not url.short_form and not url.seed_reads_absolute


def test_four_slashes_is_an_absolute_path() -> None:
    url = parse_pipe_url("pipe:////opt/bin/get.pl")
    assert url.path == "/opt/bin/get.pl"
    assert url.is_absolute and not url.seed_reads_absolute


def test_short_form_is_relative_with_a_flag() -> None:
    url = parse_pipe_url("pipe://getgff.pl?dataset=human&name=6")
    assert url == PipeUrl("pipe://getgff.pl?dataset=human&name=6", "getgff.pl", "dataset=human&name=6", True)
    assert url.args == ("dataset=human", "name=6")
    assert not url.is_absolute


def test_the_seeds_absolute_reading_is_relative_with_a_flag() -> None:
    url = parse_pipe_url("pipe:///software/anacode/bin/get_genes.pl?dataset=human")
    assert url.path == "software/anacode/bin/get_genes.pl"
    assert not url.is_absolute
    assert url.seed_reads_absolute
    assert url.seed_reading == "/software/anacode/bin/get_genes.pl"


@pytest.mark.parametrize("text", ["pipe:///./tools/get.pl", "pipe:///../get.pl", "pipe:///get.pl"])
def test_no_seed_flag_for_explicitly_relative_or_single_part_paths(text: str) -> None:
    assert not parse_pipe_url(text).seed_reads_absolute


def test_authority_typecode_and_fragment_are_ignored() -> None:
    url = parse_pipe_url("pipe://user:secret@host.example.org:8080/bin/get.pl;type=a?x=1#gff")
    assert (url.path, url.args) == ("bin/get.pl", ("x=1",))
    assert parse_pipe_url("pipe://localhost//opt/get.pl").path == "/opt/get.pl"


def test_the_query_becomes_argv_exactly_as_written() -> None:
    url = parse_pipe_url("pipe:///get.pl?&dataset=human&&name=6&cookie_jar=%2Fhome%2Fx&-v&=odd&")
    assert url.args == ("dataset=human", "name=6", "cookie_jar=%2Fhome%2Fx", "-v", "=odd")


def test_a_query_cannot_inject_shell_syntax() -> None:
    # each piece is one argv entry: nothing is split on spaces or interpreted
    url = parse_pipe_url("pipe:///get.pl?a=$(rm -rf /)&b=x y;z")
    assert url.args == ("a=$(rm -rf /)", "b=x y;z")


def test_argv_appends_the_region() -> None:
    url = parse_pipe_url("pipe:///get.pl?dataset=human&name=6")
    assert argv(url) == ["dataset=human", "name=6"]
    assert argv(url, (2231363, 2588301)) == ["dataset=human", "name=6", "zmap_start=2231363", "zmap_end=2588301"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file:///get.pl", "file:///get.pl is not a pipe:// URL"),
        ("pipe://", "pipe:// names no script (nothing after the host)"),
        ("pipe://?a=1", "pipe://?a=1 names no script (nothing after the host)"),
        ("pipe://host:80?a=1", "pipe://host:80?a=1 names no script (nothing after the host)"),
        ("pipe:///?a=1", "pipe:///?a=1 names no script (the path after the host is empty)"),
        ("pipe:////", "pipe://// names no script (the path after the host is empty)"),
    ],
)
def test_urls_without_a_script(text: str, message: str) -> None:
    with pytest.raises(PipeUrlError) as info:
        parse_pipe_url(text)
    assert str(info.value) == message


def test_scheme_is_case_insensitive() -> None:
    assert parse_pipe_url("PIPE:///get.pl").path == "get.pl"


def test_resolve_script() -> None:
    assert resolve_script(parse_pipe_url("pipe:///get.pl"), "/cfg/scripts") == "/cfg/scripts/get.pl"
    assert resolve_script(parse_pipe_url("pipe:///./sub/../get.pl"), "/cfg/scripts") == "/cfg/scripts/get.pl"
    assert resolve_script(parse_pipe_url("pipe:////opt/bin/get.pl"), "/cfg/scripts") == "/opt/bin/get.pl"
    seed = parse_pipe_url("pipe:///software/anacode/bin/get_genes.pl")
    assert resolve_script(seed, "/cfg") == "/cfg/software/anacode/bin/get_genes.pl"


def test_escaping_script_dir(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    (scripts / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", scripts / "linked")
    os.symlink(tmp_path / "elsewhere" / "tool.py", scripts / "tool.py")
    sd = str(scripts)

    def escapes(text: str) -> bool:
        return escapes_script_dir(parse_pipe_url(text), sd)

    assert not escapes("pipe:///get.py")
    assert not escapes("pipe:///sub/../get.py")
    assert escapes("pipe:///../get.py")
    assert escapes("pipe:///sub/../../get.py")
    assert escapes("pipe:///linked/get.py")  # a symlinked folder leads out
    assert not escapes("pipe:///tool.py")  # a symlinked script file is allowed
    assert not escapes("pipe:////usr/bin/get.py")  # absolute paths are the user's choice
