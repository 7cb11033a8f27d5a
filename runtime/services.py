"""Runtime services: what every executor of one run shares (docs/architecture.md, "Runtime services").

* `RunContext.secret(ref)` resolves `${env:NAME}` and `${input:FILE#/pointer}` references and
  registers every value it returns with the run's one `Redactor`;
* the `Redactor` filters every journal entry, progress line, warning and summary;
* `RunContext.http_session()` is the one way executors talk HTTP: requests with urllib3 `Retry`
  (connection errors and 502/503/504, for GET and PUT only, never POST), connect and read
  timeouts, TLS verification on, and the bridge's `socks5h://` proxy when the plan has one;
* `RunContext.host_slot(host)` limits concurrent work on one remote host across all tasks of the
  run (the host's capacity from the plan's resources);
* the stop event and the process-group registry used on SIGINT/SIGTERM.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ferryman.compiler import secrets as refs
from ferryman.compiler import tasks
from ferryman.compiler.plan import Plan, Task
from ferryman.errors import FerrymanError

from .process import ScriptProcess, kill_group

if TYPE_CHECKING:
    import requests

    from .scheduler import TaskOutcome

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 120.0
RETRIES = 3
RETRY_STATUSES = (502, 503, 504)
RETRY_METHODS = frozenset({"GET", "PUT"})  # idempotent calls only: a POST is never repeated blindly

PER_SCHEME_PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")

INPUT_REFERENCE = re.compile(r"\$\{input:([^#}]+)#([^}]*)\}")
ANY_REFERENCE = re.compile(refs.REFERENCE.pattern + "|" + INPUT_REFERENCE.pattern)
MASK = "***"


class Redactor:
    """Replaces every registered secret value by `***` in text and in JSON-like records.

    Registering a value also registers the forms it takes on the wire (percent-encoded, and the
    Basic-auth header of a user with that password, via `add_basic_auth`). Thread-safe."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if not value or len(value) < 3:  # a one- or two-character "secret" would mask everything
            return
        forms = {value, quote(value, safe=""), json.dumps(value, ensure_ascii=True)[1:-1]}
        with self._lock:
            if forms <= self._values:
                return
            self._values |= {f for f in forms if f}
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def add_basic_auth(self, user: str, password: str) -> None:
        """The `Authorization: Basic …` token of user:password is a secret too."""
        if password:
            self.add(base64.b64encode(f"{user}:{password}".encode()).decode())

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        return text if pattern is None or not text else pattern.sub(MASK, text)

    def scrub(self, value: Any) -> Any:
        """`value` (str, list, tuple, dict, scalars) with every string filtered; `value` itself
        when no secret is registered (the caller serializes it at once)."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub(v) for v in value]
        return value


def referenced_env_names(plan: Plan) -> set[str]:
    """Every environment variable a plan's `${env:…}` references name (anywhere in any action)."""
    names: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if "${" in v:
                names.update(refs.references(v))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    for t in plan.tasks:
        walk(t.action)
    return names


def _json_pointer(doc: Any, pointer: str) -> Any:
    """RFC 6901: `/a/0/b`, with `~1` for `/` and `~0` for `~`."""
    if pointer in ("", "/"):
        return doc
    node = doc
    for raw in pointer.lstrip("/").split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


@dataclasses.dataclass
class RunContext:
    """What every executor of one run shares (see the module docstring)."""

    plan: Plan
    state_dir: str  # absolute
    env: dict[str, str]  # the environment scripts get: proxy variables added, secret variables removed
    environ: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(os.environ))
    redact: Redactor = dataclasses.field(default_factory=Redactor)
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)
    proxy: str | None = None  # socks5h://127.0.0.1:PORT when the plan has a bridge
    _procs: set[ScriptProcess] = dataclasses.field(default_factory=set)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    _slots: dict[str, threading.BoundedSemaphore] = dataclasses.field(default_factory=dict)
    # told the process groups running now, on every start and end (the lock file records them)
    on_groups: Callable[[list[int]], None] | None = None
    # the pid of a run that died holding the lock (kill -9): what it left half-written is named by it
    crashed_pid: int | None = None

    @classmethod
    def for_plan(cls, plan: Plan, state_dir: str, environ: Mapping[str, str] | None = None) -> RunContext:
        """The context of a run of `plan`: scripts get the environment without the variables the
        plan's `${env:…}` references name, plus ALL_PROXY/all_proxy when there is a bridge; every
        such variable that is set is registered for redaction before anything runs."""
        environ = dict(os.environ if environ is None else environ)
        secret_names = referenced_env_names(plan)
        env = {k: v for k, v in environ.items() if k not in secret_names}
        kinds = tasks.registry()
        proxies = (kinds[t.kind].proxy(t.action) for t in plan.tasks if t.kind in kinds)
        proxy = next((p for p in proxies if p), None)
        if proxy is not None:
            # per-scheme variables win over ALL_PROXY in curl and requests: an inherited
            # http_proxy would steer scripts around the tunnel (docs/bridge.md, "Runs through a tunnel")
            for name in PER_SCHEME_PROXY_VARIABLES:
                env.pop(name, None)
            env.update(ALL_PROXY=proxy, all_proxy=proxy)
        ctx = cls(plan=plan, state_dir=state_dir, env=env, environ=environ, proxy=proxy)
        for name in secret_names:
            if name in environ:
                ctx.redact.add(environ[name])
        return ctx

    # -- paths ------------------------------------------------------------------------------
    def path(self, rel: str) -> str:
        return rel if os.path.isabs(rel) else os.path.join(self.plan.root, rel)

    # -- secrets ----------------------------------------------------------------------------
    def secret(self, ref: str) -> str:
        """The value of a reference, registered for redaction.

        `${env:NAME}` reads the run's environment; `${input:FILE#/pointer}` reads a JSON input of
        the plan (FILE relative to the workspace root, one of the plan's hash-checked inputs) at
        an RFC 6901 pointer. A string without references is returned as it is. Raises
        `FerrymanError` naming the reference (never a value) when it cannot be resolved."""
        def one(m: re.Match[str]) -> str:
            if m.group(1) is not None:
                value = refs.resolve(m.group(0), self.environ)
            else:
                value = self._input_value(m.group(2), m.group(3))
            self.redact.add(value)
            return value

        return ANY_REFERENCE.sub(one, ref)

    def _input_value(self, rel: str, pointer: str) -> str:
        if rel not in {i.path for i in self.plan.inputs}:
            raise FerrymanError(f"secret reference ${{input:{rel}#{pointer}}} names a file that is not a plan input")
        try:
            with open(os.path.join(self.plan.root, rel), encoding="utf-8") as fh:
                value = _json_pointer(json.load(fh), pointer)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise FerrymanError(
                f"cannot resolve ${{input:{rel}#{pointer}}}: {type(exc).__name__}",
                hint="compile the plan again: ferryman plan --out FILE",
            ) from None
        if not isinstance(value, str):
            raise FerrymanError(f"${{input:{rel}#{pointer}}} is not a string")
        return value

    # -- HTTP -------------------------------------------------------------------------------
    def http_session(self) -> requests.Session:
        """A new requests Session configured as the module docstring says (one per task or per
        worker thread: Sessions are not thread-safe)."""
        return http_session(proxy=self.proxy)

    def host_capacity(self, host: str) -> int:
        """How many things may talk to `host` at once: its `host:` resource's capacity in the plan,
        else the plan's per_host_limit."""
        cap = next((r.capacity for r in self.plan.resources if r.id == f"host:{host}"), None)
        return cap or self.plan.per_host_limit

    @contextlib.contextmanager
    def host_slot(self, host: str) -> Iterator[None]:
        """Hold one unit of `host`'s capacity (`host_capacity`) while the block runs."""
        with self._lock:
            sem = self._slots.get(host)
            if sem is None:
                sem = self._slots[host] = threading.BoundedSemaphore(self.host_capacity(host))
        while not sem.acquire(timeout=0.2):
            if self.stop.is_set():
                raise FerrymanError("interrupted")
        try:
            yield
        finally:
            sem.release()

    # -- processes --------------------------------------------------------------------------
    def track(self, proc: ScriptProcess) -> None:
        """Register a script started in its own process group (`start_new_session=True`)."""
        with self._lock:
            self._procs.add(proc)
            groups = [p.pid for p in self._procs]
            if self.on_groups is not None:
                self.on_groups(groups)

    def untrack(self, proc: ScriptProcess) -> None:
        with self._lock:
            self._procs.discard(proc)
            groups = [p.pid for p in self._procs]
            if self.on_groups is not None:
                self.on_groups(groups)

    def terminate_all(self) -> None:
        """Stop every running child's whole process group (SIGTERM; executors follow with SIGKILL)."""
        self.stop.set()
        with self._lock:
            procs = list(self._procs)
        for p in procs:
            kill_group(p, signal.SIGTERM)


def http_session(
    *,
    proxy: str | None = None,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    read_timeout_s: float = READ_TIMEOUT_S,
    retries: int = RETRIES,
    backoff: float = 0.2,
    pool: int = 16,
) -> requests.Session:
    """A requests Session: urllib3 `Retry` on connection errors, read errors and 502/503/504 for GET
    and PUT only (both idempotent; a POST is never repeated: its outcome may be unknown), backoff
    `backoff` s doubling, default (connect, read) timeouts on every request, `pool` connections
    kept per host, TLS verification on, and `proxy` (a `socks5h://` URL: names resolve on the far
    side) for http and https when given — then for every request, whatever HTTP(S)_PROXY or
    NO_PROXY the environment holds."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class Session(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", (connect_timeout_s, read_timeout_s))
            if proxy:
                # requests merges HTTP(S)_PROXY from the environment *over* session.proxies; proxies
                # given per request win over the environment, so the bridge is always the proxy
                kwargs.setdefault("proxies", {"http": proxy, "https": proxy})
            return super().request(method, url, *args, **kwargs)

    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,  # GET and PUT only: repeating them is harmless
        status=retries,
        other=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=RETRY_METHODS,
        backoff_factor=backoff,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    s = Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool, pool_maxsize=pool)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.verify = True
    if proxy:  # also per request (see `request` above): the environment cannot override it
        s.proxies = {"http": proxy, "https": proxy}
    return s


Executor = Callable[[Task, RunContext], "TaskOutcome"]
