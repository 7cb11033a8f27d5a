"""One module per command: `add_arguments(parser)` and `run(args) -> int`."""

from __future__ import annotations

import contextlib
import gc
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
