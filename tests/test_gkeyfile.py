"""The GKeyFile loader: syntax rules, escapes, lists, booleans, continuation lines, positions."""

from __future__ import annotations

import time

import pytest

from ferryman.compiler.loaders import gkeyfile
from ferryman.compiler.loaders.gkeyfile import decode_list, load_text, parse


def _load(text: str, kind: str = "zmap"):
    return load_text(text, "ZMap", kind, None)


def _lines(result) -> list[str]:
    return [d.text().splitlines()[0] for d in result.diagnostics]


def _data(text: str, kind: str = "zmap"):
    result = _load(text, kind)
    assert result.doc is not None, _lines(result)
    assert [d for d in result.diagnostics if d.is_error] == []
    return result.doc.data


# -- lines ------------------------------------------------------------------------------------


def test_comments_blank_lines_groups_and_keys() -> None:
    text = "# top\n\n  # indented comment\n[ZMap]\nsources = a\n\n[a]\nurl=pipe:///x.py\n"
    assert _data(text) == {"ZMap": {"sources": ["a"]}, "a": {"url": "pipe:///x.py"}}


def test_whitespace_around_equals_and_at_the_ends_is_trimmed() -> None:
    assert _data("[g]\n  key   =   some value  \t\n", "styles") == {"g": {"key": "some value"}}


def test_no_inline_comments_and_semicolon_is_not_a_comment() -> None:
    data = _data("[g]\nkey = a # not a comment ; nor this\n", "styles")
    assert data == {"g": {"key": "a # not a comment ; nor this"}}


def test_keys_and_groups_are_case_sensitive() -> None:
    data = _data("[g]\nKey = 1\nkey = 2\n[G]\nkey = 3\n", "styles")
    assert data == {"g": {"Key": "1", "key": "2"}, "G": {"key": "3"}}


def test_group_header_may_be_followed_by_whitespace_and_keeps_inner_spaces() -> None:
    assert _data("[3 Frame Translation]  \nmode = basic\n", "styles") == {"3 Frame Translation": {"mode": "basic"}}


def test_value_may_be_empty_and_may_contain_equals() -> None:
    assert _data("[g]\na =\nb = x=y=z\n", "styles") == {"g": {"a": "", "b": "x=y=z"}}


def test_a_line_that_is_nothing_is_an_error() -> None:
    result = _load("[ZMap]\nsources = a\nstylesfile\n")
    assert result.doc is None
    assert _lines(result) == [
        "ZMap:3:1: error[GK201]: line 'stylesfile' is not a [group], a key = value or a comment",
    ]


def test_an_unclosed_or_trailing_group_header_is_not_a_group() -> None:
    result = _load("[ZMap\n[ZMap] x\n")
    assert _lines(result) == [
        "ZMap:1:1: error[GK201]: line '[ZMap' is not a [group], a key = value or a comment",
        "ZMap:2:1: error[GK201]: line '[ZMap] x' is not a [group], a key = value or a comment",
    ]


def test_key_before_any_group_is_an_error() -> None:
    assert _lines(_load("sources = a\n[ZMap]\n")) == [
        "ZMap:1:1: error[GK202]: key sources comes before the first [group] header",
    ]


def test_invalid_group_names() -> None:
    result = _load("[]\na = 1\n[a[b]\nb = 2\n[ok]\n")
    # keys under an invalid header are not reported again as outside a group
    assert _lines(result) == [
        "ZMap:1:1: error[GK203]: group header [] has no name",
        "ZMap:3:1: error[GK203]: group name 'a[b' contains [",
    ]


def test_invalid_key_names_and_locale_keys() -> None:
    result = _load("[g]\n = x\n  a]b = 1\nname[fr] = nom\n", "styles")
    assert _lines(result) == [
        "ZMap:2:2: error[GK204]: no key before '='",
        "ZMap:3:3: error[GK204]: invalid key name 'a]b': [ and ] only in a [locale] suffix",
    ]
    assert _data("[g]\nname[fr] = nom\n", "styles") == {"g": {"name[fr]": "nom"}}


def test_every_error_of_the_file_is_reported() -> None:
    result = _load("x = 1\n[ZMap]\nnope\n[a]\ndelayed = maybe\ntimeout = soon\n")
    assert result.doc is None
    assert [d.code for d in result.diagnostics] == ["GK202", "GK201", "GK206", "GK207"]


def test_repeated_key_last_wins_with_a_warning() -> None:
    result = _load("[ZMap]\nsources = a\nsources = b ; c\n")
    assert result.doc is not None
    assert result.doc.data == {"ZMap": {"sources": ["b", "c"]}}
    assert [d.text() for d in result.diagnostics] == [
        "ZMap:3:1: warning[GK208]: key sources is repeated in [ZMap] (first at line 2); the last value wins"
        " (at $.ZMap.sources)\n  hint: delete the line that does not count"
    ]


def test_repeated_group_is_merged_with_a_warning() -> None:
    result = _load("[ZMap]\nsources = a\n[a]\nurl = x\n[ZMap]\nstylesfile = s.ini\n")
    assert result.doc is not None
    assert result.doc.data == {"ZMap": {"sources": ["a"], "stylesfile": "s.ini"}, "a": {"url": "x"}}
    assert _lines(result) == [
        "ZMap:5:1: warning[GK209]: group [ZMap] is repeated (first at line 1); the groups are merged (at $.ZMap)"
    ]


def test_crlf_line_ends_and_a_missing_final_newline() -> None:
    assert _data("[ZMap]\r\nsources = a ; b\r\n\r\n[a]\r\nurl = x") == {
        "ZMap": {"sources": ["a", "b"]},
        "a": {"url": "x"},
    }


# -- escapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("\\sleading", " leading"),
        ("trailing\\s", "trailing "),
        ("a\\nb", "a\nb"),
        ("a\\tb", "a\tb"),
        ("a\\rb", "a\rb"),
        ("C:\\\\dir", "C:\\dir"),
        ("no escapes", "no escapes"),
    ],
)
def test_each_escape(raw: str, decoded: str) -> None:
    assert _data(f"[ZMap]\ndefault-sequence = {raw}\n")["ZMap"]["default-sequence"] == decoded


def test_an_unknown_escape_is_an_error_at_its_column() -> None:
    assert _lines(_load("[ZMap]\ndefault-sequence = chr6\\-38\n")) == [
        "ZMap:2:24: error[GK205]: value of default-sequence has an invalid escape sequence \\- "
        '(at $.ZMap["default-sequence"])'
    ]


def test_escaped_separator_outside_a_list_is_an_error() -> None:
    assert _lines(_load("[ZMap]\nsequence = a\\;b\n")) == [
        "ZMap:2:13: error[GK205]: value of sequence has an invalid escape sequence \\; (at $.ZMap.sequence)"
    ]


def test_a_trailing_backslash_is_an_error() -> None:
    assert _lines(_load("[ZMap]\nsequence = a\\\n")) == [
        "ZMap:2:13: error[GK205]: value of sequence ends with an escape character \\ (at $.ZMap.sequence)"
    ]


def test_styles_values_keep_an_escaped_separator_as_written() -> None:
    # a styles value is often a list ZMap splits itself; \; must survive for it
    assert _data("[s]\ncolours = a\\;b\\sc\n", "styles") == {"s": {"colours": "a\\;b c"}}


# -- lists ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "items"),
    [
        ("a;b;c", ["a", "b", "c"]),
        ("  a ;  b  ; c  ", ["a", "b", "c"]),
        ("a;;b;", ["a", "b"]),
        (";", []),
        ("", []),
        ("a\\;b ; c", ["a;b", "c"]),
        ("a\\\\;b", ["a\\", "b"]),
        ("x\\\\\\;y", ["x\\;y"]),
        ("\\sa ; b\\tc", [" a", "b\tc"]),
        ("one item with spaces", ["one item with spaces"]),
    ],
)
def test_list_values(raw: str, items: list[str]) -> None:
    assert decode_list(raw) == items
    assert _data(f"[ZMap]\nsources = {raw}\n")["ZMap"]["sources"] == items


def test_a_bad_escape_inside_a_list_item_is_located() -> None:
    assert _lines(_load("[ZMap]\nsources = a ; b\\x\n")) == [
        "ZMap:2:16: error[GK205]: value of sources has an invalid escape sequence \\x (at $.ZMap.sources)"
    ]


# -- typed values -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("false", False), ("1", True), ("0", False)])
def test_booleans(raw: str, value: bool) -> None:
    assert _data(f"[a]\nurl = x\ndelayed = {raw}\n")["a"]["delayed"] is value


@pytest.mark.parametrize("raw", ["yes", "True", "FALSE", "2"])
def test_anything_else_for_a_boolean_key_is_an_error(raw: str) -> None:
    result = _load(f"[a]\nurl = x\nsequence = {raw}\n")
    assert result.doc is None
    assert _lines(result) == [
        f"ZMap:3:12: error[GK206]: sequence = {raw} is not a boolean (true, false, 1 or 0) (at $.a.sequence)"
    ]


def test_an_empty_boolean_is_an_error() -> None:
    assert _lines(_load("[a]\nurl = x\ndelayed =\n")) == [
        "ZMap:3:10: error[GK206]: the empty value of delayed is not a boolean (true, false, 1 or 0) (at $.a.delayed)"
    ]


def test_integers_where_zmap_has_integers() -> None:
    data = _data("[ZMap]\nstart = 2231363\nend = +2588301\n[a]\nurl = x\ntimeout = 120\n")
    assert data == {"ZMap": {"start": 2231363, "end": 2588301}, "a": {"url": "x", "timeout": 120}}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2m", "timeout = 2m is not an integer"),
        ("1.5", "timeout = 1.5 is not an integer"),
        ("99999999999", "timeout = 99999999999 is out of range for an integer"),
    ],
)
def test_bad_integers(raw: str, message: str) -> None:
    assert _lines(_load(f"[a]\ntimeout = {raw}\n")) == [f"ZMap:2:11: error[GK207]: {message} (at $.a.timeout)"]


def test_normalized_form_types_by_stanza() -> None:
    text = (
        "[ZMap]\nsources = a ; b\nsequence = chr6-38\nstylesfile = s.ini\ncolumns = x ; y\n"
        "[Server-groups]\ng1 = a ; b\ng2 = b\n"
        "[a]\nurl = pipe:///a.py?x=1\nfeaturesets = f1 ; f2\nstyles = s1\nsequence = true\n"
        "navigator_sets = n\ndelayed = 0\ngroup = always\nmystery = m ; n\n"
        "[ZMapWindow]\ncanvas-maxsize = 10000\n"
        "[columns]\nGenes = f1 ; f2\n"
        "[featureset-style]\nf1 = s1\n"
    )
    assert _data(text) == {
        "ZMap": {"sources": ["a", "b"], "sequence": "chr6-38", "stylesfile": "s.ini", "columns": ["x", "y"]},
        "Server-groups": {"g1": ["a", "b"], "g2": ["b"]},
        "a": {
            "url": "pipe:///a.py?x=1",
            "featuresets": ["f1", "f2"],
            "styles": ["s1"],
            "sequence": True,
            "navigator_sets": ["n"],
            "delayed": False,
            "group": "always",
            "mystery": "m ; n",
        },
        "ZMapWindow": {"canvas-maxsize": "10000"},
        "columns": {"Genes": ["f1", "f2"]},
        "featureset-style": {"f1": "s1"},
    }


def test_styles_kind_keeps_every_value_a_string() -> None:
    assert _data("[s]\nwidth = 7\ncolours = a ; b\nstrand-specific = true\n", "styles") == {
        "s": {"width": "7", "colours": "a ; b", "strand-specific": "true"}
    }


# -- continuation lines -----------------------------------------------------------------------

SEED_URL = (
    "[ZMap]\nsources = genes\n\n[genes]\n"
    "url = pipe:///get_genes.pl?dataset=human&\n"
    "      name=6&\n"
    "\tanalysis=ccds_gene\n"
    "featuresets = genes\n"
)


def test_indented_lines_after_a_value_ending_in_ampersand_continue_it() -> None:
    result = _load(SEED_URL)
    assert result.doc is not None
    assert result.doc.data["genes"] == {
        "url": "pipe:///get_genes.pl?dataset=human&name=6&analysis=ccds_gene",
        "featuresets": ["genes"],
    }
    assert [d.text() for d in result.diagnostics] == [
        "ZMap:5:1: warning[GK210]: value of url continues over 3 lines; ZMap cannot read continuation lines"
        " (at $.genes.url)\n  hint: run `ferryman fmt` to join it into one line"
    ]


def test_continuation_info_for_fmt() -> None:
    kf = parse(SEED_URL)
    entry = kf.groups["genes"].entries["url"]
    assert entry.continued and (entry.line, entry.end_line) == (5, 7)
    assert entry.pieces == [(len("pipe:///get_genes.pl?dataset=human&"), 6, 7), (len(entry.raw) - 18, 7, 2)]
    assert [(e.key, e.line, e.continued) for e in kf.entries] == [
        ("sources", 2, False),
        ("url", 5, True),
        ("featuresets", 8, False),
    ]


def test_an_indented_line_is_not_a_continuation_without_the_ampersand() -> None:
    # GLib ignores leading whitespace: this is an ordinary key = value line
    assert _data("[a]\nurl = x?a=1\n    timeout = 5\n") == {"a": {"url": "x?a=1", "timeout": 5}}
    result = _load("[a]\nurl = x?a=1\n    b=2\n")
    assert result.doc is not None and result.doc.data == {"a": {"url": "x?a=1", "b": "2"}}


def test_a_blank_or_comment_line_ends_the_continuation() -> None:
    result = _load("[a]\nurl = x?a=1&\n\n    b=2\n")
    assert result.doc is not None and result.doc.data == {"a": {"url": "x?a=1&", "b": "2"}}
    result = _load("[a]\nurl = x?a=1&\n# note\n    oops\n")
    assert _lines(result) == ["ZMap:4:5: error[GK201]: line 'oops' is not a [group], a key = value or a comment"]


def test_an_unindented_line_after_an_ampersand_is_a_new_line() -> None:
    assert _data("[a]\nurl = x?a=1&\ntimeout = 3\n") == {"a": {"url": "x?a=1&", "timeout": 3}}


@pytest.mark.parametrize(
    "line",
    [
        "    delayed = true",  # the example: a key, as GLib reads it
        "\tdelayed\t=\ttrue",  # tabs are blanks too
        "  delayed =true",
        "  delayed= true",
    ],
)
def test_an_indented_key_with_blanks_after_an_ampersand_is_a_key(line: str) -> None:
    data = _data(f"[ZMap]\nsources = a\n[a]\nurl = pipe:///x.py?a=1&\n{line}\nfeaturesets = f\n")
    assert data["a"] == {"url": "pipe:///x.py?a=1&", "delayed": True, "featuresets": ["f"]}


def test_other_keys_with_blanks_end_a_continued_value() -> None:
    text = "[a]\nurl = pipe:///x.py?a=1&\n    b=2&\n    featuresets = f ; g\n\tdelayed = 1\n"
    result = _load(text)
    assert result.doc is not None
    assert result.doc.data["a"] == {"url": "pipe:///x.py?a=1&b=2&", "featuresets": ["f", "g"], "delayed": True}
    kf = parse(text)
    assert [(e.key, e.line, e.end_line) for e in kf.entries] == [
        ("url", 2, 3), ("featuresets", 4, 4), ("delayed", 5, 5),
    ]  # fmt: skip


def test_a_one_word_piece_continues_whatever_comes_between_lines() -> None:
    # no blank inside: a query piece (the seed's form); CRLF line ends and trailing blanks do not count
    text = "[a]\r\nurl = pipe:///x.py?a=1&  \r\n\t b=2&\r\n   c=3\r\n    d=4\r\n"
    assert _data(text)["a"] == {"url": "pipe:///x.py?a=1&b=2&c=3", "d": "4"}


def test_a_blank_or_comment_line_between_ends_a_continued_value() -> None:
    for between in ("", "   ", "# note", "  # indented note"):
        data = _data(f"[a]\nurl = x?a=1&\n{between}\n    delayed=true\n")
        assert data["a"] == {"url": "x?a=1&", "delayed": True}, between


# -- secrets in messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("url pipe://curator:hunter2@host/x.py", "url pipe://curator:***@host/x.py"),
        ("url=pipe://curator:hunter2@host", None),  # a key: no message at all
        ("see acedb://a:hunter2@h:1 and http://tok_hunter2@h/x", "see acedb://a:***@h:1 and http://***@h/x"),
        ("password hunter2", "password ***"),
        ("db_password: hunter2 more", "db_password: ***"),
        ("NDEX_TOKEN hunter2", "NDEX_TOKEN ***"),
        ("apikey\thunter2", "apikey\t***"),
    ],
)
def test_a_line_missing_its_equals_never_shows_a_password(line: str, shown: str | None) -> None:
    result = _load(f"[ZMap]\nsources = a\n[a]\n{line}\n")
    text = "\n".join(d.text() for d in result.diagnostics)
    assert "hunter2" not in text
    if shown is not None:
        message = f"line {shown!r} is not a [group], a key = value or a comment"
        assert _lines(result) == [f"ZMap:4:1: error[GK201]: {message}"]


def test_every_message_masks_url_passwords() -> None:
    # a typed key quoting its value, and a value too long to quote whole
    result = _load("[a]\ndelayed = pipe://me:hunter2@h/x\ntimeout = acedb://me:hunter2@h\n")
    assert _lines(result) == [
        "ZMap:2:11: error[GK206]: delayed = pipe://me:***@h/x is not a boolean (true, false, 1 or 0) (at $.a.delayed)",
        "ZMap:3:11: error[GK207]: timeout = acedb://me:***@h is not an integer (at $.a.timeout)",
    ]
    long = "x" * 80 + " pipe://me:hunter2@h"
    assert "hunter2" not in _lines(_load(f"[a]\n{long}\n"))[0]


def test_masked_keeps_what_is_not_secret() -> None:
    assert gkeyfile.masked("ensembl://anonymous:@h:3306?db=x") == "ensembl://anonymous:@h:3306?db=x"
    assert gkeyfile.masked("pipe:///get.pl?a=1&b=2") == "pipe:///get.pl?a=1&b=2"
    assert gkeyfile.masked("mail me@example.org") == "mail me@example.org"
    assert gkeyfile.mask_urls("password x pipe://u:p@h") == "password x pipe://u:***@h"


# -- positions --------------------------------------------------------------------------------


def test_locator_maps_groups_keys_and_list_items() -> None:
    text = "# c\n[ZMap]\nsources =  one ;two;; three \n\n  [two]\n  url = x\n[Server-groups]\ng = a\\;b ; two\n"
    doc = _load(text).doc
    assert doc is not None
    assert doc.locate(("ZMap",)) == (2, 1)
    assert doc.locate(("ZMap", "sources")) == (3, 1)
    assert doc.locate(("ZMap", "sources", 0)) == (3, 12)
    assert doc.locate(("ZMap", "sources", 1)) == (3, 17)
    assert doc.locate(("ZMap", "sources", 2)) == (3, 23)
    assert doc.locate(("two",)) == (5, 3)
    assert doc.locate(("two", "url")) == (6, 3)
    assert doc.locate(("Server-groups", "g", 1)) == (8, 12)
    # unknown parts fall back to the nearest known place
    assert doc.locate(("two", "nope")) == (5, 3)
    assert doc.locate(("nope",)) == (1, 1)
    assert doc.locate(("ZMap", "sources", 9)) == (3, 12)  # the start of the value


def test_locator_finds_list_items_on_continuation_lines() -> None:
    doc = _load("[ZMap]\nsources = a ; b &\n   c;d\n").doc
    assert doc is not None
    assert doc.data["ZMap"]["sources"] == ["a", "b &c", "d"]
    assert doc.locate(("ZMap", "sources", 1)) == (2, 15)
    assert doc.locate(("ZMap", "sources", 2)) == (3, 6)


def test_escape_errors_on_continuation_lines_are_located() -> None:
    assert _lines(_load("[a]\nurl = x?a=1&\n   b=\\q\n")) == [
        "ZMap:2:1: warning[GK210]: value of url continues over 2 lines; ZMap cannot read continuation lines "
        "(at $.a.url)",
        "ZMap:3:6: error[GK205]: value of url has an invalid escape sequence \\q (at $.a.url)",
    ]


# -- size -------------------------------------------------------------------------------------


def big_config(n_sources: int = 10_000, n_groups: int = 200) -> str:
    """A ZMap config of the benchmark's shape: n sources in n_groups server groups."""
    names = [f"src{i}" for i in range(n_sources)]
    per = n_sources // n_groups
    out = ["[ZMap]", "sources = " + " ; ".join(names), "script-dir = scripts", "stylesfile = styles.ini", ""]
    out.append("[Server-groups]")
    out += [f"grp{g} = " + " ; ".join(names[g * per : (g + 1) * per]) for g in range(n_groups)]
    for i, name in enumerate(names):
        out += [
            "",
            f"[{name}]",
            f"url = pipe:///getgff.py?file=data/genes.gff3&featuresets=fs{i % 50}&n={i}",
            f"featuresets = fs{i % 50}",
            f"delayed = {'true' if i % 3 == 0 else 'false'}",
            "timeout = 60",
        ]
    return "\n".join(out) + "\n"


def test_a_10000_source_config_loads_quickly() -> None:
    text = big_config()
    started = time.perf_counter()
    result = _load(text)
    elapsed = time.perf_counter() - started
    assert result.doc is not None and result.diagnostics == []
    assert len(result.doc.data["ZMap"]["sources"]) == 10_000
    assert len(result.doc.data["Server-groups"]) == 200
    assert result.doc.data["src9999"]["delayed"] is True
    # about 0.1 s on a laptop; the bound only catches a quadratic slip
    assert elapsed < 2.0, f"{elapsed:.2f} s"


def test_non_source_stanza_names_agree_with_the_schema() -> None:
    from ferryman.compiler import schemas

    named = set(schemas.schema("zmap")["properties"])
    assert named == set(gkeyfile.NON_SOURCE_STANZAS)
