"""List the JSON Schemas ferryman ships, or print one (for editors and language servers)."""

from __future__ import annotations

import argparse
import sys

from ..errors import ExitCode, UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", help="schema to print (default: list them)")


def run(args: argparse.Namespace) -> int:
    import ferryman.compiler.schemas as schemas

    available = schemas.names()
    if args.name is None:
        for name in available:
            title = schemas.schema(name).get("title", "")
            sys.stdout.write(f"{name:<12} {title}\n")
        return ExitCode.OK
    if args.name not in available:
        raise UsageError(f"no schema named {args.name!r}", hint="one of: " + ", ".join(available))
    sys.stdout.write(schemas.text(args.name))
    return ExitCode.OK
