"""The WSGI application of the local NDEx v2 server: routes, auth, faults, status and users.

Status codes, messages and orders of checks follow ndex-rest (AdminServiceV2, UserServiceV2,
BasicAuthenticationFilter and its exception mappers); docs/ndex.md, "Local NDEx server", lists what
is implemented. The network and search routes are networks.py's; the error answers answers.py's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .answers import (
    NdexError,
    bad_request,
    check_uuid,
    current_user,
    error_response,
    json_body,
    json_response,
    not_found,
    unauthorized,
)
from .faults import FaultRule, FaultSwitch
from .networks import Loader, NetworkService
from .storage import Storage, User

SERVER_VERSION = "2.5.4"  # what `/v2/admin/status` reports; ndex2 needs it to start with "2."
REST_SERVER_VERSION = "2.0"  # the v1-era `/rest/admin/status` hard-codes this (AdminService)
RESULT_LIMIT = "10000"

# route template -> endpoint name; `{networkid}` in the labels that stats and faults use
ROUTES = [
    ("/v2/admin/status", "status", ["GET"]),
    ("/rest/admin/status", "rest_status", ["GET"]),
    ("/v2/user", "user_by_name", ["GET"]),
    ("/v2/user/<userid>", "user_by_id", ["GET"]),
    ("/v2/network", "create_network", ["POST"]),
    ("/v2/network/<networkid>", "network", ["GET", "PUT"]),
    ("/v2/network/<networkid>/summary", "summary", ["GET"]),
    ("/v2/network/<networkid>/provenance", "provenance", ["GET", "PUT"]),
    ("/v2/network/<networkid>/systemproperty", "systemproperty", ["PUT"]),
    ("/v2/network/<networkid>/permission", "permission", ["GET", "PUT", "DELETE"]),
    ("/v2/search/network", "search", ["POST"]),
    ("/_ferryman/faults", "admin_faults", ["GET", "POST", "DELETE"]),
    ("/_ferryman/stats", "admin_stats", ["GET", "DELETE"]),
]
# requests that change state (POST search reads); counted per route for `plan --refresh` tests
WRITES = {
    ("POST", "create_network"),
    ("PUT", "network"),
    ("PUT", "provenance"),
    ("PUT", "systemproperty"),
    ("PUT", "permission"),
    ("DELETE", "permission"),
}


class _DropConnection(ConnectionAbortedError):
    """Raised to end a request by dropping its connection (werkzeug treats it as a client drop)."""


def _drop(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise _DropConnection("fault: connection dropped")


class _CutInput:
    """wsgi.input that drops the connection once `limit` bytes of the body have been read."""

    def __init__(self, raw: IO[bytes], limit: int, environ: dict[str, Any]) -> None:
        self._raw, self._left, self._environ = raw, limit, environ

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            _drop(self._environ)
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._raw.read(want)
        self._left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        if self._left <= 0:
            _drop(self._environ)
        data = self._raw.readline(self._left if size is None or size < 0 else min(size, self._left))
        self._left -= len(data)
        return data


def _cut_body(body: Iterable[bytes], limit: int, environ: dict[str, Any]) -> Iterator[bytes]:
    left = limit
    for chunk in body:
        if len(chunk) >= left:
            if left:
                yield chunk[:left]
            _drop(environ)
        left -= len(chunk)
        yield chunk
    _drop(environ)


class NdexApp:
    """The WSGI callable. `stats` counts requests and write requests per route label."""

    def __init__(self, storage: Storage, faults: FaultSwitch | None = None) -> None:
        self.storage = storage
        self.faults = faults or FaultSwitch()
        self.loader = Loader(storage)
        self.networks = NetworkService(storage, self.loader)
        self.url_map = Map([Rule(path, endpoint=name, methods=methods) for path, name, methods in ROUTES],
                           strict_slashes=False)
        self.templates = {name: path.replace("<", "{").replace(">", "}") for path, name, _ in ROUTES}
        # each endpoint's handler: a network route's in NetworkService, the others here
        self.handlers: dict[str, Callable[..., Response]] = {
            name: getattr(self.networks, f"do_{name}", None) or getattr(self, f"do_{name}") for _, name, _ in ROUTES
        }
        self._stats_lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.writes: Counter[str] = Counter()

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        method = request.method
        try:
            adapter = self.url_map.bind_to_environ(environ)
            endpoint, matched = adapter.match()
            args = {k: str(v) for k, v in matched.items()}
        except NotFound:
            return error_response(NdexError(404, "NDEx_Exception", "HTTP 404 Not Found"))(environ, start_response)
        except MethodNotAllowed:
            return error_response(NdexError(405, "NDEx_Exception", "HTTP 405 Method Not Allowed"))(
                environ, start_response
            )
        except HTTPException as exc:  # a redirect or other routing answer
            return exc(environ, start_response)
        label = f"{method} {self.templates[endpoint]}"
        with self._stats_lock:
            self.requests[label] += 1
            if (method, endpoint) in WRITES:
                self.writes[label] += 1
        rules = {} if endpoint.startswith("admin_") else {
            r.action: r for r in self.faults.take(method, self.templates[endpoint], request.path)
        }
        response = self._respond(request, endpoint, args, rules)
        cut = rules.get("drop_response_after")
        if cut is not None:
            if cut.value == 0:
                _drop(environ)
            body = response(environ, start_response)
            return _cut_body(body, int(cut.value), environ)
        return response(environ, start_response)

    def _respond(self, request: Request, endpoint: str, args: dict[str, str], rules: dict[str, FaultRule]) -> Response:
        delay = rules.get("delay")
        if delay is not None:
            time.sleep(delay.value)
        status = rules.get("status")
        if status is not None:
            return error_response(
                NdexError(int(status.value), "NDEx_Exception", f"Injected fault: HTTP {int(status.value)}.")
            )
        cut_in = rules.get("drop_request_after")
        if cut_in is not None:
            request.environ["wsgi.input"] = _CutInput(
                request.environ["wsgi.input"], int(cut_in.value), request.environ
            )
            request.environ["wsgi.input_terminated"] = False
        load_delay = rules.get("load_delay")
        request.environ["ferryman.load_delay"] = load_delay.value if load_delay is not None else 0.0
        try:
            if not endpoint.startswith("admin_"):
                request.environ["ferryman.user"] = self._authenticate(request)
            return self.handlers[endpoint](request, **args)
        except NdexError as err:
            return error_response(err)

    # -- auth ---------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> User | None:
        """The logged-in user (HTTP Basic), as ndex-rest's BasicAuthenticationFilter decides: bad
        credentials are refused on every route, public ones included."""
        header = request.headers.get("Authorization")
        if not header:
            return None
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.username is None:
            raise unauthorized("Authorization is not using Basic auth or OAuth.", challenge=False)
        ok = self.storage.check_password(auth.username, auth.password or "")
        if ok is None:
            raise NdexError(401, "NDEx_Object_Not_Found_Exception", f"User {auth.username} not found.")
        if not ok:
            raise unauthorized(f"Invalid password for user {auth.username}.", challenge=False)
        return self.storage.user_by_name(auth.username)

    # -- admin --------------------------------------------------------------------------------

    def _status(self, version: str) -> Response:
        return json_response(
            {
                "networkCount": self.storage.network_count(),
                "userCount": self.storage.user_count(),
                "groupCount": 0,
                "properties": {"ServerVersion": version, "ServerResultLimit": RESULT_LIMIT, "Build": "ferryman"},
            }
        )

    def do_status(self, request: Request) -> Response:
        return self._status(SERVER_VERSION)

    def do_rest_status(self, request: Request) -> Response:
        return self._status(REST_SERVER_VERSION)

    # -- users --------------------------------------------------------------------------------

    def do_user_by_name(self, request: Request) -> Response:
        current_user(request, required=False)
        name = request.args.get("username")
        if not name:
            raise bad_request("Parameter username is required.")
        user = self.storage.user_by_name(name)
        if user is None:
            raise not_found("User", name)
        return json_response(user.as_json())

    def do_user_by_id(self, request: Request, userid: str) -> Response:
        current_user(request, required=False)
        user = self.storage.user_by_id(check_uuid(userid))
        if user is None:
            raise not_found("User", userid)
        return json_response(user.as_json())

    # -- the fault switch and counters (not NDEx) --------------------------------------------

    def do_admin_faults(self, request: Request) -> Response:
        from .faults import FaultSpecError, parse_rule

        if request.method == "POST":
            body = json_body(request)
            specs = body.get("rules") if isinstance(body, dict) else None
            if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
                raise bad_request('POST /_ferryman/faults takes {"rules": ["METHOD PATH ACTION=VALUE [times=N]"]}')
            try:
                rules = [parse_rule(s) for s in specs]
            except FaultSpecError as exc:
                raise bad_request(str(exc)) from None
            for rule in rules:
                self.faults.add(rule)
        elif request.method == "DELETE":
            self.faults.clear()
        return json_response({"rules": [r.as_json() for r in self.faults.rules()]})

    def do_admin_stats(self, request: Request) -> Response:
        with self._stats_lock:
            if request.method == "DELETE":
                self.requests.clear()
                self.writes.clear()
            return json_response({"requests": dict(self.requests), "writes": dict(self.writes)})
