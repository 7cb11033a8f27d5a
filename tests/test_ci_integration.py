"""The shipped pre-commit hooks (.pre-commit-hooks.yaml), run by the real pre-commit on a throwaway
git repository, as docs/ci.md tells users to set them up.

`pre-commit try-repo` clones a hook repository and pip-installs it into a fresh virtualenv. The
hook repository here is a copy of this working tree committed into a temporary git repository, so
nothing is fetched but ferryman's own dependencies, from the package index pip is configured with.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

GOOD = "[ZMap]\nsources = db\n\n[db]\nurl = acedb://any:any@localhost:23100\n"
BAD = (
    "[ZMap]\nsources = db ; web\n\n[db]\nurl = acedb://any:any@localhost:23100\n\n"
    "# not a scheme ZMap loads\n[web]\nurl = gopher://example.org/genes\n"
)
CONTINUED = "[ZMap]\nsources = db\n\n[db]\nurl = acedb://any:any@localhost:23100?dataset=human&\n    csver=Otter\n"

# what a copy of the working tree leaves out: environments, caches, build output, run state
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "venv", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache",
    ".ferryman", "build", "dist",
)  # fmt: skip


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@localhost",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@localhost",
    }  # fmt: skip
    subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pre_commit_hooks_on_a_throwaway_repository(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to run pre-commit")
    hooks = tmp_path / "ferryman"
    shutil.copytree(ROOT, hooks, ignore=IGNORED, symlinks=True)
    _git(hooks, "init", "-q")
    _git(hooks, "add", "-A")
    _git(hooks, "commit", "-q", "-m", "ferryman as the hooks repository")

    project = tmp_path / "project"
    for name, text in {"good/ZMap": GOOD, "bad/ZMap": BAD, "continued/ZMap": CONTINUED}.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "inputs")

    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hooks), "--all-files", "--verbose"],
        cwd=project, env=env, capture_output=True, text=True, timeout=840,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "An unexpected error has occurred" not in out, out
    # ferryman-validate: the bad file fails with its line and column; the good one is not named
    validate = out.split("- hook id: ferryman-validate", 1)[1].split("- hook id:", 1)[0]
    assert "bad/ZMap:9:1: error[ZM322]: url of source [web] has the scheme gopher://" in validate, out
    assert "1 error, 0 warnings in 3 files" in validate, out  # good/ZMap passes; fmt ran first
    assert "good/ZMap" not in validate, out
    # ferryman-fmt: it rewrote the continued url (pre-commit fails a hook that changes files)
    fmt = out.split("- hook id: ferryman-fmt", 1)[1]
    assert "- files were modified by this hook" in fmt, out
    assert (project / "continued/ZMap").read_text(encoding="utf-8") == (
        "[ZMap]\nsources = db\n\n[db]\nurl = acedb://any:any@localhost:23100?dataset=human&csver=Otter\n"
    )
    assert (project / "good/ZMap").read_text(encoding="utf-8") == GOOD
    assert (project / "bad/ZMap").read_text(encoding="utf-8") == BAD


def test_the_hooks_file_names_both_hooks_and_ci_docs_use_them() -> None:
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert hooks["ferryman-validate"]["entry"] == "ferryman validate --skip-unknown"
    assert hooks["ferryman-fmt"]["entry"] == "ferryman fmt"
    docs = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    for hook_id in hooks:
        assert f"id: {hook_id}" in docs
    assert "ferryman validate --format github" in docs
