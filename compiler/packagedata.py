"""Where ferryman's package-data folders (`schemas/`, `templates/`) are, for a wheel or editable install.

A plain folder lookup: importlib.resources would cost ~8 ms of imports (pathlib, zipfile,
tempfile) on every command, for zip-import support ferryman does not need.
"""

from __future__ import annotations

import functools
import os


@functools.cache
def folder(package: str) -> str:
    """The folder of a data package such as `ferryman.schemas`."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the {package} package data is missing")
    return str(spec.submodule_search_locations[0])


def read_text(package: str, name: str) -> str:
    """A data file's text; `name` is a plain file name inside the package folder."""
    if os.sep in name or name.startswith("."):
        raise FileNotFoundError(name)
    with open(os.path.join(folder(package), name), encoding="utf-8") as fh:
        return fh.read()
