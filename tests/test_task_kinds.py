"""The task-kind registry: one module per kind, and a kind defined here alone is planned, printed and
run with no other file touched (docs/architecture.md, "Task kinds")."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import ferryman
from ferryman.compiler import tasks
from ferryman.compiler.ir import Workspace
from ferryman.compiler.plan import Plan, Task
from ferryman.compiler.render import render
from ferryman.runtime.journal import read_events
from ferryman.runtime.runner import RunOptions, execute
from ferryman.runtime.scheduler import TaskOutcome
from ferryman.runtime.services import RunContext

from .conftest import ROOT
from .test_run import make_ws

PLAN_SCHEMA = ROOT / "schemas" / "plan.schema.json"


def test_plan_schema_kinds_are_the_registry() -> None:
    schema = json.loads(PLAN_SCHEMA.read_text())
    enum = schema["properties"]["tasks"]["items"]["properties"]["kind"]["enum"]
    assert sorted(enum) == sorted(tasks.registry())
    # every kind with a kind-specific action schema names a registered kind
    for branch in schema["properties"]["tasks"]["items"].get("allOf", []):
        assert branch["if"]["properties"]["kind"]["const"] in tasks.registry()


def test_every_builtin_kind_names_an_importable_executor() -> None:
    for name, kind in tasks.registry().items():
        if kind.executor is None:
            continue
        module, _, _attr = kind.executor.partition(":")
        assert module.startswith("ferryman.runtime.executors."), name
        if name == "ndex" and not Path(ROOT / "runtime" / "executors" / "ndex.py").exists():
            continue  # not built in this version: the runtime reports its tasks as skipped
        assert callable(tasks.load_executor(kind.executor)), name


def test_only_the_registry_names_kinds() -> None:
    """No module outside compiler/tasks/ compares against a kind name literal."""
    offenders = []
    for folder in ("compiler", "runtime", "ferryman"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tasks" in path.relative_to(ROOT).parts[:2] or path.is_symlink():
                continue
            text = path.read_text()
            for kind in ("pipe", "ndex", "profile", "bridge"):
                for needle in (f'kind == "{kind}"', f'.kind == "{kind}"', f'kind != "{kind}"'):
                    if needle in text:
                        offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


# -- a throwaway kind, defined in this file alone ------------------------------------------------

RAN: list[str] = []


class EchoKind(tasks.BaseKind):
    """One `echo:<source>` task per ZMap source; it writes `<state>/echo/<source>.txt`."""

    name = "echo"
    rank = 5
    executor = f"{__name__}:run_echo"

    def specs(self, ws: Workspace) -> Iterable[tasks.TaskSpec]:
        assert ws.zmap is not None
        for s in ws.zmap.sources:
            yield tasks.TaskSpec(f"echo:{s.name}", {"text": f"hello {s.name}",
                                                    "output": f"{ws.state_dir}/echo/{s.name}.txt"},
                                 groups=("echoes",), hosts=("echo.example.org",))

    def outputs(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return (str(action["output"]),)

    def featuresets(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return ("echo-fs",)

    def details(self, action: Mapping[str, Any], root: str) -> list[tuple[str, str]]:
        return [("say", str(action["text"]))]


def run_echo(task: Task, ctx: RunContext) -> TaskOutcome:
    RAN.append(task.id)
    out = ctx.path(task.action["output"])
    os.makedirs(os.path.dirname(out), exist_ok=True)
    Path(out).write_text(task.action["text"] + "\n")
    return TaskOutcome(True, "said it")


@pytest.fixture
def echo_kind() -> Iterator[None]:
    unregister = tasks.register(EchoKind())
    try:
        yield
    finally:
        unregister()


def test_a_new_kind_is_planned_printed_and_run(tmp_path: Path, echo_kind: None) -> None:
    root = make_ws(tmp_path, {"a": {"query": "x=1"}, "b": {"query": "x=2"}}, {})
    plan = ferryman.compile(ferryman.load(root))
    echo = [t for t in plan.tasks if t.kind == "echo"]
    assert [t.id for t in echo] == ["echo:a", "echo:b"]
    assert echo[0].resources == ("group:echoes", "host:echo.example.org")
    host = next(r for r in plan.resources if r.id == "host:echo.example.org")
    assert host.capacity == 4 and host.members == ("echo:a", "echo:b")  # per_host_limit's default
    # printed: the text plan shows its lines, the drawings its node
    text = render(plan, "text")
    assert "echo:a" in text and "say    hello a" in text and "echoes (capacity 1): echo:a, echo:b" in text
    assert '"echo:b"' in render(plan, "dot")
    # the plan file round-trips
    assert Plan.from_json(plan.to_json()).digest == plan.digest
    # run: selected by its featureset, executed through the registry, resumed by its outputs
    RAN.clear()
    out, err = io.StringIO(), io.StringIO()
    result = execute(plan, RunOptions(featuresets=("echo-fs",), progress="plain"), out=out, err=err)
    assert result.exit_code == 0, err.getvalue()
    assert sorted(RAN) == ["echo:a", "echo:b"]
    assert (root / ".ferryman" / "echo" / "a.txt").read_text() == "hello a\n"
    RAN.clear()
    again = execute(plan, RunOptions(featuresets=("echo-fs",), resume=True, progress="none"), out=out, err=err)
    assert again.exit_code == 0 and RAN == []
    (root / ".ferryman" / "echo" / "b.txt").unlink()
    execute(plan, RunOptions(featuresets=("echo-fs",), resume=True, progress="none"), out=out, err=err)
    assert RAN == ["echo:b"]
    journal = root / ".ferryman" / "runs" / result.run_id / "journal.jsonl"
    statuses = {e["task"]: e["status"] for e in read_events(str(journal)) if e.get("event") == "task"}
    assert statuses == {"echo:a": "succeeded", "echo:b": "succeeded"}


def test_the_plan_says_which_sources_ferryman_does_not_run(tmp_path: Path) -> None:
    root = make_ws(tmp_path, {"a": {"query": "x=1"}}, {})
    cfg = root / "zmap" / "ZMap"
    text = cfg.read_text().replace("sources = a", "sources = a ; genes ; hub")
    text += ("\n[genes]\nurl = ensembl://anonymous@ensembldb.ensembl.org:3306?db=homo_sapiens_core\n"
             "featuresets = fs\n\n[hub]\nurl = trackhub:///hub_1234\nfeaturesets = fs\n")
    cfg.write_text(text)
    plan = ferryman.compile(ferryman.load(root))
    assert [t.id for t in plan.tasks] == ["pipe:a"]
    assert plan.notes == ("2 ZMap sources not run by ferryman (ZMap loads them itself): genes (ensembl://), "
                          "hub (trackhub://)",)
    assert render(plan, "text").endswith("notes:\n  " + plan.notes[0] + "\n")
    assert Plan.from_json(plan.to_json()).notes == plan.notes
