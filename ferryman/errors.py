"""Every exit-code decision in one place, and the one base error type (docs/run.md, "Exit codes")."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    FAILED = 1  # invalid input, or a task failed
    USAGE = 2
    STALE_PLAN = 3
    LOCKED = 4
    INTERNAL = 70  # a bug in ferryman (sysexits' EX_SOFTWARE): never 1, so CI tells it from bad input
    INTERRUPTED = 130


class FerrymanError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(FerrymanError):
    """The command line itself is wrong (exit 2)."""

    exit_code = ExitCode.USAGE


class InputError(FerrymanError):
    """An input file cannot be used; carries its location when one is known."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int = 0, col: int = 0, hint: str | None = None
    ) -> None:
        where = f"{path}:{line}:{col}: " if path and line else (f"{path}: " if path else "")
        super().__init__(where + message, hint=hint)
        self.path = path
        self.line = line
        self.col = col


class StalePlanError(FerrymanError):
    exit_code = ExitCode.STALE_PLAN


class LockHeldError(FerrymanError):
    exit_code = ExitCode.LOCKED
