"""Messages on stderr that a closed stderr cannot turn into a failure (`ferryman run | head`,
a terminal that went away): the message is lost, never the command's outcome or exit code."""

from __future__ import annotations

import sys


def say(text: str) -> None:
    """Write `text` to stderr and flush; nothing happens when stderr is closed or gone."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
