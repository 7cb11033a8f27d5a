"""The compiler: golden plans of the samples, graph errors, staleness, determinism, no secrets."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ferryman
from ferryman.compiler import graph
from ferryman.compiler.plan import Plan

from .conftest import ROOT, SAMPLES
from .conftest import ferryman as cli

GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A private copy of the sample workspace."""
    dest = tmp_path / "ws"
    shutil.copytree(SAMPLES, dest, ignore=shutil.ignore_patterns(".ferryman", "invalid", "*_modified.yml"))
    return dest


def _normalize(text: str, root: Path) -> str:
    text = text.replace(str(root), "<ROOT>")
    return re.sub(r"sha256:[0-9a-f]{12,64}", "sha256:<DIGEST>", text)


@pytest.mark.parametrize("fmt", ["text", "json", "dot", "mermaid"])
def test_sample_plan_matches_golden(ws: Path, fmt: str) -> None:
    proc = cli("plan", "--format", fmt, cwd=ws)
    assert proc.returncode == 0, proc.stderr
    got = _normalize(proc.stdout, ws)
    golden = GOLDEN / f"samples-plan.{ {'text': 'txt', 'json': 'json', 'dot': 'dot', 'mermaid': 'mmd'}[fmt] }"
    if os.environ.get("FERRYMAN_UPDATE_GOLDEN"):
        golden.write_text(got)
    assert got == golden.read_text()


def test_plan_json_matches_plan_schema(ws: Path) -> None:
    from jsonschema import Draft202012Validator

    from ferryman.compiler.schemas import schema

    doc = json.loads(cli("plan", "--format", "json", cwd=ws).stdout)
    errors = list(Draft202012Validator(schema("plan")).iter_errors(doc))
    assert errors == []


def test_api_round_trip_and_digest(ws: Path) -> None:
    plan = ferryman.compile(ferryman.load(ws / "ferryman.toml"))
    text = plan.to_json()
    again = Plan.from_json(text)
    assert again == plan
    assert again.to_json() == text
    assert json.loads(text)["digest"] == plan.digest
    assert ferryman.compile(ferryman.load(ws)).to_json() == text  # a folder works too


def test_plan_has_what_a_run_needs(ws: Path) -> None:
    plan = ferryman.compile(ferryman.load(ws))
    kinds = {t.kind for t in plan.tasks}
    assert kinds == {"pipe", "ndex", "profile"}
    pipe = next(t for t in plan.tasks if t.kind == "pipe")
    assert pipe.action["cwd"] == str(ws / "zmap" / "scripts")
    assert pipe.action["argv"][0].startswith(str(ws / "zmap" / "scripts"))
    assert pipe.action["argv"][-2:] == ["zmap_start=2231363", "zmap_end=2588301"]
    assert plan.task("ndex:human-nets").after == ("profile:strict",)
    assert {i.path for i in plan.inputs} >= {"ferryman.toml", "zmap/ZMap", "copy-plans/human-nets.json"}


def test_edited_plan_file_is_refused(ws: Path) -> None:
    out = ws / "plan.json"
    assert cli("plan", "--out", str(out), cwd=ws).returncode == 0
    doc = json.loads(out.read_text())
    doc["limits"]["max_parallel"] = 99
    out.write_text(json.dumps(doc))
    proc = cli("run", str(out), cwd=ws)
    assert proc.returncode == 1
    assert "the plan file was edited after it was compiled (digest mismatch)" in proc.stderr


def test_stale_plan_exit_3_and_force(ws: Path) -> None:
    out = ws / "plan.json"
    assert cli("plan", "--out", str(out), cwd=ws).returncode == 0
    plan = Plan.from_json(out.read_text())
    assert plan.stale_inputs() == []
    cfg = ws / "zmap" / "ZMap"
    cfg.write_text(cfg.read_text() + "\n# edited\n")
    assert plan.stale_inputs() == ["zmap/ZMap"]
    proc = cli("run", str(out), "--only", "profile:strict", cwd=ws)
    assert proc.returncode == 3
    assert proc.stderr.startswith("ferryman: error: the plan is stale: zmap/ZMap changed since it was compiled\n")
    forced = cli("run", str(out), "--only", "profile:strict", "--force-stale", "--progress", "none", cwd=ws)
    assert forced.returncode == 0, forced.stderr


def test_a_plan_added_to_the_plans_folder_makes_the_plan_stale(ws: Path) -> None:
    out = ws / "plan.json"
    assert cli("plan", "--out", str(out), cwd=ws).returncode == 0
    plan = Plan.from_json(out.read_text())
    assert "copy-plans/" in [i.path for i in plan.inputs]
    shutil.copy(ws / "copy-plans" / "human-nets.json", ws / "copy-plans" / "more-nets.json")
    assert plan.stale_inputs() == ["copy-plans/"]
    proc = cli("run", str(out), "--only", "profile:strict", cwd=ws)
    assert proc.returncode == 3
    assert "the plan is stale: copy-plans/ changed since it was compiled" in proc.stderr
    (ws / "copy-plans" / "more-nets.json").unlink()
    assert plan.stale_inputs() == []
    (ws / "copy-plans" / "notes.txt").write_text("not a plan")  # only *.json files are plans
    assert plan.stale_inputs() == []


def _write_after(ws: Path, entries: list[tuple[str, list[str]]], extra: str = "") -> None:
    manifest = ws / "ferryman.toml"
    text = manifest.read_text().split("[[after]]")[0]
    for task, needs in entries:
        text += f'[[after]]\ntask = "{task}"\nneeds = {json.dumps(needs)}\n\n'
    manifest.write_text(text + extra)


def test_cycle_names_every_task_in_order(ws: Path) -> None:
    _write_after(ws, [("ndex:human-nets", ["profile:strict"]), ("profile:strict", ["pipe:ensembl"]),
                      ("pipe:ensembl", ["ndex:human-nets"])])
    for args in (("validate",), ("plan",)):
        proc = cli(*args, cwd=ws)
        assert proc.returncode == 1
        assert proc.stderr.splitlines()[0] == (
            "ferryman.toml:30:1: error[PL701]: dependency cycle: "
            "ndex:human-nets -> profile:strict -> pipe:ensembl -> ndex:human-nets (at $.after[0])"
        )


def test_after_naming_unknown_task(ws: Path) -> None:
    _write_after(ws, [("ndex:human-nets", ["profile:lenient"])])
    proc = cli("plan", cwd=ws)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == (
        "ferryman.toml:32:10: error[PL702]: [[after]] names unknown task 'profile:lenient' (at $.after[0].needs[0])"
    )


def test_group_that_can_never_be_acquired(ws: Path) -> None:
    _write_after(ws, [], extra="[groups]\ncompute = 0\n")
    proc = cli("plan", cwd=ws)
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[0]
    assert first.startswith("ferryman.toml:31:1: error[PL703]: group 'compute' has capacity 0: ")
    assert "pipe:cpg_islands" in first and "can never run" in first


def test_no_secret_reaches_any_output(ws: Path) -> None:
    secret_env = "env-secret-Zq81"
    literal = "literal-secret-Xw42"
    plan_path = ws / "copy-plans" / "pathways-query.json"
    doc = json.loads(plan_path.read_text())
    doc["target"]["password"] = literal
    plan_path.write_text(json.dumps(doc, indent=2))
    env = {"NDEX_SOURCE_PASSWORD": secret_env, "NDEX_TARGET_PASSWORD": secret_env}
    outputs = []
    for fmt in ("text", "json", "dot", "mermaid"):
        proc = cli("plan", "--format", fmt, cwd=ws, env=env)
        assert proc.returncode == 0, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    saved = ws / "saved.json"
    proc = cli("plan", "--out", str(saved), cwd=ws, env=env)
    outputs += [proc.stdout, proc.stderr, saved.read_text()]
    for fmt in ("text", "json", "github"):
        proc = cli("validate", "--format", fmt, cwd=ws, env=env)
        outputs += [proc.stdout, proc.stderr]
    blob = "\n".join(outputs)
    assert secret_env not in blob and literal not in blob
    pointer = json.loads(saved.read_text())
    task = next(t for t in pointer["tasks"] if t["id"] == "ndex:pathways-query")
    assert task["action"]["target"]["password"] == "${input:copy-plans/pathways-query.json#/target/password}"
    assert task["action"]["source"]["password"] == "${env:NDEX_SOURCE_PASSWORD}"


def test_only_with_deps(ws: Path) -> None:
    proc = cli("plan", "--format", "json", "--only", "ndex:human-nets", "--with-deps", cwd=ws)
    ids = [t["id"] for t in json.loads(proc.stdout)["tasks"]]
    assert ids == ["ndex:human-nets", "profile:strict"]
    proc = cli("plan", "--format", "json", "--only", "ndex:human-nets", cwd=ws)
    tasks = json.loads(proc.stdout)["tasks"]
    assert [(t["id"], t["after"]) for t in tasks] == [("ndex:human-nets", [])]
    bad = cli("plan", "--only", "pipe:nope", cwd=ws)
    assert bad.returncode == 2
    assert "no task 'pipe:nope' in the plan" in bad.stderr


def test_text_plan_stays_readable_at_1000_tasks(tmp_path: Path) -> None:
    root = _generated_workspace(tmp_path, n=1000, groups=[list(range(0, 1000, 3)), list(range(1, 1000, 7))],
                                after=[(i, i - 1) for i in range(1, 1000, 50)])
    proc = cli("plan", cwd=root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].startswith("1000 tasks: 1000 pipe")
    assert max(len(line) for line in lines) < 400
    assert any("… and " in line and " more" in line for line in lines)


# -- generated workspaces -----------------------------------------------------------------

SCRIPT = "#!/bin/sh\necho '##gff-version 3'\n"


def _generated_workspace(tmp: Path, n: int, groups: list[list[int]], after: list[tuple[int, int]],
                         shuffle: random.Random | None = None) -> Path:
    root = tmp
    (root / "zmap" / "scripts").mkdir(parents=True, exist_ok=True)
    script = root / "zmap" / "scripts" / "s.sh"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    (root / "zmap" / "styles.ini").write_text("[fs]\nmode=basic\n")
    names = [f"src{i:04d}" for i in range(n)]
    stanzas = [f"[{name}]\nurl = pipe:///s.sh?n={i}\nfeaturesets = fs\n" for i, name in enumerate(names)]
    group_lines = [f"g{j} = {' ; '.join(names[i] for i in members)}" for j, members in enumerate(groups) if members]
    after_entries = [(f"pipe:{names[a]}", [f"pipe:{names[b]}"]) for a, b in after]
    if shuffle is not None:
        shuffle.shuffle(stanzas)
        shuffle.shuffle(group_lines)
        shuffle.shuffle(after_entries)
    cfg = "[ZMap]\nsources = " + " ; ".join(names) + "\nstylesfile = styles.ini\nscript-dir = scripts\n\n"
    cfg += "\n".join(stanzas) + "\n[Server-groups]\n" + "\n".join(group_lines) + "\n"
    (root / "zmap" / "ZMap").write_text(cfg)
    manifest = '[workspace]\nname = "gen"\n\n[zmap]\nconfig = "zmap/ZMap"\nregion = { start = 1, end = 1000 }\n\n'
    for task, needs in after_entries:
        manifest += f'[[after]]\ntask = "{task}"\nneeds = {json.dumps(needs)}\n\n'
    (root / "ferryman.toml").write_text(manifest)
    return root


@st.composite
def workspaces(draw: st.DrawFn) -> tuple[int, list[list[int]], list[tuple[int, int]]]:
    n = draw(st.integers(1, 12))
    groups = draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True), max_size=4))
    after = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] > e[1]),
                          max_size=10, unique=True))
    return n, groups, after


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=workspaces(), seed=st.integers(0, 1000))
def test_generated_workspaces_compile_to_stable_dags(tmp_path_factory: pytest.TempPathFactory,
                                                      spec: tuple[int, list[list[int]], list[tuple[int, int]]],
                                                      seed: int) -> None:
    n, groups, after = spec
    base = tmp_path_factory.mktemp("gen")
    root = _generated_workspace(base, n, groups, after)
    plan = ferryman.compile(ferryman.load(root))
    assert graph.find_cycle(plan.edges) is None
    ids = {t.id for t in plan.tasks}
    assert len(plan.tasks) == n
    for g in plan.groups:
        assert set(g.members) <= ids and g.capacity == 1
        for m in g.members:
            assert g.name in plan.task(m).groups
    assert Plan.from_json(plan.to_json()) == plan
    # the same workspace written in another order compiles to the same bytes
    def texts() -> tuple[str, str]:  # the inputs a shuffle may reorder: the config and the manifest
        return (root / "zmap" / "ZMap").read_text(), (root / "ferryman.toml").read_text()

    before = texts()
    _generated_workspace(base, n, groups, after, shuffle=random.Random(seed))
    if texts() == before:
        again = ferryman.compile(ferryman.load(root))
        assert again.to_json() == plan.to_json()
    else:
        again = ferryman.compile(ferryman.load(root))
        body_a, body_b = json.loads(plan.to_json()), json.loads(again.to_json())
        for doc in (body_a, body_b):  # the input hashes differ by construction; all else is equal
            doc.pop("digest")
            doc.pop("inputs")
        assert body_a == body_b


def test_digest_stable_across_processes_and_hash_seeds(ws: Path) -> None:
    outs = {cli("plan", "--format", "json", cwd=ws, env={"PYTHONHASHSEED": seed}).stdout for seed in ("0", "1", "4242")}
    assert len(outs) == 1


def test_hosts_table_sets_host_capacities(ws: Path) -> None:
    manifest = ws / "ferryman.toml"
    text = manifest.read_text()
    plan = Plan.from_json(cli("plan", "--format", "json", cwd=ws).stdout)
    host = next(r for r in plan.resources if r.kind == "host")
    assert (host.id, host.capacity) == ("host:127.0.0.1:8765", 1)
    assert all(host.id in plan.task(m).resources for m in host.members)
    manifest.write_text(text.replace('"127.0.0.1:8765" = 1', '"127.0.0.1:8765" = 3'))
    plan = Plan.from_json(cli("plan", "--format", "json", cwd=ws).stdout)
    assert next(r for r in plan.resources if r.kind == "host").capacity == 3
    manifest.write_text(text.replace('"127.0.0.1:8765" = 1', '"127.0.0.1:8765" = 0'))
    proc = cli("validate", cwd=ws)
    assert proc.returncode == 1
    assert "ferryman.toml:" in proc.stderr and "hosts" in proc.stderr
    without = re.sub(r'(?m)^"127\.0\.0\.1:8765" = 1.*\n', "", text)
    assert without != text
    manifest.write_text(without)
    plan = Plan.from_json(cli("plan", "--format", "json", cwd=ws).stdout)
    assert next(r for r in plan.resources if r.kind == "host").capacity == 2  # per_host_limit
