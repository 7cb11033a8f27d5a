"""ZMap config rules through the real CLI (exact lines), the readers the compiler uses, and the
demo config in samples/zmap with its scripts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ferryman.compiler import zmapconfig
from ferryman.compiler.loaders.gkeyfile import load_text
from ferryman.compiler.pipeurl import argv

from .conftest import ROOT, SAMPLES, ferryman

DEMO = SAMPLES / "zmap"
REGION = (2231363, 2588301)
SCRIPT = "#!/usr/bin/env python3\nprint('##gff-version 3')\n"
STYLES = "[genes]\nmode = transcript\n\n[ests]\nmode = alignment\n"


def make(root: Path, files: dict[str, str], executable: tuple[str, ...] = ()) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    for name in executable:
        (root / name).chmod(0o755)


def validate(cwd: Path, *paths: str) -> tuple[int, list[str]]:
    proc = ferryman("validate", *paths, cwd=cwd)
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stderr.splitlines()


def pipe_config(*stanzas: str, zmap_extra: str = "", sources: str = "genes") -> str:
    head = f"[ZMap]\nsources = {sources}\nscript-dir = scripts\nstylesfile = styles.ini\n{zmap_extra}"
    return head + "".join("\n" + s for s in stanzas)


# -- the demo ---------------------------------------------------------------------------------


def test_demo_config_validates_clean() -> None:
    proc = ferryman("validate", "samples/zmap/ZMap")
    assert (proc.returncode, proc.stderr) == (0, "ok: 1 file valid\n")
    proc = ferryman("validate", "samples/zmap")
    assert (proc.returncode, proc.stderr) == (0, "ok: 2 files valid\n")


def test_demo_config_shape() -> None:
    text = (DEMO / "ZMap").read_text(encoding="utf-8")
    doc = load_text(text, "ZMap", "zmap", str(DEMO / "ZMap")).doc
    assert doc is not None
    sources = zmapconfig.read_sources(doc.data, str(DEMO))
    assert [s.name for s in sources] == [
        "havana", "ensembl", "repeats", "cpg_islands", "ests", "tss_predictions", "polya_sites",
    ]  # fmt: skip
    assert all(s.scheme == "pipe" and s.pipe is not None for s in sources)
    assert [s.name for s in sources if s.delayed] == ["tss_predictions", "polya_sites"]
    groups = zmapconfig.server_groups(doc.data)
    assert groups == {"local_files": ["havana", "ensembl", "ests"], "compute": ["repeats", "cpg_islands", "ests"]}
    assert zmapconfig.script_dir(doc.data, str(DEMO)) == str(DEMO / "scripts")
    for s in sources:
        assert s.script is not None and os.access(s.script, os.X_OK)
        assert Path(s.script).read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")


def _run_source(name: str, trace: Path) -> subprocess.CompletedProcess[str]:
    doc = load_text((DEMO / "ZMap").read_text(encoding="utf-8"), "ZMap", "zmap", str(DEMO / "ZMap")).doc
    assert doc is not None
    source = {s.name: s for s in zmapconfig.read_sources(doc.data, str(DEMO))}[name]
    assert source.pipe is not None and source.script is not None
    args = argv(source.pipe, REGION)
    if name == "ests":
        args = ["wait=0.3" if a.startswith("wait=") else a for a in args]  # keep the test quick
    env = {**os.environ, "FERRYMAN_TRACE": str(trace)}
    return subprocess.run(
        [source.script, *args], cwd=DEMO / "scripts", env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("name", ["havana", "ensembl", "repeats", "cpg_islands", "ests"])
def test_demo_sources_print_valid_gff3_for_the_region(name: str, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    proc = _run_source(name, trace)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "##gff-version 3"
    features = [line.split("\t") for line in lines if line and not line.startswith("#")]
    assert len(features) > 5
    # every model overlaps the region
    assert all(int(f[3]) <= REGION[1] and int(f[4]) >= REGION[0] for f in features if "Parent=" not in f[8])
    label, start, end = trace.read_text(encoding="utf-8").split()
    assert label == name and float(start) <= float(end)
    if shutil.which("gt"):
        out = tmp_path / "out.gff3"
        out.write_text(proc.stdout, encoding="utf-8")
        check = subprocess.run(["gt", "gff3validator", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_demo_outputs_are_deterministic(tmp_path: Path) -> None:
    first = _run_source("repeats", tmp_path / "t1").stdout
    assert first == _run_source("repeats", tmp_path / "t2").stdout


def test_demo_slow_source_waits_and_warns(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    proc = _run_source("ests", trace)
    assert proc.stderr == "slowgff.py: warning: EST cache is stale for chr6-38:2231363-2588301, served anyway\n"
    _, start, end = trace.read_text(encoding="utf-8").split()
    assert float(end) - float(start) >= 0.3


def test_demo_failing_and_notgff_sources(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    failing = _run_source("tss_predictions", trace)
    assert (failing.returncode, failing.stdout) == (2, "")
    assert failing.stderr.startswith("failing.py: error: cannot connect to the annotation database")
    garbage = _run_source("polya_sites", trace)
    assert garbage.returncode == 0
    assert not garbage.stdout.startswith("##gff-version")
    assert [line.split()[0] for line in trace.read_text(encoding="utf-8").splitlines()] == [
        "tss_predictions",
        "polya_sites",
    ]


def test_demo_data_file_is_valid_gff3() -> None:
    if not shutil.which("gt"):
        pytest.skip("GenomeTools gt is not installed")
    check = subprocess.run(["gt", "gff3validator", str(DEMO / "data" / "genes.gff3")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


# -- sources and stanzas ----------------------------------------------------------------------


def test_sources_and_stanzas(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = db ; gone ; db ; bare\n\n[db]\nurl = acedb://any:any@h:1\n\n"
            "[bare]\nfeaturesets = x\n\n[old]\nurl = acedb://any:any@h:2\n\n"
            "[ZMapWindow]\ncanvas-maxsize = 10000\n\n[notes]\ntext = not a source\n",
        },
    )
    assert validate(tmp_path, "ZMap") == (
        1,
        [
            "ZMap:2:16: error[ZM301]: source gone has no [gone] stanza (at $.ZMap.sources[1])",
            "  hint: add a [name] stanza with a url, or take the name out",
            "ZMap:2:23: warning[ZM309]: source db is listed twice in [ZMap] sources (at $.ZMap.sources[2])",
            "  hint: delete the second mention",
            "ZMap:7:1: error[ZM308]: source [bare] has no url (at $.bare)",
            "  hint: add url = pipe:///script?args, or a url of another scheme ZMap loads "
            "(file://, http://, ensembl://, …)",
            "ZMap:10:1: warning[ZM302]: stanza [old] has a url but is not listed in [ZMap] sources (at $.old)",
            "  hint: add its name to [ZMap] sources, or delete the stanza: ZMap and ferryman ignore it",
            "2 errors, 2 warnings in 1 file",
        ],
    )


def test_unknown_keys_warn_with_a_suggestion(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = db\nsource = db\nshow-mainwindow = false\nwibble = 1\n\n"
            "[db]\nurl = acedb://any:any@h:1\ntimout = 5\nversion = 4.9.28\n",
        },
    )
    code, lines = validate(tmp_path, "--quiet", "ZMap")
    assert code == 0
    assert [line for line in lines if not line.startswith("  hint")] == [
        "ZMap:3:1: warning[ZM306]: unknown key source in [ZMap] (did you mean sources?) (at $.ZMap.source)",
        "ZMap:5:1: warning[ZM306]: unknown key wibble in [ZMap] (at $.ZMap.wibble)",
        "ZMap:9:1: warning[ZM307]: unknown key timout in source [db] (did you mean timeout?) (at $.db.timout)",
    ]


def test_at_most_one_sequence_source(tmp_path: Path) -> None:
    stanzas = "".join(f"\n[{n}]\nurl = acedb://any:any@h:1\nsequence = true\n" for n in ("a", "b", "c"))
    make(tmp_path, {"ZMap": "[ZMap]\nsources = a ; b ; c\n" + stanzas})
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        [
            "ZMap:10:1: error[ZM305]: sources a, b and c all have sequence = true; "
            "at most one source may provide the sequence (at $.b.sequence)",
            "  hint: one source provides the DNA sequence: keep sequence = true on one of them",
        ],
    )


def test_schema_checks_source_stanzas_but_not_display_stanzas(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = db ; web\nstart = 0\n\n[db]\nurl = acedb://any:any@h:1\ngroup = sometimes\n\n"
            "[web]\nurl = gopher://example.org/x.gff\ntimeout = 0\n\n"
            "[blixem]\nscript = blixemh\nfeaturesets = a ; b\n\n[glyphs]\nup-tri = <0,-4 4,0 -4,0>\n\n"
            "[featureset-style]\nEST_human = EST_align\n",
        },
    )
    code, lines = validate(tmp_path, "--quiet", "ZMap")
    assert code == 1
    # the wording is the schema reporter's; here: what is caught, where
    found = [line for line in lines if not line.startswith("  hint: ")]
    assert [(line.split(": ")[0], line.split(": ")[1], line.rsplit(" (at ", 1)[1]) for line in found] == [
        ("ZMap:3:1", "error[SC100]", "$.ZMap.start)"),
        ("ZMap:7:1", "error[SC100]", "$.db.group)"),
        ("ZMap:10:1", "error[ZM322]", "$.web.url)"),
        ("ZMap:11:1", "error[SC100]", "$.web.timeout)"),
    ]


def test_every_scheme_zmap_loads_is_accepted(tmp_path: Path) -> None:
    # ZMap's supported_schemes (src/zmapUtils/zmapUrl.cpp), compared case-insensitively
    urls = {
        "ens": "ENSEMBL://anonymous:@ensembldb.ensembl.org:3306?db_name=homo_sapiens_core_86_38",
        "hub": "trackhub:///AVTdr2tYYAv0XSJwlFkB",
        "ftp": "ftp://ftp.example.org/x.gff",
        "db": "mysql://reader@db.example.org:3306/core",
        "ace": "acedb://any:any@h:1",
        "web": "https://example.org/x.bam",
        "plain": "http://example.org/x.bb",
        "local": "file:///data/x.gff",
    }
    body = "".join(f"\n[{name}]\nurl = {url}\n" for name, url in urls.items())
    make(tmp_path, {"ZMap": f"[ZMap]\nsources = {' ; '.join(urls)}\n{body}"})
    assert validate(tmp_path, "ZMap") == (0, ["ok: 1 file valid"])
    data = load_text((tmp_path / "ZMap").read_text(encoding="utf-8"), "ZMap", "zmap", str(tmp_path / "ZMap")).doc
    assert data is not None
    sources = zmapconfig.read_sources(data.data, str(tmp_path))
    assert [s.scheme for s in sources] == ["ensembl", "trackhub", "ftp", "mysql", "acedb", "https", "http", "file"]
    assert not any(s.run_by_ferryman for s in sources)
    assert zmapconfig.run_by_ferryman("PIPE:///x.py") and not zmapconfig.run_by_ferryman("ensembl://h")


def test_a_scheme_zmap_does_not_load_is_named_never_a_regex(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = a ; b ; c ; d\n\n[a]\nurl = gopher://h/x\n\n"
            "[b]\nurl = curator:SECRET@host/x\n\n[c]\nurl = ssh+x://u:SECRET@h/x\n\n[d]\nurl = acedb://h:1\n",
        },
    )
    code, lines = validate(tmp_path, "--quiet", "ZMap")
    assert code == 1
    hint = (
        "  hint: ZMap loads pipe://, file://, http://, https://, ftp://, acedb://, mysql://, ensembl://, "
        "trackhub:// urls; ferryman runs the pipe:// ones"
    )
    assert lines == [
        "ZMap:5:1: error[ZM322]: url of source [a] has the scheme gopher://, which ZMap does not load (at $.a.url)",
        hint,
        "ZMap:8:1: error[ZM322]: url of source [b] does not start with a scheme such as pipe:// or file:// "
        "(at $.b.url)",
        hint,
        "ZMap:11:1: error[ZM322]: url of source [c] has the scheme ssh+x://, which ZMap does not load (at $.c.url)",
        hint,
    ]
    assert "SECRET" not in "\n".join(lines)


def test_the_zmap_schema_has_no_pattern_a_message_would_quote() -> None:
    # a schema `pattern` reaches users as a raw regex in SC100 messages; ZMap rules say what is allowed
    text = (ROOT / "schemas" / "zmap.schema.json").read_text(encoding="utf-8")
    assert '"pattern"' not in text and '"patternProperties"' not in text


# -- ZMap's own example config ------------------------------------------------------------------

ENSEMBL_EXAMPLE = ROOT / "tests" / "data" / "zmap" / "ensembl-example"


def test_zmaps_own_example_config_is_read_as_zmap_reads_it(tmp_path: Path) -> None:
    # examples/ZMap from Ensembl/zmap (see the README beside it): ensembl://, trackhub://, http://
    # and file:// sources are ZMap's own; the one finding is the pipe script it does not ship
    shutil.copytree(ENSEMBL_EXAMPLE, tmp_path / "ex")
    assert validate(tmp_path, "ex/ZMap") == (
        1,
        [
            "ex/ZMap:94:1: error[ZM313]: script filter_get does not exist (at $.pipe_pseudogenes.url)",
            "1 error, 0 warnings in 1 file",
        ],
    )
    make(tmp_path, {"ex/filter_get": SCRIPT}, executable=("ex/filter_get",))
    assert validate(tmp_path, "ex/ZMap") == (0, ["ok: 1 file valid"])
    doc = load_text((tmp_path / "ex/ZMap").read_text(encoding="utf-8"), "ZMap", "zmap", str(tmp_path / "ex/ZMap")).doc
    assert doc is not None
    sources = zmapconfig.read_sources(doc.data, str(tmp_path / "ex"))
    assert [(s.name, s.scheme, s.delayed) for s in sources] == [
        ("ensembl_core", "ensembl", True),
        ("ensembl_cdna", "ensembl", True),
        ("trackhub_captureseq", "trackhub", True),
        ("trackhub_blueprint", "trackhub", True),
        ("pipe_pseudogenes", "pipe", True),
        ("file_hsAll_bam", "http", True),
        ("file_hsAll_bigbed", "http", True),
        ("file_S00XEI11_bed", "file", True),
    ]
    assert [s.name for s in sources if s.run_by_ferryman] == ["pipe_pseudogenes"]
    pipe = sources[4].pipe
    assert pipe is not None and pipe.path == "filter_get" and len(pipe.args) == 18
    assert pipe.args[:2] == ("analysis=2way_pseudogenes", "chr=chr6-38")


# -- server groups ----------------------------------------------------------------------------


def test_server_group_members(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = db ; f1 ; f2\n\n[db]\nurl = acedb://any:any@h:1\n\n"
            "[f1]\nurl = file:///a.gff\n\n[f2]\nurl = http://example.org/b.gff\n\n[spare]\nfeaturesets = x\n\n"
            "[Server-groups]\nfiles = f1 ; f2 ; nope ; f1\nboth = f2 ; f1 ; spare\nlong = db ; f1\n",
        },
    )
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        [
            "ZMap:17:19: error[ZM303]: server group files names nope, which has no stanza "
            '(at $["Server-groups"].files[2])',
            "  hint: members are names from [ZMap] sources",
            'ZMap:17:26: warning[ZM309]: server group files lists f1 twice (at $["Server-groups"].files[3])',
            "  hint: delete the second mention",
            "ZMap:18:18: error[ZM303]: server group both names spare, which is not a source in [ZMap] sources "
            '(at $["Server-groups"].both[2])',
            "  hint: members are names from [ZMap] sources",
            "ZMap:19:8: error[ZM304]: server group long includes db, an acedb:// source "
            '(at $["Server-groups"].long[0])',
            "  hint: an acedb source keeps its connection open and would hold the group forever; "
            "take it out of the group",
        ],
    )


# -- pipe URLs and scripts --------------------------------------------------------------------


def test_pipe_url_rules(tmp_path: Path) -> None:
    make(
        tmp_path / "cfg",
        {
            "ZMap": pipe_config(
                "[genes]\nurl = pipe://getgff.py?x=1\nfeaturesets = genes\n",
                "[ests]\nurl = pipe:///tools/get.py\nfeaturesets = ests\n",
                "[out]\nurl = pipe:///../escape.py\n",
                "[nohost]\nurl = pipe://host:9/\n",
                "[abs]\nurl = pipe:////no/such/dir/get.py\n",
                sources="genes ; ests ; out ; nohost ; abs",
            ),
            "styles.ini": STYLES,
            "scripts/getgff.py": SCRIPT,
            "scripts/tools/get.py": SCRIPT,
            "escape.py": SCRIPT,
        },
        executable=("scripts/getgff.py", "scripts/tools/get.py", "escape.py"),
    )
    code, lines = validate(tmp_path, "--quiet", "cfg/ZMap")
    assert code == 1
    assert lines == [
        "cfg/ZMap:7:1: warning[ZM311]: pipe://getgff.py puts the script where the host goes; "
        "read as the relative path getgff.py (at $.genes.url)",
        "  hint: write pipe:///getgff.py?… (three slashes)",
        "cfg/ZMap:11:1: warning[ZM312]: pipe:///tools/get.py is the relative path tools/get.py in script-dir scripts, "
        "not the absolute path /tools/get.py (at $.ests.url)",
        "  hint: write pipe:////tools/get.py for the absolute path, or pipe:///./tools/get.py for the relative one",
        "cfg/ZMap:15:1: error[ZM310]: script path ../escape.py leads outside script-dir scripts (at $.out.url)",
        "  hint: keep scripts inside script-dir, or give an absolute path: pipe:////abs/path/script",
        "cfg/ZMap:18:1: error[ZM321]: pipe://host:9/ names no script (the path after the host is empty) "
        "(at $.nohost.url)",
        "  hint: write pipe:///script?args",
        "cfg/ZMap:21:1: error[ZM313]: script /no/such/dir/get.py does not exist (at $.abs.url)",
    ]


def test_pipe_url_messages_never_show_a_password(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": pipe_config(
                "[genes]\nurl = pipe://curator:hunter2@host\nfeaturesets = genes\n",
                "[ests]\nurl = pipe://tok_hunter2@host:9/\nfeaturesets = ests\n",
                sources="genes ; ests",
            ),
            "styles.ini": STYLES,
            "scripts/README": "",
        },
    )
    code, lines = validate(tmp_path, "--quiet", "ZMap")
    assert code == 1
    assert lines == [
        "ZMap:7:1: error[ZM321]: pipe://curator:***@host names no script (nothing after the host) (at $.genes.url)",
        "  hint: write pipe:///script?args",
        "ZMap:11:1: error[ZM321]: pipe://***@host:9/ names no script (the path after the host is empty) "
        "(at $.ests.url)",
        "  hint: write pipe:///script?args",
    ]


def test_script_problems_are_reported_once_per_script(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": pipe_config(
                "[genes]\nurl = pipe:///plain.py?a\nfeaturesets = genes\n",
                "[ests]\nurl = pipe:///plain.py?b\nfeaturesets = ests\n",
                "[n1]\nurl = pipe:///noshebang.py\n",
                "[n2]\nurl = pipe:///folder\n",
                "[n3]\nurl = pipe:///missing.py\n",
                "[n4]\nurl = pipe:///missing.py?again\n",
                "[n5]\nurl = pipe:///missing.py?and_again\n",
                sources="genes ; ests ; n1 ; n2 ; n3 ; n4 ; n5",
            ),
            "styles.ini": STYLES,
            "scripts/plain.py": SCRIPT,
            "scripts/noshebang.py": "print('##gff-version 3')\n",
            "scripts/folder/keep": "",
        },
        executable=("scripts/noshebang.py",),
    )
    code, lines = validate(tmp_path, "--quiet", "ZMap")
    assert code == 1
    assert lines == [
        "ZMap:7:1: error[ZM314]: script scripts/plain.py is not executable (also used by 1 other source) "
        "(at $.genes.url)",
        "  hint: chmod +x scripts/plain.py",
        "ZMap:15:1: error[ZM315]: script scripts/noshebang.py does not start with #! (at $.n1.url)",
        "  hint: begin with a line such as #!/usr/bin/env python3 (without one, ZMap and ferryman hand the "
        "file to /bin/sh)",
        "ZMap:18:1: error[ZM313]: script scripts/folder is a folder, not a script (at $.n2.url)",
        "ZMap:21:1: error[ZM313]: script scripts/missing.py does not exist (also used by 2 other sources) "
        "(at $.n3.url)",
    ]


def test_script_dir_is_relative_to_the_config_not_the_current_folder(tmp_path: Path) -> None:
    make(
        tmp_path / "deep" / "cfg",
        {
            "ZMap": pipe_config("[genes]\nurl = pipe:///getgff.py\nfeaturesets = genes\n"),
            "styles.ini": STYLES,
            "scripts/getgff.py": SCRIPT,
        },
        executable=("scripts/getgff.py",),
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = ferryman("validate", str(tmp_path / "deep" / "cfg" / "ZMap"), cwd=elsewhere)
    assert (proc.returncode, proc.stderr) == (0, "ok: 1 file valid\n")


def test_script_dir_defaults_to_the_config_folder(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = genes\nstylesfile = styles.ini\n\n"
            "[genes]\nurl = pipe:///getgff.py\nfeaturesets = genes\n",
            "styles.ini": STYLES,
            "getgff.py": SCRIPT,
        },
        executable=("getgff.py",),
    )
    assert validate(tmp_path, "ZMap") == (0, ["ok: 1 file valid"])
    (tmp_path / "getgff.py").unlink()
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        ["ZMap:6:1: error[ZM313]: script getgff.py does not exist (at $.genes.url)"],
    )


def test_a_missing_script_dir_is_one_error(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": pipe_config(
                "[genes]\nurl = pipe:///a.py\nfeaturesets = genes\n",
                "[ests]\nurl = pipe:///b.py\nfeaturesets = ests\n",
                sources="genes ; ests",
            ),
            "styles.ini": STYLES,
        },
    )
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        ['ZMap:3:1: error[ZM319]: script-dir scripts does not exist (at $.ZMap["script-dir"])'],
    )


# -- styles -----------------------------------------------------------------------------------


def test_a_stylesfile_is_needed_without_acedb(tmp_path: Path) -> None:
    files = "".join(f"\n[f{i}]\nurl = file:///f{i}.gff\n" for i in range(5))
    make(tmp_path, {"ZMap": "[ZMap]\nsources = f0 ; f1 ; f2 ; f3 ; f4\n" + files})
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        [
            "ZMap:1:1: error[ZM316]: no stylesfile in [ZMap] and no acedb:// source: "
            "the styles of f0, f1, f2 and 2 more are not defined (at $.ZMap)",
            "  hint: set stylesfile in [ZMap] to a file of [style] groups; only acedb serves styles itself",
        ],
    )
    # one acedb source lifts the requirement (docs/formats.md, ZMap)
    make(tmp_path, {"ZMap": "[ZMap]\nsources = f0 ; db\n\n[f0]\nurl = file:///f0.gff\n\n[db]\nurl = acedb://h:1\n"})
    assert validate(tmp_path, "ZMap") == (0, ["ok: 1 file valid"])


def test_styles_named_by_sources_must_exist(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = genes ; ests ; db ; own\nstylesfile = styles.ini\n\n"
            "[genes]\nurl = file:///g.gff\nfeaturesets = GENES ; Pseudo ; est_human\nstyles = genes ; polyA\n\n"
            "[ests]\nurl = file:///e.gff\nfeaturesets = pseudo ; est_mouse\n\n"
            "[db]\nurl = acedb://any:any@h:1\nfeaturesets = anything\n\n"
            "[own]\nurl = file:///o.gff\nstylesfile = own.ini\nfeaturesets = genes ; special\n\n"
            "[featureset-style]\nest_human = ests\nEST_mouse = est_align\n",
            "styles.ini": STYLES,
            "own.ini": "[special]\nmode = basic\n",
        },
    )
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        [
            "ZMap:7:23: error[ZM318]: featureset Pseudo has no style: styles.ini defines no [Pseudo] "
            "(also named by 1 other source) (at $.genes.featuresets[1])",
            "  hint: add a [style] group to the stylesfile, or map the featureset in [featureset-style]",
            "ZMap:8:18: error[ZM318]: style polyA is not defined in styles.ini (at $.genes.styles[1])",
            "  hint: add a [style] group to the stylesfile, or map the featureset in [featureset-style]",
            "ZMap:12:24: error[ZM318]: featureset est_mouse uses style est_align ([featureset-style]), "
            "which styles.ini does not define (at $.ests.featuresets[1])",
            "  hint: add a [style] group to the stylesfile, or map the featureset in [featureset-style]",
            "ZMap:21:15: error[ZM318]: featureset genes has no style: own.ini defines no [genes] "
            "(at $.own.featuresets[0])",
            "  hint: add a [style] group to the stylesfile, or map the featureset in [featureset-style]",
        ],
    )


def test_stylesfile_missing_or_broken(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = a ; b\nstylesfile = nothere.ini\n\n[a]\nurl = file:///a.gff\nfeaturesets = x\n\n"
            "[b]\nurl = file:///b.gff\nstylesfile = broken.txt\n",
            "broken.txt": "[x]\nmode = basic\nmode basic\n[]\n",
        },
    )
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        [
            "ZMap:3:1: error[ZM317]: stylesfile nothere.ini does not exist (at $.ZMap.stylesfile)",
            "ZMap:11:1: error[ZM320]: stylesfile broken.txt cannot be read: line 3: line 'mode basic' is not a "
            "[group], a key = value or a comment (and 1 more) (at $.b.stylesfile)",
            "  hint: check it on its own: ferryman validate --kind styles FILE",
        ],
    )


def test_a_script_that_is_a_fifo_is_not_called_missing(tmp_path: Path) -> None:
    make(tmp_path, {"ZMap": "[ZMap]\nsources = a\nstylesfile = s.ini\n\n[a]\nurl = pipe:///fifo.sh\nfeaturesets = x\n",
                    "s.ini": "[x]\nmode = basic\n"})
    os.mkfifo(tmp_path / "fifo.sh", 0o755)
    code, lines = validate(tmp_path, "--quiet", "ZMap")
    assert code == 1
    assert lines == ["ZMap:6:1: error[ZM313]: script fifo.sh is not a regular file (at $.a.url)"]


def test_a_stylesfile_that_is_a_folder_or_a_fifo_is_not_called_missing(tmp_path: Path) -> None:
    # it exists: "does not exist" would send the user looking for a file that is there
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = a ; b\nstylesfile = styles.d\n\n[a]\nurl = file:///a.gff\nfeaturesets = x\n\n"
            "[b]\nurl = file:///b.gff\nfeaturesets = x\nstylesfile = pipe.ini\n",
        },
    )
    (tmp_path / "styles.d").mkdir()
    os.mkfifo(tmp_path / "pipe.ini")
    assert validate(tmp_path, "--quiet", "ZMap") == (
        1,
        [
            "ZMap:3:1: error[ZM320]: stylesfile styles.d cannot be read: it is a folder (at $.ZMap.stylesfile)",
            "  hint: check it on its own: ferryman validate --kind styles FILE",
            "ZMap:12:1: error[ZM320]: stylesfile pipe.ini cannot be read: it is not a regular file "
            "(at $.b.stylesfile)",
            "  hint: check it on its own: ferryman validate --kind styles FILE",
        ],
    )


def test_a_stylesfile_many_stanzas_name_is_read_and_reported_once(tmp_path: Path) -> None:
    # real configs give each RNA-seq source its own `stylesfile = styles-rnaseq.ini`: one file,
    # read once, and one report where it is first named, counting the other stanzas
    names = [f"rna{i}" for i in range(40)]
    stanzas = "".join(f"\n[{n}]\nurl = file:///{n}.bam\nfeaturesets = {n}\nstylesfile = ./gone.ini\n" for n in names)
    also = "".join(f"\n[{n}]\nurl = file:///{n}.gff\nfeaturesets = x\nstylesfile = other.ini\n" for n in ("o1", "o2"))
    make(tmp_path, {"ZMap": f"[ZMap]\nsources = {' ; '.join(names)} ; o1 ; o2\n{stanzas}{also}"})
    code, lines = validate(tmp_path, "--quiet", "ZMap")
    assert code == 1
    assert lines == [
        "ZMap:7:1: error[ZM317]: stylesfile ./gone.ini does not exist (also named in 39 other stanzas) "
        "(at $.rna0.stylesfile)",
        "ZMap:207:1: error[ZM317]: stylesfile other.ini does not exist (also named in 1 other stanza) "
        "(at $.o1.stylesfile)",
    ]


def test_styles_file_rules(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "styles.ini": "[base]\nmode = basic\n\n[Genes]\nparent-style = BASE\n\n[a]\nparent-style = b\n\n"
            "[b]\nparent-style = c\n\n[c]\nparent-style = a\n\n[d]\nparent-style = a\n\n"
            "[e]\nparent-style = missing\n\n[self]\nparent-style = self\n",
        },
    )
    assert validate(tmp_path, "--quiet", "styles.ini") == (
        1,
        [
            'styles.ini:8:1: error[ZM352]: parent-style loops: a -> b -> c -> a (at $.a["parent-style"])',
            "  hint: a style cannot inherit from itself, directly or not",
            "styles.ini:20:1: error[ZM351]: style [e] has parent-style missing, which is not defined in this file "
            '(at $.e["parent-style"])',
            "  hint: define the parent, or fix its name",
            'styles.ini:23:1: error[ZM352]: parent-style loops: self -> self (at $.self["parent-style"])',
            "  hint: a style cannot inherit from itself, directly or not",
        ],
    )


# -- readers ----------------------------------------------------------------------------------


def test_readers_tolerate_data_that_failed_the_schema() -> None:
    bad = {"ZMap": {"sources": ["a", 3, "a", "b"], "script-dir": 5}, "a": "not a stanza", "b": {"url": 7}}
    assert zmapconfig.source_names(bad) == ["a", "b"]
    assert zmapconfig.read_sources(bad, "/cfg") == []
    assert zmapconfig.script_dir(bad, "/cfg") == "/cfg"
    assert zmapconfig.server_groups({"Server-groups": {"g": ["a", "a", 1], "h": "x"}}) == {"g": ["a"], "h": []}
    assert zmapconfig.source_names(None) == []


def test_read_sources_resolves_scripts() -> None:
    data = {
        "ZMap": {"sources": ["a", "b", "c"], "script-dir": "bin"},
        "a": {"url": "pipe:///get.py?x=1", "featuresets": ["f"], "delayed": True, "timeout": 30},
        "b": {"url": "acedb://h:1"},
        "c": {"url": "pipe:///"},
    }
    a, b, c = zmapconfig.read_sources(data, "/cfg")
    assert (a.name, a.scheme, a.script, a.featuresets, a.delayed, a.timeout) == (
        "a", "pipe", "/cfg/bin/get.py", ("f",), True, 30,
    )  # fmt: skip
    assert a.pipe is not None and a.pipe.args == ("x=1",)
    assert (b.scheme, b.pipe, b.script, b.delayed) == ("acedb", None, None, False)
    assert (c.pipe, c.script) == (None, None)


def test_stylesfile_reader() -> None:
    data = {"ZMap": {"stylesfile": "s.ini"}, "a": {"url": "x", "stylesfile": "own.ini"}, "b": {"url": "y"}}
    assert zmapconfig.stylesfile(data) == ("s.ini", ("ZMap", "stylesfile"))
    assert zmapconfig.stylesfile(data, "a") == ("own.ini", ("a", "stylesfile"))
    assert zmapconfig.stylesfile(data, "b") == ("s.ini", ("ZMap", "stylesfile"))
    assert zmapconfig.stylesfile({}, "b") is None


def test_validate_never_tracebacks_on_odd_input(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "ZMap": "[ZMap]\nsources = ;;;\nscript-dir =\nstylesfile =\n\n[Server-groups]\n\n"
            "[featureset-style]\n\n[ ]\nurl = pipe:///\u00e9t\u00e9.py?\u00e9=1\n",
        },
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ferryman", "validate", "ZMap"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].endswith("in 1 file")


def test_demo_samples_are_where_the_manifest_says() -> None:
    manifest = (ROOT / "samples" / "ferryman.toml").read_text(encoding="utf-8")
    assert 'config = "zmap/ZMap"' in manifest
