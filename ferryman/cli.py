"""Command line entry point. Each command lives in `ferryman.commands.<name>` and is imported only
when it runs, so `ferryman --version` and `ferryman --help` stay fast."""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from . import __version__
from .errors import ExitCode, FerrymanError
from .say import say

if TYPE_CHECKING:
    import argparse

# name -> (module under ferryman.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check workspace inputs against their schemas and rules"),
    "schema": ("schema", "list the JSON Schemas, or print one"),
    "plan": ("plan", "compile the workspace and print what a run would do"),
    "run": ("run", "execute a compiled plan"),
    "runs": ("runs", "list earlier runs, or show one"),
    "gff-check": ("gff_check", "check GFF2/GFF3 files (streaming)"),
    "tunnel": ("tunnel", "print the ssh command that gives a host without internet a SOCKS proxy"),
    "doctor": ("doctor", "check that a run has what it needs: files, scripts, tunnel, servers"),
    "fmt": ("fmt", "join continued ZMap config values into one line (ZMap cannot read them)"),
    "ndex-server": ("ndex_server", "run a local NDEx v2-compatible server (for trying plans and tests)"),
    "export": ("export", "write a plan as a Snakefile (one rule per task, groups and hosts as resources)"),
}


def _top_parser() -> argparse.ArgumentParser:
    import argparse

    p = argparse.ArgumentParser(
        prog="ferryman",
        description="Validate, plan and run ZMap pipe servers, NDEx copy plans and IDTrack profiles.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n"
        + "\n".join(f"  {name:<12}{help_}" for name, (_, help_) in COMMANDS.items())
        + "\n\nRun 'ferryman COMMAND --help' for a command's options.",
    )
    p.add_argument("-V", "--version", action="version", version=f"ferryman {__version__}")
    p.add_argument("command", nargs="?", help=argparse.SUPPRESS)
    return p


def _command_parser(name: str) -> tuple[argparse.ArgumentParser, object]:
    import argparse

    module_name, help_ = COMMANDS[name]
    module = importlib.import_module(f"ferryman.commands.{module_name}")
    p = argparse.ArgumentParser(prog=f"ferryman {name}", description=module.__doc__ or help_)
    module.add_arguments(p)
    return p, module


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):  # fast path: no argparse, no imports
        sys.stdout.write(f"ferryman {__version__}\n")
        return 0
    try:
        if not args or args[0].startswith("-") or args[0] not in COMMANDS:
            top = _top_parser()
            if args and not args[0].startswith("-"):
                top.print_usage(sys.stderr)
                sys.stderr.write(f"ferryman: error: unknown command {args[0]!r} (see 'ferryman --help')\n")
                return ExitCode.USAGE
            top.parse_args(args)
            top.print_help()
            return ExitCode.OK if args else ExitCode.USAGE
        parser, module = _command_parser(args[0])
        ns = parser.parse_args(args[1:])
        code: int = module.run(ns)  # type: ignore[attr-defined]
        return code
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else ExitCode.USAGE
    except FerrymanError as exc:
        say(f"ferryman: error: {exc.message}\n" + (f"  hint: {exc.hint}\n" if exc.hint else ""))
        return exc.exit_code
    except KeyboardInterrupt:
        say("ferryman: interrupted\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader of a listing went away (`ferryman plan | head`): it saw what it wanted. `run`
        # never gets here: it finishes its run and exits with how the tasks went (docs/run.md).
        from .runtime.progress import stream_gone

        stream_gone(sys.stdout)
        return ExitCode.OK
    except Exception as exc:  # a bug: one line for users, the traceback with FERRYMAN_DEBUG=1
        import os

        if os.environ.get("FERRYMAN_DEBUG"):
            raise
        say(f"ferryman: internal error: {type(exc).__name__}: {exc}\n"
             "  hint: rerun with FERRYMAN_DEBUG=1 for the traceback, and report it\n")
        return ExitCode.INTERNAL


# Commands that build a large heap and hold no resources at exit: they end with os._exit, skipping
# the interpreter's teardown of every object (30-40 ms for a 12,000-task plan).
QUICK_EXIT = frozenset({"validate", "plan", "schema"})


def entry() -> None:
    """The console script: run `main`, flush, exit."""
    code = main()
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command in QUICK_EXIT:
        import os

        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, ValueError, AttributeError):
            pass
        os._exit(code)
    sys.exit(code)
