"""Shared by the demo pipe servers: when FERRYMAN_TRACE names a file, append one line
"NAME START END" (time.time() at start and end), so tests can see when each script ran."""

import os
import time


def trace(label, started):
    target = os.environ.get("FERRYMAN_TRACE")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"{label} {started:.6f} {time.time():.6f}\n")
