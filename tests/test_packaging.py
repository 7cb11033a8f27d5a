"""The wheel installs into a fresh venv and works from outside the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLE_IGNORE, SAMPLES


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (whl,) = out.glob("ferryman-*.whl")
    return whl


def test_wheel_contents(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"ferryman", next(t for t in tops if t.endswith(".dist-info"))}
    assert "ferryman/compiler/__init__.py" in names
    assert "ferryman/runtime/__init__.py" in names
    assert "ferryman/schemas/copy-plan.schema.json" in names
    assert "ferryman/schemas/workspace.schema.json" in names
    assert any(n.startswith("ferryman/templates/") and n.endswith(".j2") for n in names)
    # both compiled parts (setup.py): the GFF3 fast path and the helper that starts pipe scripts
    assert any(n.startswith("ferryman/runtime/gff/_scan.") and n.endswith(".so") for n in names), names
    assert any(n.startswith("ferryman/runtime/_spawn.") and n.endswith(".so") for n in names), names


@pytest.mark.slow
def test_wheel_in_fresh_venv_validates_from_outside(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    shutil.copytree(SAMPLES, work, ignore=SAMPLE_IGNORE)
    probe = subprocess.run(
        [str(py), "-c", "import ferryman, ferryman.compiler, ferryman.runtime, importlib.util as u;"
         "print(u.find_spec('compiler') is None and u.find_spec('runtime') is None)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert probe.stdout.strip() == "True"
    exe = env_dir / "bin" / "ferryman"
    proc = subprocess.run([str(exe), "validate"], cwd=work, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith("valid")
    proc = subprocess.run(
        [str(exe), "validate", "copy-plans/human-nets.json"], cwd=work, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([str(exe), "schema", "zmap"], cwd=work, capture_output=True, text=True)
    assert proc.returncode == 0 and '"$id"' in proc.stdout
