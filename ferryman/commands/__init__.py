"""One module per command: `add_arguments(parser)` and `run(args) -> int`."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a burst of allocation runs (loading and compiling
    a workspace builds many small objects and few cycles; collection passes cost ~20% there)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def state_dir_name(manifest_data: object) -> str:
    """The `state_dir` a raw (not yet validated) manifest names, else the schema's default."""
    from ferryman.compiler import defaults, schemas

    ws = manifest_data.get("workspace") if isinstance(manifest_data, dict) else None
    state = ws.get("state_dir") if isinstance(ws, dict) else None
    if isinstance(state, str) and state:
        return state
    default: str = defaults.default(schemas.schema("workspace"), "workspace", "state_dir")
    return default


def raw_manifest(path: str, *, missing: str | None = None, missing_hint: str | None = None) -> dict[str, object]:
    """The TOML of a manifest without validation, for commands that need one table of it while
    other inputs may be broken (runs, tunnel, doctor, fmt). Raises UsageError (exit 2) when it is
    missing (`missing`: the message, else a default) or unreadable: not UTF-8 TOML, nested too
    deep, a folder, a special file (`compiler.loaders.tomlfile.load_file`)."""
    from ferryman.compiler.loaders.tomlfile import load_file

    from ..errors import UsageError

    if not os.path.isfile(path):
        raise UsageError(missing or f"workspace manifest {path} does not exist", hint=missing_hint)
    try:
        return load_file(path)
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot read {path}: {why}") from None
