"""The one ssh line a host without internet needs: a reverse dynamic SOCKS forward (`ssh -R`).

Pure: builds argv from the user's words and the environment mapping it is given; it never runs
ssh, reads a file or touches the network. `ferryman tunnel` prints `TunnelCommand.line`, and the
run's `bridge:check` prints the very same line when the SOCKS port does not listen
(docs/bridge.md, "The tunnel line").

The line is ``ssh -N -o ExitOnForwardFailure=yes [-J JUMP] [-L LP:127.0.0.1:RP] -R 127.0.0.1:PORT
USER@HOST``. ``-R [bind:]port`` with no destination is OpenSSH's remote *dynamic* forward (a SOCKS
server on the far host's loopback, OpenSSH >= 7.6, ssh(1) "-R"); ``ExitOnForwardFailure`` makes
ssh exit instead of idling when the port is taken.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import shlex
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from ferryman.errors import UsageError

from . import defaults, schemas

__all__ = ["DEFAULT_SOCKS_PORT", "TunnelCommand", "tunnel_command", "tunnel_hint"]

DEFAULT_SOCKS_PORT: int = defaults.default(schemas.schema("workspace"), "bridge", "socks_port")

# A user name as useradd(8) accepts it by default (plus '.', which clusters use: "first.last").
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}")
# A DNS host name (RFC 1123 labels; '_' tolerated as resolvers do) or an IPv4 address.
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
# Loopback and wildcard names: a Jupyter URL naming them says nothing about which host runs it.
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


@dataclasses.dataclass(frozen=True)
class TunnelCommand:
    """The ssh command for one target.

    `argv` is the command as words (``argv[0] == "ssh"``); `line` is the same words each passed
    through `shlex.quote` and joined by one blank; `warnings` are one-line notes for stderr
    (never part of `line`). `user`, `host`, `socks_port`, `jump` and `jupyter_ports`
    ((local, remote) or None) are the resolved values the line was built from."""

    argv: tuple[str, ...]
    warnings: tuple[str, ...]
    user: str
    host: str
    socks_port: int
    jump: str | None
    jupyter_ports: tuple[int, int] | None

    @property
    def line(self) -> str:
        return " ".join(shlex.quote(word) for word in self.argv)


def _show(text: str) -> str:
    """A user's word inside a one-line message: quoted, control characters escaped, cut after
    80 characters (a 100 kB argument is not echoed whole)."""
    return repr(text if len(text) <= 80 else text[:79] + "…")


def _port(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{what} must be a whole number from 1 to 65535, not {_show(str(value))}")
    if not 1 <= value <= 65535:
        raise UsageError(f"{what} must be from 1 to 65535, not {value}")
    return value


def _check_user(user: str, where: str) -> str:
    if not user:
        raise UsageError(f"{where}: the user name before '@' is empty")
    if ":" in user:  # USER:PASSWORD@HOST: the password is not repeated (docs/bridge.md)
        raise UsageError(f"{where}: a password cannot be given before '@' (ssh asks for it, or use a key)")
    if not _USER.fullmatch(user):
        raise UsageError(
            f"{where}: {_show(user)} is not a user name (letters, digits, '.', '_', '-'; not starting with '-')"
        )
    return user


def _check_host(host: str, where: str) -> str:
    if not host:
        raise UsageError(f"{where}: the host name is empty")
    if _HOSTNAME.fullmatch(host):
        return host
    try:  # an IPv6 literal is a valid ssh destination too
        ipaddress.IPv6Address(host)
    except ValueError:
        raise UsageError(
            f"{where}: {_show(host)} is not a host name (letters, digits, '.', '-'; not starting with '-')"
        ) from None
    return host


def _split_user_host(text: str, where: str) -> tuple[str | None, str]:
    if "@" not in text:
        return None, _check_host(text, where)
    user, _, host = text.rpartition("@")
    if not host:
        raise UsageError(f"{where}: {_show(user.partition(':')[0] + '@')} has no host after '@'")
    return _check_user(user, where), _check_host(host, where)


def _is_local(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _jupyter_url(url: str) -> tuple[str, int]:
    """Host and port of a Jupyter server URL (`http(s)://host:port/…?token=…`).

    Messages never repeat the URL: its token is a secret."""
    where = "Jupyter URL"
    if any(c.isspace() or not c.isprintable() for c in url):
        raise UsageError(f"{where}: contains blanks or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # out-of-range or non-numeric port
        raise UsageError(f"{where}: the port must be a number from 1 to 65535") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{where}: the scheme must be http or https, not {_show(parts.scheme)}")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{where}: must not carry a user or password before the host (give --user)")
    host = parts.hostname or ""
    if not host:
        raise UsageError(f"{where}: has no host")
    if _is_local(host):
        raise UsageError(
            f"{where}: names {host}, which only means 'this machine'; copy the URL that shows the"
            " compute node's name (Jupyter prints it as http://HOST:PORT/…?token=…)"
        )
    _check_host(host, where)
    if port is None:
        raise UsageError(f"{where}: has no port (expected http://HOST:PORT/…?token=…)")
    if port == 0:
        raise UsageError(f"{where}: the port must be a number from 1 to 65535")
    tokens = parse_qs(parts.query).get("token", [])
    if not any(t.strip() for t in tokens):
        raise UsageError(f"{where}: has no ?token=… (copy the full URL Jupyter printed)")
    return host, port


def tunnel_command(
    target: str | None,
    jump: str | None = None,
    user: str | None = None,
    socks_port: int = DEFAULT_SOCKS_PORT,
    with_jupyter: bool = False,
    jupyter_remote_port: int | None = None,
    jupyter_local_port: int | None = None,
    environ: Mapping[str, str] = os.environ,
) -> TunnelCommand:
    """Build the ssh command that opens a SOCKS proxy on `target`'s 127.0.0.1:`socks_port`.

    `target` is ``USER@HOST``, ``HOST`` or a Jupyter URL ``http(s)://HOST:PORT/…?token=…`` (port
    and token required; a loopback or wildcard host refused). The user is the target's, else
    `user`, else ``environ["USER"]`` (or ``LOGNAME``, or the login name of this account when neither
    is set, as cron runs); a `jump` host's user is never reused for the target. Given
    both, the target's user wins and a warning says so. `with_jupyter` adds
    ``-L LOCAL:127.0.0.1:REMOTE``: REMOTE defaults to the URL's port, LOCAL to REMOTE.
    These habits are those of IDTrack's tunnel helper (docs/bridge.md).

    Raises `ferryman.errors.UsageError` (exit 2) with a one-line message on bad input: an empty or
    malformed target, user or host (blanks, a leading '-', control or shell characters), a port
    outside 1..65535, a bad Jupyter URL, Jupyter ports without `with_jupyter`, or no user at all.
    """
    warnings: list[str] = []
    socks_port = _port(socks_port, "--socks-port")
    if target is None or not target.strip():
        raise UsageError("the target is empty: give USER@HOST, HOST or a Jupyter URL")
    url_port: int | None = None
    target_user: str | None
    if "://" in target:
        host, url_port = _jupyter_url(target)
        target_user = None
    else:
        target_user, host = _split_user_host(target, "target")

    jump_word: str | None = None
    if jump is not None:
        if not jump.strip():
            raise UsageError("--jump is empty: give USER@HOST or HOST of the login node")
        jump_user_text, at, jump_rest = jump.rpartition("@")
        jump_host_text, colon, jump_port_text = jump_rest.partition(":")
        if at:
            _check_user(jump_user_text, "--jump")
        if colon:  # ssh -J takes [user@]host[:port]
            if not jump_port_text.isdigit():
                raise UsageError(f"--jump: {_show(jump)} has a port that is not a number")
            _port(int(jump_port_text), "--jump port")
        if not jump_host_text:
            raise UsageError(f"--jump: {_show(jump)} has no host")
        _check_host(jump_host_text, "--jump")
        jump_word = jump

    if user is not None:
        _check_user(user, "--user")
    if target_user is not None:
        if user is not None and user != target_user:
            warnings.append(f"--user {user} is ignored: the target names user {target_user}")
        resolved_user = target_user
    elif user is not None:
        resolved_user = user
    else:
        env_user = environ.get("USER", "") or environ.get("LOGNAME", "")
        if env_user:
            resolved_user = _check_user(env_user, "$USER")
        else:  # cron and many CI jobs set no USER: the account this runs as, as getpass.getuser does
            login = _login_name()
            if login is None:
                raise UsageError("no user: give USER@HOST or --user (the USER variable is not set)")
            resolved_user = _check_user(login, "the login name")

    jupyter_ports: tuple[int, int] | None = None
    if with_jupyter:
        remote = jupyter_remote_port if jupyter_remote_port is not None else url_port
        if remote is None:
            raise UsageError("--with-jupyter needs --jupyter-remote-port when the target is not a Jupyter URL")
        remote = _port(remote, "--jupyter-remote-port")
        local = _port(jupyter_local_port if jupyter_local_port is not None else remote, "--jupyter-local-port")
        jupyter_ports = (local, remote)
    elif jupyter_remote_port is not None or jupyter_local_port is not None:
        raise UsageError("--jupyter-remote-port and --jupyter-local-port need --with-jupyter")

    argv = ["ssh", "-N", "-o", "ExitOnForwardFailure=yes"]
    if jump_word is not None:
        argv += ["-J", jump_word]
    if jupyter_ports is not None:
        argv += ["-L", f"{jupyter_ports[0]}:127.0.0.1:{jupyter_ports[1]}"]
    argv += ["-R", f"127.0.0.1:{socks_port}", f"{resolved_user}@{host}"]
    return TunnelCommand(
        argv=tuple(argv),
        warnings=tuple(warnings),
        user=resolved_user,
        host=host,
        socks_port=socks_port,
        jump=jump_word,
        jupyter_ports=jupyter_ports,
    )


def _login_name() -> str | None:
    """The name of the account this process runs as (the password database), or None."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name or None
    except (ImportError, KeyError):
        return None


def tunnel_hint(bridge: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> str:
    """The `ferryman tunnel` line for a `[bridge]` table (or a bridge task's action), for messages
    that tell users what to start; a generic line when the table names no usable target."""
    target, jump, port = bridge.get("target"), bridge.get("jump"), bridge.get("socks_port")
    try:
        if not isinstance(target, str):
            raise UsageError("no target")
        return tunnel_command(
            target,
            jump=jump if isinstance(jump, str) else None,
            socks_port=port if isinstance(port, int) and not isinstance(port, bool) else DEFAULT_SOCKS_PORT,
            environ=environ,
        ).line
    except UsageError:
        return "ferryman tunnel USER@HOST (set [bridge] target to print the exact line)"
