"""`ferryman fmt`: continued urls joined into one line, every other byte kept, through the real CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ferryman.compiler.loaders.gkeyfile import load_text

from .conftest import ROOT, ferryman

STYLES = "[genes]\nmode = transcript\n"

# the seed document's form, with everything fmt must leave alone around it: CRLF line ends, a
# comment inside the stanza, trailing blanks, a tab, a blank line of spaces, an indented key after
# the url, and no newline at the very end
CONTINUED = (
    "# ZMap config  \r\n"
    "[ZMap]\r\n"
    "sources = genes ; db\r\n"
    "stylesfile = styles.ini\t\r\n"
    "   \r\n"
    "[genes]\r\n"
    "# the query is long\r\n"
    "url = pipe:///get.sh?dataset=human&  \r\n"
    "      name=6&\r\n"
    "\tanalysis=ccds_gene&\r\n"
    "    delayed = true\r\n"
    "featuresets = genes\r\n"
    "\r\n"
    "[db]\r\n"
    "url=acedb://any:any@localhost:23100?dataset=human&\r\n"
    "    csver=Otter"
)
JOINED = (
    "# ZMap config  \r\n"
    "[ZMap]\r\n"
    "sources = genes ; db\r\n"
    "stylesfile = styles.ini\t\r\n"
    "   \r\n"
    "[genes]\r\n"
    "# the query is long\r\n"
    "url = pipe:///get.sh?dataset=human&name=6&analysis=ccds_gene&\r\n"
    "    delayed = true\r\n"
    "featuresets = genes\r\n"
    "\r\n"
    "[db]\r\n"
    "url=acedb://any:any@localhost:23100?dataset=human&csver=Otter"
)


def _config(root: Path, text: str = CONTINUED, name: str = "ZMap", mode: int = 0o640) -> Path:
    path = root / name
    path.write_bytes(text.encode("utf-8"))
    path.chmod(mode)
    (root / "styles.ini").write_text(STYLES, encoding="utf-8")
    (root / "get.sh").write_text("#!/bin/sh\necho '##gff-version 3'\n", encoding="utf-8")
    (root / "get.sh").chmod(0o755)
    return path


def _data(path: Path) -> object:
    doc = load_text(path.read_bytes().decode("utf-8"), "ZMap", "zmap", str(path)).doc
    assert doc is not None
    return doc.data


def test_fmt_joins_continued_urls_and_keeps_every_other_byte(tmp_path: Path) -> None:
    path = _config(tmp_path)
    before = _data(path)
    proc = ferryman("fmt", "ZMap", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "reformatted ZMap\n", "1 file reformatted, 0 unchanged\n")
    assert path.read_bytes() == JOINED.encode("utf-8")
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert _data(path) == before  # ferryman reads the same config
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    # ZMap can read it now: no GK210, and the indented `delayed = true` stayed a key
    proc = ferryman("validate", "ZMap", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "ok: 1 file valid\n")
    # a second run changes nothing
    proc = ferryman("fmt", "ZMap", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "ok: 1 file unchanged\n")
    assert path.read_bytes() == JOINED.encode("utf-8")


def test_fmt_check_lists_what_would_change_and_touches_nothing(tmp_path: Path) -> None:
    path = _config(tmp_path)
    (tmp_path / "clean").write_bytes(JOINED.encode("utf-8"))
    stamp = os.stat(path).st_mtime_ns
    proc = ferryman("fmt", "--check", "clean", "ZMap", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, "would reformat ZMap\n")
    assert proc.stderr == (
        "1 file would be reformatted, 1 unchanged\n"
        "  hint: run `ferryman fmt` to join continued values into one line\n"
    )
    assert path.read_bytes() == CONTINUED.encode("utf-8") and os.stat(path).st_mtime_ns == stamp
    proc = ferryman("fmt", "--check", "clean", cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "ok: 1 file unchanged\n")


def test_fmt_without_files_formats_the_workspace_config(tmp_path: Path) -> None:
    (tmp_path / "zmap").mkdir()
    path = _config(tmp_path / "zmap")
    (tmp_path / "ferryman.toml").write_text('[workspace]\nname = "w"\n\n[zmap]\nconfig = "zmap/ZMap"\n')
    proc = ferryman("fmt", "--check", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, "would reformat zmap/ZMap\n")
    proc = ferryman("fmt", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, "reformatted zmap/ZMap\n")
    assert path.read_bytes() == JOINED.encode("utf-8")


def test_fmt_without_files_or_workspace_is_a_usage_error(tmp_path: Path) -> None:
    proc = ferryman("fmt", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (
        2,
        "ferryman: error: no FILE given and no ferryman.toml in the current folder\n"
        "  hint: name the files: ferryman fmt FILE...\n",
    )
    (tmp_path / "ferryman.toml").write_text('[workspace]\nname = "w"\n')
    proc = ferryman("fmt", cwd=tmp_path)
    assert proc.returncode == 2 and "names no ZMap config" in proc.stderr


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b"\xef\xbb\xbf" + CONTINUED.encode(),
            "ZMap:1:1: file starts with a UTF-8 byte-order mark, which GLib cannot read",
        ),
        (CONTINUED.encode().replace(b"human", b"hum\xe4n", 1), "ZMap:8:33: error[IO102]: byte 0xe4 is not valid UTF-8"),
        (b"[ZMap]\nsources = a\nurl pipe://me:hunter2@h/x.sh&\n  b=1\n",
         "ZMap:3:1: error[GK201]: line 'url pipe://me:***@h/x.sh&' is not a [group], a key = value or a comment"),
    ],
)
def test_fmt_leaves_a_file_it_cannot_read_as_glib_would_untouched(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "ZMap"
    path.write_bytes(raw)
    proc = ferryman("fmt", "ZMap", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0] == message
    assert proc.stderr.splitlines()[-1] == "1 file not reformatted (see above), 0 unchanged"
    assert "hunter2" not in proc.stderr + proc.stdout
    assert path.read_bytes() == raw


def test_fmt_goes_on_past_a_missing_file_and_fails(tmp_path: Path) -> None:
    path = _config(tmp_path)
    proc = ferryman("fmt", "nope", "ZMap", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == "nope: cannot read file: No such file or directory"
    assert path.read_bytes() == JOINED.encode("utf-8")


def test_fmt_writes_through_a_symlink(tmp_path: Path) -> None:
    target = _config(tmp_path, name="real-ZMap", mode=0o664)
    (tmp_path / "ZMap").symlink_to("real-ZMap")
    proc = ferryman("fmt", "ZMap", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ZMap").is_symlink()
    assert target.read_bytes() == JOINED.encode("utf-8") and os.stat(target).st_mode & 0o777 == 0o664


def test_fmt_fixes_the_gk210_sample_and_its_hint_names_fmt(tmp_path: Path) -> None:
    sample = ROOT / "samples" / "invalid" / "GK210.ini"
    copy = tmp_path / "GK210.ini"
    copy.write_bytes(sample.read_bytes())
    proc = ferryman("validate", "GK210.ini", cwd=tmp_path)
    assert "hint: run `ferryman fmt` to join it into one line" in proc.stderr
    assert ferryman("fmt", "GK210.ini", cwd=tmp_path).returncode == 0
    assert copy.read_text().splitlines()[-1] == "url = acedb://any:any@localhost:23100?dataset=human&csver=Otter"
    assert "GK210" not in ferryman("validate", "GK210.ini", cwd=tmp_path).stderr


def test_fmt_is_listed_in_the_help() -> None:
    assert "fmt" in ferryman("--help").stdout
    proc = ferryman("fmt", "--help")
    assert proc.returncode == 0 and "--check" in proc.stdout
