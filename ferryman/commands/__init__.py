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
