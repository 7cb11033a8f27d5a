"""Rewrite ZMap config files so that ZMap can read them: each url continued over indented lines
(the GK210 warning) is joined into one line. Nothing else changes, byte for byte.

With no FILE, the ZMap config that ./ferryman.toml names ([zmap] config). Exit 0 when done (or,
with --check, when nothing would change); 1 when --check finds a file to rewrite, or a file
cannot be read, is not UTF-8, starts with a byte-order mark or has GKeyFile errors (such a file
is left as it is); 2 for usage errors. See docs/ci.md for the pre-commit hook.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
import tempfile

from ..errors import ExitCode, InputError, UsageError

BOM = b"\xef\xbb\xbf"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "files", nargs="*", metavar="FILE", help="ZMap config files (default: the workspace's [zmap] config)"
    )
    p.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 and list the files that would be rewritten"
    )


def run(args: argparse.Namespace) -> int:
    files: list[str] = args.files or _workspace_config()
    failed = 0
    changed = 0
    for path in files:
        try:
            new = _formatted(path)
            if new is None:
                continue
            changed += 1
            if args.check:
                sys.stdout.write(f"would reformat {path}\n")
                continue
            _write_atomically(path, new)
            sys.stdout.write(f"reformatted {path}\n")
        except InputError as exc:
            sys.stderr.write(f"{exc.message}\n" + (f"  hint: {exc.hint}\n" if exc.hint else ""))
            failed += 1
        except OSError as exc:
            sys.stderr.write(f"{path}: cannot write: {exc.strerror or exc}\n")
            failed += 1
    _summary(len(files), changed, failed, args.check)
    if failed or (args.check and changed):
        return ExitCode.FAILED
    return ExitCode.OK


def _summary(total: int, changed: int, failed: int, check: bool) -> None:
    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    same = total - changed - failed
    if not changed and not failed:
        sys.stderr.write(f"ok: {files(total)} unchanged\n")
        return
    parts = [f"{files(changed)} {'would be reformatted' if check else 'reformatted'}"] if changed else []
    parts += [f"{files(failed)} not reformatted (see above)"] if failed else []
    sys.stderr.write(", ".join([*parts, f"{same} unchanged"]) + "\n")
    if check and changed:
        sys.stderr.write("  hint: run `ferryman fmt` to join continued values into one line\n")


def _workspace_config() -> list[str]:
    """The [zmap] config of ./ferryman.toml, as a path from the current folder."""
    from . import raw_manifest

    manifest = raw_manifest("ferryman.toml", missing="no FILE given and no ferryman.toml in the current folder",
                            missing_hint="name the files: ferryman fmt FILE...")
    zmap = manifest.get("zmap")
    config = zmap.get("config") if isinstance(zmap, dict) else None
    if not isinstance(config, str) or not config:
        hint = "name the files: ferryman fmt FILE..."
        raise UsageError("ferryman.toml names no ZMap config ([zmap] config)", hint=hint)
    return [os.path.normpath(config)]


def _formatted(path: str) -> bytes | None:
    """The new bytes of `path`, or None when it is already one line per value.

    Raises `InputError` (a located, one-line message) when the file cannot be formatted.
    """
    from ferryman.compiler.loaders import decode, read_regular
    from ferryman.compiler.loaders.gkeyfile import diagnostics, join_continuations

    try:
        raw = read_regular(path)  # a FIFO or /dev/zero is refused, not read for ever
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    if raw.startswith(BOM):
        # GLib refuses a key file that starts with a byte-order mark; so does fmt (docs/formats.md)
        raise InputError(
            "file starts with a UTF-8 byte-order mark, which GLib cannot read",
            path=path,
            line=1,
            col=1,
            hint="save the file as UTF-8 without a BOM",
        )
    text, problems = decode(path, raw)
    if text is None:
        raise InputError("\n".join(d.text() for d in problems))
    new, kf = join_continuations(text)
    if not kf.ok:
        errors = [d.text() for d in diagnostics(kf, path) if d.is_error]
        raise InputError("\n".join(errors) + f"\n{path}: not reformatted: it has GKeyFile errors")
    if new == text:
        return None
    return new.encode("utf-8")


def _write_atomically(path: str, data: bytes) -> None:
    """Replace the file (the target of a symlink) by `data` in one rename, keeping its mode."""
    real = os.path.realpath(path)
    st = os.stat(real)
    folder, name = os.path.split(real)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
