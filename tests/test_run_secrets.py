"""Runtime services on secrets: a value named by a copy plan's `${env:…}` reference never reaches a
journal, a progress line, a warning, a summary or `runs show`, and scripts do not get the variable;
a literal password in a copy plan is resolved through its `${input:…}` pointer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ferryman
from ferryman.errors import FerrymanError
from ferryman.runtime.services import RunContext, http_session

from .conftest import ferryman as cli

SECRET = "pw-Zq8!x7#unlikely"

LEAKY = r'''#!/usr/bin/env python3
import os, sys
secret = open(os.environ["LEAK_FILE"]).read().strip()
with open(os.environ["LEAK_FILE"] + ".env", "w") as fh:
    fh.write("NDEX_PW" + ("=set" if "NDEX_PW" in os.environ else "=absent"))
sys.stdout.write("##gff-version 3\n")
sys.stderr.write("connecting as curator\n")
sys.stderr.write(secret + "\n")          # the last stderr line: the task's warning
if "fail=1" in sys.argv:
    sys.stderr.write("failed with " + secret + "\n")
    sys.exit(2)
'''


def _workspace(root: Path, *, literal: bool = False, fail: bool = False) -> Path:
    scripts = root / "zmap" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "leak.py").write_text(LEAKY)
    (scripts / "leak.py").chmod(0o755)
    (root / "zmap" / "styles.ini").write_text("[fs]\nmode=basic\n")
    (root / "zmap" / "ZMap").write_text(
        "[ZMap]\nsources = leak\nscript-dir = scripts\nstylesfile = styles.ini\n\n"
        f"[leak]\nurl = pipe:///leak.py?{'fail=1' if fail else 'x=1'}\nfeaturesets = fs\n"
    )
    plans = root / "plans"
    plans.mkdir()
    password = SECRET if literal else "${env:NDEX_PW}"
    (plans / "nets.json").write_text(json.dumps({
        "planType": "IdCopyPlan",
        "source": {"route": "http://127.0.0.1:9/v2", "username": "curator", "password": password},
        "target": {"route": "http://127.0.0.1:9/v2", "username": "mirror", "password": "${env:NDEX_PW}"},
        "idList": ["5bca3218-28ca-11e4-9032-90b11c72aefa"],
    }, indent=2))
    (root / "ferryman.toml").write_text(
        '[workspace]\nname = "secrets"\n\n[zmap]\nconfig = "zmap/ZMap"\n\n[ndex]\nplans = "plans"\n'
    )
    return root


def _everything(root: Path, *outputs: str) -> str:
    texts = list(outputs)
    for path in (root / ".ferryman").rglob("*"):
        if path.is_file() and not path.name.endswith((".stderr.log", ".gff")):
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


@pytest.mark.parametrize("fail", [False, True])
def test_a_secret_a_script_prints_is_never_shown(tmp_path: Path, fail: bool) -> None:
    root = _workspace(tmp_path, fail=fail)
    (tmp_path / "leak").write_text(SECRET)
    env = {"NDEX_PW": SECRET, "LEAK_FILE": str(tmp_path / "leak")}
    plain = cli("run", "--only", "pipe:leak", "--progress", "plain", cwd=root, env=env)
    assert plain.returncode == (1 if fail else 0), plain.stderr
    assert "warning: ***" in plain.stderr or "stderr: failed with ***" in plain.stderr  # the warning, redacted
    js = cli("run", "--only", "pipe:leak", "--log-format", "json", cwd=root, env=env)
    show = cli("runs", "show", "latest", cwd=root, env=env)
    listing = cli("runs", cwd=root, env=env)
    everything = _everything(root, plain.stdout, plain.stderr, js.stdout, js.stderr, show.stdout, show.stderr,
                             listing.stdout)
    assert SECRET not in everything
    assert "***" in show.stdout
    # the variable a ${env:} reference names is not passed to scripts
    assert (tmp_path / "leak.env").read_text() == "NDEX_PW=absent"


def test_secret_resolves_env_and_input_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _workspace(tmp_path, literal=True)
    plan = ferryman.compile(ferryman.load(root))
    ndex = plan.task("ndex:nets")
    assert ndex.action["source"]["password"] == "${input:plans/nets.json#/source/password}"
    assert SECRET not in plan.to_json()
    ctx = RunContext.for_plan(plan, str(root / ".ferryman"), environ={"NDEX_PW": "env-value-123"})
    assert ctx.secret(ndex.action["source"]["password"]) == SECRET
    assert ctx.secret(ndex.action["target"]["password"]) == "env-value-123"
    assert ctx.redact(f"user {SECRET} and env-value-123") == "user *** and ***"
    assert ctx.secret("plain text") == "plain text"
    with pytest.raises(FerrymanError) as exc:
        ctx.secret("${env:NOT_SET_ANYWHERE}")
    assert "NOT_SET_ANYWHERE" in exc.value.message
    with pytest.raises(FerrymanError) as exc:
        ctx.secret("${input:../outside.json#/x}")
    assert "not a plan input" in exc.value.message
    # the Basic-auth form of a password is a secret too
    import base64

    ctx.redact.add_basic_auth("curator", SECRET)
    token = base64.b64encode(f"curator:{SECRET}".encode()).decode()
    assert ctx.redact(f"Authorization: Basic {token}") == "Authorization: Basic ***"


def test_http_session_retries_only_idempotent_calls() -> None:
    s = http_session(proxy="socks5h://127.0.0.1:1080")
    adapter = s.get_adapter("https://example.org/")
    retry = adapter.max_retries  # type: ignore[attr-defined]
    assert retry.allowed_methods == frozenset({"GET", "PUT"})
    assert set(retry.status_forcelist) == {502, 503, 504}
    assert s.verify is True
    assert s.proxies == {"http": "socks5h://127.0.0.1:1080", "https": "socks5h://127.0.0.1:1080"}
