"""Pipe scripts as child processes that die with ferryman (docs/run.md, "Pipe tasks").

A script runs in a session and process group of its own with PR_SET_PDEATHSIG=SIGKILL (killed when
the ferryman thread that started it dies, `kill -9` included), stdin on /dev/null, stdout on a pipe,
stderr on the caller's file and no other descriptor open, every signal at its default and none
blocked; a file without #! is run by /bin/sh (as execvp and GLib's g_spawn do). There are three
ways to start one; `start_script` takes the first available (docs/architecture.md, "Speed"):

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
import stat
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
    descriptor `stderr` and stdout to a pipe (the result's `stdout`). A file the kernel cannot
    execute (no #!) is run by /bin/sh, as execvp(3) and GLib's g_spawn (ZMap's) do.

    Raises OSError whose strerror says why in words (docs/run.md, "Pipe tasks"): the script does
    not exist, is a folder or not a regular file, is not executable, its #! interpreter is missing,
    or its working folder cannot be entered; ValueError for a NUL in an argument or the environment."""
    try:
        return _start(way_in_use(), argv, cwd=cwd, env=env, stderr=stderr)
    except OSError as exc:
        raise _explained(exc, argv[0], cwd) from None


def _start(way: str, argv: Sequence[str], *, cwd: str, env: Mapping[str, str], stderr: int) -> ScriptProcess:
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
        if not os.path.isdir(cwd):  # named as the other ways name it (Popen's chdir comes after this)
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), cwd)
        why = _cannot_execute(argv[0])  # setpriv would start, then fail to execute it
        if why is not None:
            raise why
        command, preexec = [setpriv, "--pdeathsig", "KILL", "--", *argv], None
    else:
        command, preexec = list(argv), die_with_parent()

    def popen(command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
            start_new_session=True, close_fds=True, preexec_fn=preexec,
        )

    try:
        return popen(command)
    except OSError as exc:
        if way == "fork" and exc.errno == errno.ENOEXEC:  # no #!: /bin/sh runs it (setpriv's execvp does too)
            return popen(["/bin/sh", *argv])
        raise


def _explained(exc: OSError, path: str, cwd: str) -> OSError:
    """`exc` from starting `path` in `cwd`, with a strerror that names the cause."""
    if exc.filename is not None and os.fsdecode(exc.filename) == cwd and cwd != path:
        what = "does not exist" if exc.errno == errno.ENOENT else f"cannot be entered: {exc.strerror}"
        return OSError(exc.errno, f"its working folder {cwd} {what}")
    return _cannot_execute(path) or OSError(exc.errno, exc.strerror)


def _cannot_execute(path: str) -> OSError | None:
    """Why execve(2) refuses `path`, in words, as far as can be seen without running it; None when
    nothing is seen to be wrong."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return OSError(exc.errno, exc.strerror)
    if stat.S_ISDIR(st.st_mode):
        return OSError(errno.EISDIR, "it is a folder")
    if not stat.S_ISREG(st.st_mode):
        return OSError(errno.EACCES, "it is not a regular file")
    if not os.access(path, os.X_OK):
        return OSError(errno.EACCES, os.strerror(errno.EACCES))
    interpreter = _interpreter(path)
    if interpreter is not None and not os.access(interpreter, os.X_OK):
        what = "is not executable" if os.path.exists(interpreter) else "does not exist"
        return OSError(errno.ENOENT, f"its #! interpreter {interpreter!r} {what}")
    return None


def _interpreter(path: str) -> str | None:
    """The interpreter a script's #! line names (the kernel's reading: up to the first blank or the
    line's end, a CR kept), or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].lstrip(b" \t")
    token = line.split(b" ", 1)[0].split(b"\t", 1)[0]
    return os.fsdecode(token) if token else None


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
        except ChildProcessError:  # reaped elsewhere: the status is lost, as in Popen (a run keeps SIGCHLD
            # at its default so that the kernel does not reap scripts itself: runtime/runner.py)
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
        if "=" in k:  # as Popen: an empty name is passed on
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
    """A `preexec_fn` for scripts: every signal to SIG_DFL, then PR_SET_PDEATHSIG=SIGKILL. Only
    async-signal-safe work happens in the child: libc is loaded here, before fork."""
    parent = os.getpid()
    prctl = _prctl()
    if prctl is None:  # not Linux: the lock's process groups still clean up
        return lambda: None

    reset = _libc_signal()
    numbers = [int(s) for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]

    def setup() -> None:
        if reset is not None:  # what whoever started ferryman ignored (exec resets handled ones)
            for number in numbers:
                reset(number, SIG_DFL)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # ferryman died between fork and prctl
            os._exit(1)

    return setup


SIG_DFL = 0  # <signal.h>


def _libc_signal() -> Callable[..., int] | None:
    """libc's signal(2): (int, handler) -> previous handler; None when there is no libc.so.6."""
    return _libc("signal", "void_p", "int", "void_p")


def _prctl() -> Callable[..., int] | None:
    """libc's prctl(2): (option, four unsigned longs) -> int; None when there is no libc.so.6."""
    return _libc("prctl", "int", "int", "ulong", "ulong", "ulong", "ulong")


@functools.cache
def _libc(name: str, result: str, *arguments: str) -> Callable[..., int] | None:
    """A libc function through ctypes, its result and arguments typed by ctypes names (`int` for
    c_int). Loaded before any fork: the child only calls it."""
    import ctypes

    try:
        fn = getattr(ctypes.CDLL("libc.so.6", use_errno=True), name)
    except (OSError, AttributeError):
        return None
    fn.argtypes = [getattr(ctypes, f"c_{t}") for t in arguments]
    fn.restype = getattr(ctypes, f"c_{result}")
    f: Callable[..., int] = fn
    return f


def kill_group(proc: ScriptProcess, sig: int) -> None:
    """Send `sig` to the process group `proc` leads; nothing when it is gone already."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


if __name__ == "__main__":  # python -m ferryman.runtime.process
    print(f"pipe scripts start: {way_in_use()}")
