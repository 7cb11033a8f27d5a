"""Run a local NDEx v2-compatible server on 127.0.0.1, to try copy plans without a production
server. Metadata is kept in DIR/ndex.sqlite3 and networks in DIR/networks/. The server's /v2 URL is
printed on stdout once it listens; SIGTERM or Ctrl-C stops it cleanly. See docs/ndex.md."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from ..errors import ExitCode, FerrymanError, UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port", type=int, default=8080, metavar="N", help="TCP port on 127.0.0.1 (0: any free port; default 8080)"
    )
    p.add_argument(
        "--data", metavar="DIR", help="data directory, kept between runs (default: a temporary one, removed at exit)"
    )
    p.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help="an account (repeatable); an existing account gets this password",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="RULE",
        help="a fault rule 'METHOD PATH ACTION=VALUE [times=N|always]' (repeatable; see docs/ndex.md)",
    )
    p.add_argument("--access-log", action="store_true", help="log every request on stderr")


def _users(specs: list[str]) -> dict[str, str]:
    users: dict[str, str] = {}
    for spec in specs:
        name, sep, password = spec.partition(":")
        if not sep or not name or not password:
            # never echo the argument: it holds a password
            raise UsageError("--user takes NAME:PASSWORD (a name, a colon, a non-empty password)")
        if name in users:
            raise UsageError(f"--user {name} is given twice")
        users[name] = password
    return users


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is outside 0-65535")
    users = _users(args.user)
    try:
        from ferryman.testing.localndex import FaultSpecError, NdexServer, parse_rule
    except ImportError as exc:
        raise FerrymanError(
            f"the local NDEx server needs the 'ndex-server' extra ({exc.name} is missing)",
            hint="pip install 'ferryman[ndex-server]'",
        ) from None
    try:
        faults = [parse_rule(spec) for spec in args.fault]
    except FaultSpecError as exc:
        raise UsageError(str(exc)) from None

    server = NdexServer(users, data_dir=args.data, port=args.port, faults=faults, access_log=args.access_log)
    try:
        server.start()
    except OSError as exc:
        raise FerrymanError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        received.append(signum)
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        names = ", ".join(sorted(users)) or "none"
        where = args.data or "a temporary directory"
        sys.stderr.write(f"ferryman ndex-server: listening on {server.url} (data: {where}; users: {names})\n")
        sys.stdout.write(server.url + "\n")
        sys.stdout.flush()
        sys.stderr.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for s, handler in old.items():
            signal.signal(s, handler)
    sys.stderr.write("ferryman ndex-server: stopped\n")
    return ExitCode.INTERRUPTED if received and received[0] == signal.SIGINT else ExitCode.OK
