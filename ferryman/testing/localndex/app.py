"""The WSGI application of the local NDEx v2 server: routes, auth, permissions, faults.

Status codes, messages and orders of checks follow ndex-rest (NetworkServiceV2, SearchServiceV2,
AdminServiceV2, BasicAuthenticationFilter and its exception mappers); docs/ndex.md, "Local NDEx
server", lists what is implemented. Error bodies are NDEx's `{errorCode, message, description,
threadId, timeStamp}` with nulls omitted.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.formparser import parse_form_data
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .faults import FaultRule, FaultSwitch
from .storage import PERMISSIONS, Storage, User

SERVER_VERSION = "2.5.4"  # what `/v2/admin/status` reports; ndex2 needs it to start with "2."
REST_SERVER_VERSION = "2.0"  # the v1-era `/rest/admin/status` hard-codes this (AdminService)
RESULT_LIMIT = "10000"
CHUNK = 1 << 20
VISIBILITIES = ("PUBLIC", "PRIVATE", "UNLISTED")

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


class NdexError(Exception):
    """An NDEx error answer: HTTP status, NDEx errorCode and message."""

    def __init__(self, status: int, code: str, message: str, *, basic_challenge: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.basic_challenge = basic_challenge


def unauthorized(message: str, *, challenge: bool = True) -> NdexError:
    # UnauthorizedOperationExceptionMapper adds `WWW-Authenticate: Basic` on v2 paths; the auth
    # filter's own refusals do not (its header line is commented out in ndex-rest).
    return NdexError(401, "NDEx_Unauthorized_Operation_Exception", message, basic_challenge=challenge)


def not_found(what: str, ident: str) -> NdexError:
    return NdexError(404, "NDEx_Object_Not_Found_Exception", f"{what} {ident} not found.")


def server_error(message: str) -> NdexError:
    return NdexError(500, "NDEx_Exception", message)


def bad_request(message: str) -> NdexError:
    return NdexError(400, "NDEx_Bad_Request_Exception", message)


def error_response(err: NdexError) -> Response:
    body = {
        "errorCode": err.code,
        "message": err.message,
        "threadId": str(threading.get_ident()),
        "timeStamp": int(time.time() * 1000),
    }
    resp = Response(json.dumps(body), status=err.status, mimetype="application/json")
    if err.basic_challenge:
        resp.headers["WWW-Authenticate"] = "Basic"
    return resp


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _check_uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        # UUID.fromString's IllegalArgumentException reaches DefaultExceptionMapper: a 500
        message = f"Uncaught exception java.lang.IllegalArgumentException: Invalid UUID string: {text}"
        raise server_error(message) from None


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


def _file_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    with fh:
        while True:
            data = fh.read(CHUNK)
            if not data:
                return
            yield data


class Loader:
    """Loads uploaded networks in the background, as NDEx's CXNetworkLoadingTask does."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def submit(self, network_id: str, visibility: str | None, delay: float = 0.0) -> None:
        t = threading.Thread(
            target=self._run, args=(network_id, visibility, delay), name=f"ndex-load-{network_id}", daemon=True
        )
        with self._lock:
            self._threads.add(t)
        t.start()

    def _run(self, network_id: str, visibility: str | None, delay: float) -> None:
        from .cx import CxError, summarize

        try:
            if delay and self.stopping.wait(delay):
                return
            try:
                with open(self.storage.cx_path(network_id), "rb") as fh:
                    summary = summarize(_StoppableReader(fh, self.stopping))  # type: ignore[arg-type]
            except _Stopped:
                return  # the next start loads it again
            except CxError as exc:
                self.storage.fail_load(network_id, str(exc))
                return
            except Exception as exc:  # the message is stored, like ndex-rest's loader does
                self.storage.fail_load(network_id, f"{type(exc).__name__}: {exc}")
                return
            self.storage.finish_load(network_id, summary, visibility)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def idle(self) -> bool:
        with self._lock:
            return not self._threads

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))


class _Stopped(Exception):
    pass


class _StoppableReader:
    """A binary reader that gives up when the server stops (checked per read of up to 1 MB)."""

    def __init__(self, raw: IO[bytes], stopping: threading.Event) -> None:
        self._raw, self._stopping = raw, stopping

    def read(self, size: int = -1) -> bytes:
        if self._stopping.is_set():
            raise _Stopped()
        return self._raw.read(size)


class NdexApp:
    """The WSGI callable. `stats` counts requests and write requests per route label."""

    def __init__(self, storage: Storage, faults: FaultSwitch | None = None) -> None:
        self.storage = storage
        self.faults = faults or FaultSwitch()
        self.loader = Loader(storage)
        self.url_map = Map([Rule(path, endpoint=name, methods=methods) for path, name, methods in ROUTES],
                           strict_slashes=False)
        self.templates = {name: path.replace("<", "{").replace(">", "}") for path, name, _ in ROUTES}
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
            handler = getattr(self, "do_" + endpoint)
            resp: Response = handler(request, **args)
            return resp
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

    def _user(self, request: Request, *, required: bool) -> User | None:
        user: User | None = request.environ.get("ferryman.user")
        if user is None and required:
            raise unauthorized("Attempted to access resource requiring authentication.", challenge=False)
        return user

    def _network(self, network_id: str) -> Any:
        net = self.storage.network(_check_uuid(network_id))
        if net is None:
            raise not_found("Network", network_id)
        return net

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
        self._user(request, required=False)
        name = request.args.get("username")
        if not name:
            raise bad_request("Parameter username is required.")
        user = self.storage.user_by_name(name)
        if user is None:
            raise not_found("User", name)
        return json_response(user.as_json())

    def do_user_by_id(self, request: Request, userid: str) -> Response:
        self._user(request, required=False)
        user = self.storage.user_by_id(_check_uuid(userid))
        if user is None:
            raise not_found("User", userid)
        return json_response(user.as_json())

    # -- networks -----------------------------------------------------------------------------

    def _visibility(self, request: Request) -> str | None:
        value = request.args.get("visibility")
        if value is not None and value not in VISIBILITIES:
            raise server_error(
                "Uncaught exception java.lang.IllegalArgumentException: No enum constant "
                f"org.ndexbio.model.object.network.VisibilityType.{value}"
            )
        return value

    def _receive_cx(self, request: Request) -> str:
        """Stream the multipart part `CXNetworkStream` into a temporary file; returns its path."""
        paths: list[str] = []

        def stream_factory(total_content_length: int | None, content_type: str | None, filename: str | None,
                           content_length: int | None = None) -> IO[bytes]:
            path = self.storage.new_tmp_path()
            paths.append(path)
            return open(path, "wb+")

        kept: str | None = None
        try:
            _, form, files = parse_form_data(request.environ, stream_factory=stream_factory, silent=False,
                                             max_form_memory_size=64 << 20)
            part = files.get("CXNetworkStream")
            for storage in files.values():
                storage.stream.close()
            if part is not None:
                kept = str(part.stream.name)
            elif "CXNetworkStream" in form:  # sent as a plain field, without a filename
                kept = self.storage.new_tmp_path()
                paths.append(kept)
                with open(kept, "wb") as fh:
                    fh.write(form["CXNetworkStream"].encode("utf-8"))
            if kept is None:
                raise bad_request("Field CXNetworkStream is not found in the POSTed Data.")
            return kept
        except HTTPException as exc:
            raise bad_request(f"Cannot read the multipart body: {exc.description}") from None
        finally:
            for path in paths:
                if path != kept and os.path.exists(path):
                    os.unlink(path)

    def do_create_network(self, request: Request) -> Response:
        user = self._user(request, required=True)
        assert user is not None
        visibility = self._visibility(request)
        tmp = self._receive_cx(request)
        network_id = self.storage.create_network(user, tmp, visibility)
        self.loader.submit(network_id, visibility, request.environ["ferryman.load_delay"])
        location = f"{request.host_url}v2/network/{network_id}"
        resp = Response(location, status=201, mimetype="text/plain")
        resp.headers["Location"] = location
        return resp

    def do_network(self, request: Request, networkid: str) -> Response:
        if request.method == "PUT":
            return self._update_network(request, networkid)
        user = self._user(request, required=False)
        net = self._network(networkid)
        if not self.storage.can_read(net, user):
            raise unauthorized("User doesn't have read access to this network.")
        path = self.storage.cx_path(net["id"])
        try:
            fh = open(path, "rb")  # noqa: SIM115 - the response closes it
        except OSError as exc:
            raise server_error(f"Ndex server can't find file: {exc}") from None
        size = os.fstat(fh.fileno()).st_size
        download = request.args.get("download", "").lower() == "true"
        resp = Response(_file_chunks(fh), mimetype="application/octet-stream" if download else "application/json",
                        direct_passthrough=True)
        resp.headers["Content-Length"] = str(size)
        if download:
            title = (net["name"] or net["id"]).replace('"', "_")
            resp.headers["Content-Disposition"] = f'attachment; filename="{title}.cx"'
        return resp

    def _update_network(self, request: Request, networkid: str) -> Response:
        user = self._user(request, required=True)
        visibility = self._visibility(request)
        net = self._network(networkid)
        # ndex-rest checks read-only before write permission (NetworkServiceV2.updateCXNetwork)
        if net["read_only"]:
            raise server_error("Can't update readonly network.")
        if not self.storage.can_write(net, user):
            raise unauthorized("User doesn't have write permissions for this network.")
        if not self.storage.try_lock(net["id"]):
            raise server_error("This network is locked by another update process: try again later.")
        try:
            tmp = self._receive_cx(request)
        except BaseException:
            self.storage.unlock(net["id"])
            raise
        self.storage.start_update(net["id"], tmp)
        self.loader.submit(net["id"], visibility, request.environ["ferryman.load_delay"])
        return Response(status=204)

    def do_summary(self, request: Request, networkid: str) -> Response:
        user = self._user(request, required=False)
        net = self._network(networkid)
        if not self.storage.can_read(net, user):
            raise unauthorized(f"Unauthorized access to network {net['id']}")
        return json_response(self.storage.summary(net))

    def do_provenance(self, request: Request, networkid: str) -> Response:
        if request.method == "GET":
            user = self._user(request, required=False)
            net = self._network(networkid)
            if not self.storage.can_read(net, user):
                raise unauthorized(f"Network {net['id']} is not readable to this user.")
            return json_response(json.loads(net["provenance"]) if net["provenance"] else {})
        user = self._user(request, required=True)
        net = self._network(networkid)
        # setProvenance checks write permission first, then read-only, then validity
        if not self.storage.can_write(net, user):
            raise unauthorized("User doesn't have write permissions for this network.")
        if net["read_only"]:
            raise server_error("Can't update readonly network.")
        if not net["is_valid"]:
            raise server_error(f"Network {net['id']} is not valid yet: it is still being loaded.")
        entity = self._json_body(request)
        if not isinstance(entity, dict):
            raise bad_request("The provenance must be a JSON object (a ProvenanceEntity).")
        self.storage.set_flag(net["id"], "provenance", json.dumps(entity))
        return Response(status=204)

    def do_systemproperty(self, request: Request, networkid: str) -> Response:
        user = self._user(request, required=True)
        net = self._network(networkid)
        params = self._json_body(request)
        if not isinstance(params, dict):
            raise bad_request("The system properties must be a JSON object.")
        if not net["is_valid"]:
            raise server_error(f"Network {net['id']} is not valid yet: it is still being loaded.")
        if "readOnly" in params:
            if not self.storage.is_admin(net, user):
                raise unauthorized("Only network owner can set readOnly Parameter.")
            if not isinstance(params["readOnly"], bool):
                raise server_error("Uncaught exception java.lang.ClassCastException: readOnly must be a boolean")
            self.storage.set_flag(net["id"], "read_only", int(params["readOnly"]))
        if "visibility" in params:
            if not self.storage.is_admin(net, user):
                raise unauthorized("Only network owner can set visibility Parameter.")
            if params["visibility"] not in VISIBILITIES:
                raise server_error(f"Uncaught exception java.lang.IllegalArgumentException: No enum constant "
                                   f"org.ndexbio.model.object.network.VisibilityType.{params['visibility']}")
            self.storage.set_flag(net["id"], "visibility", params["visibility"])
        return Response(status=204)

    def do_permission(self, request: Request, networkid: str) -> Response:
        user = self._user(request, required=True)
        net = self._network(networkid)
        if request.method == "GET":
            kind = request.args.get("type")
            if kind is None:
                raise server_error("Parameter 'type' is required in this function.")
            if kind.lower() not in ("user", "group"):
                raise server_error(f"Invalid parameter 'type' {kind} received, it can only be 'user' or 'group'.")
            if not self.storage.is_admin(net, user):
                raise unauthorized("Authenticate user is not the admin of this network.")
            perms = self.storage.permissions(net["id"]) if kind.lower() == "user" else {}
            wanted = request.args.get("permission")
            if wanted:
                perms = {k: v for k, v in perms.items() if v == wanted.upper()}
            return json_response(perms)
        userid, groupid = request.args.get("userid"), request.args.get("groupid")
        if userid is None and groupid is None:
            raise server_error("Either userid or groupid parameter need to be set for this function.")
        if userid is not None and groupid is not None:
            raise server_error("userid and gorupid can't both be set for this function.")
        if groupid is not None:
            raise server_error("Groups are not implemented by this local NDEx server.")
        assert userid is not None
        grantee = self.storage.user_by_id(_check_uuid(userid))
        if request.method == "DELETE":
            if not self.storage.is_admin(net, user) and (user is None or user.id != _check_uuid(userid)):
                raise unauthorized("Unable to delete network permisison: user need to be admin of this network "
                                   "or grantee of this permission.")
            return json_response(self.storage.delete_permission(net["id"], _check_uuid(userid)))
        permission = (request.args.get("permission") or "").upper()
        if not permission:
            raise server_error("permission parameter is required in this function.")
        if permission not in PERMISSIONS:
            raise server_error("Uncaught exception java.lang.IllegalArgumentException: No enum constant "
                               f"org.ndexbio.model.object.Permissions.{permission}")
        if not self.storage.is_admin(net, user):
            raise unauthorized("Unable to update network permission: user is not an admin of this network.")
        if not net["is_valid"]:
            raise server_error(f"Network {net['id']} is not valid yet: it is still being loaded.")
        if grantee is None:
            raise not_found("User", userid)
        count = self.storage.set_permission(net["id"], grantee, permission)
        if count < 0:
            raise server_error(f"Privilege change failed. Network {net['id']} will not have an administrator if "
                               f"permission {permission} are granted to user {grantee.id}")
        return json_response(count)

    # -- search -------------------------------------------------------------------------------

    def do_search(self, request: Request) -> Response:
        user = self._user(request, required=False)
        try:
            start = int(request.args.get("start", "0"))
            size = int(request.args.get("size", "100"))
        except ValueError:
            raise bad_request("start and size must be integers.") from None
        query = self._json_body(request)
        if not isinstance(query, dict):
            raise bad_request("The search query must be a JSON object.")
        text = str(query.get("searchString") or "").strip()
        account = query.get("accountName")
        account = account.lower() if isinstance(account, str) else None
        permission = query.get("permission")
        if permission == "ADMIN":
            raise server_error("Permission can only be WRITE or READ in this function.")
        try:
            as_uuid: str | None = str(uuid.UUID(text)) if len(text) >= 32 else None
        except ValueError:
            as_uuid = None
        if as_uuid is not None:  # a UUID search answers that network alone (findNetworks)
            net = self.storage.network(as_uuid)
            hits = [self.storage.summary(net)] if net is not None and self.storage.can_read(net, user) else []
            return json_response({"numFound": len(hits), "start": 0, "networks": hits})
        terms = [] if text in ("", "*", "*:*") else text.lower().split()
        public: list[dict[str, Any]] = []
        private: list[dict[str, Any]] = []
        for net in self.storage.searchable():
            if account is not None and net["owner"].lower() != account:
                continue
            if terms and not _matches(net, terms):
                continue
            owns = user is not None and net["owner_id"] == user.id
            grant = self.storage.grant(net["id"], user.id) if user is not None else None
            if permission == "WRITE":
                visible = owns or grant == "WRITE"
            elif net["visibility"] == "PRIVATE":
                visible = owns or grant is not None
            else:
                visible = net["visibility"] == "PUBLIC" or owns
            if not visible:
                continue
            summary = self.storage.summary(net)
            summary["warnings"] = []
            (private if net["visibility"] == "PRIVATE" else public).append(summary)
        offset = start * size  # `start` is a page index: Solr's offset is start*size
        page = public[offset:offset + size]
        if user is not None:
            page += private[offset:offset + size]
        found = len(public) + (len(private) if user is not None else 0)
        return json_response({"numFound": found, "start": offset, "networks": page})

    def _json_body(self, request: Request) -> Any:
        data = request.get_data(cache=False)
        if len(data) > 16 << 20:
            raise bad_request("The JSON body is too large.")
        try:
            return json.loads(data or b"null")
        except ValueError as exc:
            raise bad_request(f"Malformed JSON body: {exc}") from None

    # -- the fault switch and counters (not NDEx) --------------------------------------------

    def do_admin_faults(self, request: Request) -> Response:
        from .faults import FaultSpecError, parse_rule

        if request.method == "POST":
            body = self._json_body(request)
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


def _matches(net: Any, terms: list[str]) -> bool:
    """Every term occurs in the name, description, owner or a property value (case-insensitive)."""
    text = " ".join(
        str(x or "") for x in (net["name"], net["description"], net["owner"], net["properties"])
    ).lower()
    return all(term.strip('"') in text for term in terms)
