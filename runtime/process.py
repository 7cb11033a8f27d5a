"""Pipe scripts as child processes that die with ferryman (docs/run.md, "Pipe tasks").

A script runs in a session and process group of its own with PR_SET_PDEATHSIG=SIGKILL (killed when
the ferryman thread that started it dies, `kill -9` included), stdin on /dev/null, stdout on a pipe,
stderr on the caller's file and no other descriptor open, with default signal dispositions.
There are three ways to start one; `start_script` takes the first available
(docs/architecture.md, "Speed"):

* ``native``: the C helper runtime/_spawn.c (vfork; in the child setsid, prctl, dup2, close the
  rest, chdir, execve). Nothing but the script is executed;
* ``setpriv``: util-linux's ``setpriv --pdeathsig KILL --`` in front of the script, through Popen's
  vfork spawn: one more exec per script (about 1 ms of CPU each on the 2-core test machine, as
  much as the script's own shell start);
* ``fork``: Popen with a ``preexec_fn`` that calls prctl: a full fork of ferryman (about 2 ms more).

``FERRYMAN_SPAWN=setpriv`` or ``=fork`` picks a slower way (to compare them, or to rule the C
helper out); any other value, or none, means the fastest available. `way_in_use` names the one.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import IO, Protocol

__all__ = ["ScriptProcess", "kill_group", "start_script", "way_in_use"]

_spawn: ModuleType | None
try:
    from . import _spawn
except ImportError:  # not built (no C compiler at install time), or not Linux
    _spawn = None

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class ScriptProcess(Protocol):
    """What the pipe executor needs of a started script: `subprocess.Popen[bytes]` has it."""

    @property
    def pid(self) -> int: ...  # also its process group's id (a session leader)

    @property
    def returncode(self) -> int | None: ...  # None while running; -N when killed by signal N

    @property
    def stdout(self) -> IO[bytes] | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int:
        """The exit status; raises subprocess.TimeoutExpired after `timeout` seconds."""
        ...


def start_script(argv: Sequence[str], *, cwd: str, env: Mapping[str, str], stderr: int) -> ScriptProcess:
    """Start `argv` (argv[0] a path, not looked up on PATH) in `cwd` with exactly `env`, stderr to the
    descriptor `stderr` and stdout to a pipe (the result's `stdout`). Raises OSError when it cannot
    be started (a missing or non-executable script, a missing cwd, a file without #!: ENOEXEC) and
    ValueError for a NUL in an argument or in the environment. (Through ``setpriv``, a file without
    #! is run by /bin/sh, as setpriv's execvp does, and fails there.)"""
    way = way_in_use()
    if way == "native":
        assert _spawn is not None
        read_end, write_end = os.pipe()  # both close-on-exec (PEP 446); the child gets a copy on 1
        try:
            pid = _spawn.spawn(
                os.fsencode(argv[0]), [os.fsencode(a) for a in argv], _environment(env), os.fsencode(cwd),
                _devnull(), write_end, stderr, _max_fd(),
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        return _Child(pid, read_end)
    if way == "setpriv":
        setpriv = _setpriv()
        assert setpriv is not None
        if not os.access(argv[0], os.X_OK):  # setpriv would start, then fail to execute it
            code = errno.EACCES if os.path.exists(argv[0]) else errno.ENOENT
            raise OSError(code, os.strerror(code))
        argv, preexec = [setpriv, "--pdeathsig", "KILL", "--", *argv], None
    else:
        preexec = die_with_parent()
    return subprocess.Popen(
        list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
        start_new_session=True, close_fds=True, preexec_fn=preexec,
    )


def way_in_use() -> str:
    """"native", "setpriv" or "fork" (see the module docstring); FERRYMAN_SPAWN is read each time."""
    wanted = os.environ.get("FERRYMAN_SPAWN", "")
    if wanted == "fork":
        return "fork"
    if wanted != "setpriv" and _spawn is not None:
        return "native"
    return "setpriv" if _setpriv() is not None else "fork"


class _Child:
    """A script started by the C helper: the parts of Popen the pipe executor uses. A wait that must
    block polls a pidfd (pidfd_open(2), Linux 5.3), so no sleep loop; without one it polls as Popen
    does."""

    def __init__(self, pid: int, stdout_fd: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stdout: IO[bytes] | None = open(stdout_fd, "rb", buffering=0)  # noqa: SIM115 - the executor closes it
        self._pidfd: int | None = None  # opened when a wait must block (the script is not reaped before)

    def poll(self) -> int | None:
        if self.returncode is None:
            self._reap(os.WNOHANG)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None or self._reap(os.WNOHANG):  # it usually has exited by now
            assert self.returncode is not None
            return self.returncode
        if timeout is not None:
            deadline = time.monotonic() + timeout
            if self._pidfd is None:
                with contextlib.suppress(OSError, AttributeError):
                    self._pidfd = os.pidfd_open(self.pid)
            if self._pidfd is not None:
                poller = select.poll()
                poller.register(self._pidfd, select.POLLIN)
                if not poller.poll(max(timeout, 0.0) * 1000):
                    raise subprocess.TimeoutExpired(str(self.pid), timeout)
            else:
                delay = 0.0005
                while not self._reap(os.WNOHANG):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise subprocess.TimeoutExpired(str(self.pid), timeout)
                    time.sleep(min(delay, remaining))
                    delay = min(delay * 2, 0.05)
        while self.returncode is None:
            self._reap(0)
        return self.returncode

    def _reap(self, options: int) -> bool:
        try:
            pid, status = os.waitpid(self.pid, options)
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): the status is lost, as in Popen
            pid, status = self.pid, 0
        if pid == 0:
            return False
        self.returncode = os.waitstatus_to_exitcode(status)
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        return True


def _environment(env: Mapping[str, str]) -> list[bytes]:
    out = []
    for k, v in env.items():
        if not k or "=" in k:
            raise ValueError(f"illegal environment variable name {k!r}")
        out.append(os.fsencode(k) + b"=" + os.fsencode(v))
    return out


@functools.lru_cache(maxsize=1)
def _devnull() -> int:
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)  # kept open for the process's life


@functools.lru_cache(maxsize=1)
def _max_fd() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (OSError, ValueError):
        return 256


@functools.lru_cache(maxsize=1)
def _setpriv() -> str | None:
    import shutil

    path = shutil.which("setpriv")
    if path is None or _prctl() is None:  # not Linux, or no util-linux
        return None
    return path


def die_with_parent() -> Callable[[], None]:
    """A `preexec_fn` for scripts: PR_SET_PDEATHSIG=SIGKILL. Only async-signal-safe work happens in
    the child: libc is loaded here, before fork."""
    parent = os.getpid()
    prctl = _prctl()
    if prctl is None:  # not Linux: the lock's process groups still clean up
        return lambda: None

    def setup() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # ferryman died between fork and prctl
            os._exit(1)

    return setup


@functools.lru_cache(maxsize=1)
def _prctl() -> Callable[..., int] | None:
    import ctypes

    try:
        fn = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    fn.restype = ctypes.c_int
    f: Callable[..., int] = fn
    return f


def kill_group(proc: ScriptProcess, sig: int) -> None:
    """Send `sig` to the process group `proc` leads; nothing when it is gone already."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


if __name__ == "__main__":  # python -m ferryman.runtime.process
    print(f"pipe scripts start: {way_in_use()}")
