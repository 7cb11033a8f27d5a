"""Shared helpers: run the real `ferryman` CLI as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def ferryman(*args: str, cwd: Path | str = ROOT, env: dict[str, str] | None = None,
             input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m ferryman ARGS` and capture text output."""
    full_env = dict(os.environ)
    full_env["FERRYMAN_DEBUG"] = "1"  # a bug shows as a traceback, which the tests look for
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ferryman", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
        input=input.decode() if input is not None else None,
    )


@pytest.fixture
def run_cli():
    return ferryman


from .sshd import sshd  # noqa: E402  (the session's OpenSSH server on 127.0.0.1)

__all__ = ["ferryman", "sshd"]


# what a copy of samples/ leaves out: broken samples and what runs and the demo generate there
SAMPLE_IGNORE = shutil.ignore_patterns(
    "invalid", ".ferryman", ".ferryman-cluster", "*_modified.yml", "__pycache__", "plan.json", "Snakefile", ".snakemake"
)
