"""Every diagnostic code has a sample in samples/invalid/ that produces its exact message line."""

from __future__ import annotations

import pytest

from ferryman.compiler.codes import all_codes

from .conftest import ROOT, SAMPLES, ferryman

INVALID = SAMPLES / "invalid"
CODES = sorted(all_codes())


def _sample(code: str):
    folder = INVALID / code
    if folder.is_dir():
        return folder
    files = [p for p in INVALID.glob(f"{code}.*") if p.suffix != ".expected"]
    return files[0] if len(files) == 1 else None


@pytest.mark.parametrize("code", CODES)
def test_code_has_sample_with_expected_line(code: str) -> None:
    sample = _sample(code)
    assert sample is not None, f"no samples/invalid/{code}.* (or folder) for {code}"
    expected = (INVALID / f"{code}.expected").read_text(encoding="utf-8").rstrip("\n")
    proc = ferryman("validate", str(sample.relative_to(ROOT)))
    lines = proc.stderr.splitlines()
    assert expected in lines, f"expected line not found.\nexpected: {expected}\ngot:\n{proc.stderr}"
    is_error = f": error[{code}]:" in expected
    assert proc.returncode == (1 if is_error else 0), proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_sample_names_a_known_code() -> None:
    stray = sorted(
        p.name for p in INVALID.iterdir()
        if p.name.split(".")[0] not in CODES and not p.name.startswith((".", "_", "README"))
    )
    assert stray == []


def test_docs_list_every_code() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_codes", ROOT / "docs" / "gen_codes.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "docs" / "codes.md").read_text() == mod.render(), "run: python docs/gen_codes.py"
