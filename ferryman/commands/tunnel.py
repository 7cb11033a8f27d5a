"""Print the one ssh command that gives a host without internet a SOCKS proxy (ssh -R).

Run the printed line on a machine that has internet; while it runs, the target host finds a SOCKS5
proxy on its 127.0.0.1:PORT. TARGET is USER@HOST, HOST (user from $USER) or the URL a Jupyter
server printed (http://HOST:PORT/...?token=...). With no TARGET, the [bridge] table of the
workspace gives target, jump and socks_port; options given here override it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import ExitCode, UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="?", metavar="TARGET", help="USER@HOST, HOST, or a Jupyter URL")
    p.add_argument("--jump", metavar="USER@HOST", help="login node to hop through (ssh -J)")
    p.add_argument("--user", metavar="U", help="user on the target (default: the target's, else $USER)")
    p.add_argument("--socks-port", type=int, metavar="P", help="SOCKS port on the target (default 1080)")
    p.add_argument("--with-jupyter", action="store_true", help="also forward the Jupyter port (ssh -L)")
    p.add_argument(
        "--jupyter-remote-port", type=int, metavar="P", help="Jupyter's port on the target (default: the URL's)"
    )
    p.add_argument(
        "--jupyter-local-port", type=int, metavar="P", help="local port for Jupyter (default: the remote port)"
    )
    p.add_argument(
        "--workspace", metavar="FILE", default="ferryman.toml", help="manifest whose [bridge] is used without TARGET"
    )


def read_bridge(manifest: str) -> dict[str, Any]:
    """The `[bridge]` table of `manifest` (raw TOML values), or raise UsageError.

    Only this table is read: the tunnel line must be printable even while other inputs are broken."""
    from ferryman.compiler.loaders.tomlfile import load_file

    if not os.path.isfile(manifest):
        raise UsageError(f"no TARGET given and the workspace manifest {manifest} does not exist")
    try:
        data = load_file(manifest)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {manifest}: {exc}") from None
    bridge = data.get("bridge")
    if not isinstance(bridge, dict):
        raise UsageError(f"no TARGET given and {manifest} has no [bridge] table")
    return bridge


def run(args: argparse.Namespace) -> int:
    from ferryman.compiler.tunnel import DEFAULT_SOCKS_PORT, tunnel_command

    target, jump, port = args.target, args.jump, args.socks_port
    if target is None:
        bridge = read_bridge(args.workspace)
        target = bridge.get("target")
        if not isinstance(target, str):
            raise UsageError(f"no TARGET given and [bridge] of {args.workspace} names no target")
        if jump is None and isinstance(bridge.get("jump"), str):
            jump = bridge["jump"]
        if port is None:
            port = bridge.get("socks_port", DEFAULT_SOCKS_PORT)
    cmd = tunnel_command(
        target,
        jump=jump,
        user=args.user,
        socks_port=DEFAULT_SOCKS_PORT if port is None else port,
        with_jupyter=args.with_jupyter,
        jupyter_remote_port=args.jupyter_remote_port,
        jupyter_local_port=args.jupyter_local_port,
    )
    for warning in cmd.warnings:
        sys.stderr.write(f"ferryman: warning: {warning}\n")
    sys.stdout.write(cmd.line + "\n")
    return ExitCode.OK
