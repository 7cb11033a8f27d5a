"""Check that a run of the workspace has what it needs, and print one verdict per probe.

Probes: the workspace is valid; the state dir is writable; every input is present and readable;
every pipe script is runnable (exists, executable, its #! interpreter found); with [bridge], the
SOCKS port listens; each NDEx route answers /admin/status with a 2.x server version; with
profiles, the Ensembl REST ping and the Ensembl MySQL ports. Each network probe has a short time
limit and goes through the bridge's proxy when there is one. --offline skips the network probes.
Exit 1 when something a run needs is broken (warnings do not fail). See docs/bridge.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import socket
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from ..errors import ExitCode

if TYPE_CHECKING:
    from ferryman.compiler.ir import Workspace

ENSEMBL_PING = "https://rest.ensembl.org/info/ping"
ENSEMBL_MYSQL = "ensembldb.ensembl.org"
ENSEMBL_MYSQL_PORTS = (3306, 5306, 3337)  # current releases, older releases, GRCh37 (Ensembl docs)
TIMEOUT_S = 5.0


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One probe's result: `status` is ok, warning or broken; `fix` says what to do when not ok."""

    check: str
    status: str
    detail: str
    fix: str = ""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workspace", metavar="FILE", default="ferryman.toml", help="the manifest (default: ./ferryman.toml)"
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    p.add_argument("--offline", action="store_true", help="skip the probes that need the network")


def _raw_manifest(path: str) -> dict[str, Any]:
    from ferryman.errors import UsageError

    from . import raw_manifest

    try:
        return dict(raw_manifest(path))
    except UsageError:
        return {}  # the workspace verdict reports why


def _state_dir(root: str, raw: dict[str, Any]) -> Verdict:
    from . import state_dir_name

    name = state_dir_name(raw)
    path = os.path.join(root, name)
    probe = path
    while not os.path.exists(probe):  # the run creates missing folders: the first existing one counts
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        return Verdict("state dir", "broken", f"{name}: {probe} is not a folder", "remove it or set state_dir")
    try:
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".ferryman-doctor-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return Verdict(
            "state dir", "broken", f"{name}: cannot write in {probe} ({exc.strerror})",
            "make it writable, or set [workspace] state_dir to a writable folder",
        )
    more = "" if probe == path else " (will be created)"
    return Verdict("state dir", "ok", f"{name} is writable{more}")


def _inputs(ws: Workspace) -> list[Verdict]:
    out: list[Verdict] = []
    for item in ws.inputs:
        path = os.path.join(ws.root, item.path)
        try:
            if item.path.endswith("/"):  # a copy-plan folder: its listing is the input
                os.listdir(path)
            else:
                with open(path, "rb") as fh:
                    fh.read(1)
        except OSError as exc:
            out.append(Verdict("input", "broken", f"{item.path}: {exc.strerror}", "restore the file or fix the path"))
    if not out:
        out.append(Verdict("inputs", "ok", f"{len(ws.inputs)} present and readable"))
    return out


def _interpreter(first_line: bytes) -> tuple[str, str | None]:
    """The #! line's program (after /usr/bin/env) and where it was found, or None."""
    words = first_line[2:].decode(errors="replace").split()
    if not words:
        return "", None
    program = words[0]
    if os.path.basename(program) == "env":
        rest = [w for w in words[1:] if not w.startswith("-")]
        if not rest:
            return program, None
        return rest[0], shutil.which(rest[0])
    return program, program if os.path.isfile(program) and os.access(program, os.X_OK) else None


def _script(path: str, shown: str) -> Verdict | None:
    if not os.path.isfile(path):
        return Verdict("script", "broken", f"{shown}: does not exist", "install the script or fix the pipe:// URL")
    if not os.access(path, os.X_OK):
        return Verdict("script", "broken", f"{shown}: not executable", f"chmod +x {shown}")
    try:
        with open(path, "rb") as fh:
            head = fh.readline(512)
    except OSError as exc:
        return Verdict("script", "broken", f"{shown}: {exc.strerror}", "make it readable")
    if head.startswith(b"\x7fELF"):
        return None
    if not head.startswith(b"#!"):
        return Verdict("script", "broken", f"{shown}: no #! line", "add one, e.g. #!/usr/bin/env perl")
    program, found = _interpreter(head.rstrip(b"\r\n"))
    if found is None:
        return Verdict(
            "script", "broken", f"{shown}: interpreter {program or '(none)'} not found", f"install {program or 'it'}"
        )
    return None


def _scripts(ws: Workspace) -> list[Verdict]:
    if ws.zmap is None:
        return []
    scripts = sorted({s.script for s in ws.zmap.sources if s.script})
    out = [v for p in scripts if (v := _script(p, os.path.relpath(p, ws.root))) is not None]
    return out or [Verdict("scripts", "ok", f"{len(scripts)} runnable")]


def _socks(port: int, tunnel_fix: str) -> Verdict:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return Verdict("socks port", "ok", f"127.0.0.1:{port} listens")
    except OSError:
        fix = f"start the tunnel: {tunnel_fix}"
        return Verdict("socks port", "broken", f"nothing listens on 127.0.0.1:{port}", fix)


def _shown_route(route: str) -> str:
    from urllib.parse import urlsplit

    p = urlsplit(route)
    try:
        port = f":{p.port}" if p.port else ""
    except ValueError:
        port = ""
    return f"{p.scheme}://{p.hostname or ''}{port}{p.path}"


def _ndex(route: str, proxies: dict[str, str]) -> Verdict:
    import requests

    shown = _shown_route(route)
    url = route.rstrip("/") + "/admin/status"
    try:
        reply = requests.get(url, timeout=TIMEOUT_S, proxies=proxies, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        detail = f"{shown}: no answer ({type(exc).__name__})"
        return Verdict("ndex", "broken", detail, "check the route and the network")
    if reply.status_code != 200:
        return Verdict("ndex", "broken", f"{shown}: /admin/status answered HTTP {reply.status_code}", "check the route")
    try:
        body = reply.json()
        version = body.get("properties", {}).get("ServerVersion") if isinstance(body, dict) else None
    except ValueError:
        return Verdict("ndex", "broken", f"{shown}: /admin/status is not JSON", "is this an NDEx server?")
    if not isinstance(version, str):
        return Verdict("ndex", "warning", f"{shown}: answers, but names no server version")
    if not version.startswith("2."):
        return Verdict("ndex", "broken", f"{shown}: server version {version}, not 2.x", "ferryman speaks NDEx v2 only")
    return Verdict("ndex", "ok", f"{shown}: NDEx {version}")


def _ensembl(proxies: dict[str, str], socks_port: int | None) -> list[Verdict]:
    """IDTrack's own needs: a failure is a warning (ferryman's profile tasks work offline)."""
    import requests

    out: list[Verdict] = []
    try:
        reply = requests.get(ENSEMBL_PING, timeout=TIMEOUT_S, proxies=proxies, headers={"Accept": "application/json"})
        ok = reply.status_code == 200 and reply.json().get("ping") == 1
        detail = "ping ok" if ok else f"HTTP {reply.status_code}"
    except (requests.RequestException, ValueError, AttributeError) as exc:
        ok, detail = False, f"no answer ({type(exc).__name__})"
    fix = "IDTrack needs it; on a host without internet, configure [bridge]"
    out.append(Verdict("ensembl rest", "ok" if ok else "warning", f"{ENSEMBL_PING}: {detail}", "" if ok else fix))
    for port in ENSEMBL_MYSQL_PORTS:
        try:
            if socks_port is None:
                conn = socket.create_connection((ENSEMBL_MYSQL, port), timeout=TIMEOUT_S)
            else:
                import socks  # type: ignore[import-untyped]

                conn = socks.create_connection(
                    (ENSEMBL_MYSQL, port), timeout=TIMEOUT_S, proxy_type=socks.SOCKS5,
                    proxy_addr="127.0.0.1", proxy_port=socks_port, proxy_rdns=True,
                )
            conn.close()
            out.append(Verdict("ensembl mysql", "ok", f"{ENSEMBL_MYSQL}:{port} reachable"))
        except OSError as exc:
            out.append(
                Verdict(
                    "ensembl mysql", "warning", f"{ENSEMBL_MYSQL}:{port} unreachable ({type(exc).__name__})",
                    "IDTrack falls back to REST/HTTPS for some work; open the port or use [bridge]",
                )
            )
    return out


def diagnose(manifest: str, offline: bool) -> list[Verdict]:
    """Every probe's verdict for the workspace whose manifest is `manifest`."""
    import ferryman
    from ferryman.errors import FerrymanError

    root = os.path.dirname(os.path.abspath(manifest))
    if not os.path.isfile(manifest):
        fix = "run in the workspace or give --workspace"
        return [Verdict("workspace", "broken", f"{manifest} does not exist", fix)]
    raw = _raw_manifest(manifest)
    verdicts: list[Verdict] = []
    ws: Workspace | None = None
    try:
        ws = ferryman.load(manifest)
        verdicts.append(Verdict("workspace", "ok", f"{os.path.basename(manifest)} is valid"))
    except FerrymanError as exc:
        # each located error, as validate prints it; the probes that need the IR are skipped
        from ferryman.compiler.pipeline import validate_workspace

        errors = [d for d in validate_workspace(manifest).diagnostics if d.is_error]
        verdicts += [
            Verdict(
                "workspace", "broken", f"{d.path}:{d.line}:{d.col}: {d.message}", d.hint or "see 'ferryman validate'"
            )
            for d in errors
        ] or [Verdict("workspace", "broken", exc.message, "run 'ferryman validate' to see every error")]
    verdicts.append(_state_dir(root, raw))
    if ws is not None:
        verdicts += _inputs(ws)
        verdicts += _scripts(ws)
    bridge = raw.get("bridge") if isinstance(raw.get("bridge"), dict) else None
    socks_port: int | None = None
    if bridge is not None:
        from ferryman.compiler.tunnel import DEFAULT_SOCKS_PORT, tunnel_hint

        port = bridge.get("socks_port", DEFAULT_SOCKS_PORT)  # the raw table: defaults may be missing
        if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
            socks_port = port
            verdicts.append(_socks(port, tunnel_hint(bridge)))
    if offline:
        verdicts.append(Verdict("network", "ok", "skipped (--offline)"))
        return verdicts
    proxies = {"http": f"socks5h://127.0.0.1:{socks_port}", "https": f"socks5h://127.0.0.1:{socks_port}"}
    if socks_port is None:
        proxies = {}
    if ws is not None:
        routes = sorted({e.route for plan in ws.copy_plans for e in (plan.source, plan.target)})
        verdicts += [_ndex(r, proxies) for r in routes]
        if ws.profiles:
            verdicts += _ensembl(proxies, socks_port)
    return verdicts


def run(args: argparse.Namespace) -> int:
    verdicts = diagnose(args.workspace, args.offline)
    broken = sum(v.status == "broken" for v in verdicts)
    warnings = sum(v.status == "warning" for v in verdicts)
    if args.format == "json":
        doc = {"verdicts": [dataclasses.asdict(v) for v in verdicts], "broken": broken, "warnings": warnings}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        for v in verdicts:
            fix = f" -> {v.fix}" if v.fix and v.status != "ok" else ""
            sys.stdout.write(f"{v.status:<8}{v.check}: {v.detail}{fix}\n")
        ok = len(verdicts) - broken - warnings
        sys.stdout.write(f"doctor: {ok} ok, {warnings} warning{'s' * (warnings != 1)}, {broken} broken\n")
    return ExitCode.FAILED if broken else ExitCode.OK
