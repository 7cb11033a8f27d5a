"""The network routes of the local NDEx server: create, read and update networks, their summary,
provenance, system properties and permissions, and network search.

Status codes, messages and orders of checks follow ndex-rest's NetworkServiceV2 and
SearchServiceV2 (docs/ndex.md, "Local NDEx server"); uploads are loaded in the background, as
ndex-rest's CXNetworkLoadingTask does. The app (app.py) routes requests here after it has
authenticated the user.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import IO, Any

from werkzeug.exceptions import HTTPException
from werkzeug.formparser import parse_form_data
from werkzeug.wrappers import Request, Response

from .answers import (
    bad_request,
    check_uuid,
    current_user,
    json_body,
    json_response,
    not_found,
    server_error,
    unauthorized,
)
from .storage import PERMISSIONS, Storage

CHUNK = 1 << 20
VISIBILITIES = ("PUBLIC", "PRIVATE", "UNLISTED")


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


class NetworkService:
    """The handlers of the network and search routes: `do_<endpoint>(request, **route args)`."""

    def __init__(self, storage: Storage, loader: Loader) -> None:
        self.storage = storage
        self.loader = loader

    def _network(self, network_id: str) -> Any:
        net = self.storage.network(check_uuid(network_id))
        if net is None:
            raise not_found("Network", network_id)
        return net

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
        except ValueError as exc:  # werkzeug's parser: no boundary, a body that is not multipart
            raise bad_request(f"Cannot read the multipart body: {exc}") from None
        finally:
            for path in paths:
                if path != kept and os.path.exists(path):
                    os.unlink(path)

    def do_create_network(self, request: Request) -> Response:
        user = current_user(request, required=True)
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
        user = current_user(request, required=False)
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
        user = current_user(request, required=True)
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
        user = current_user(request, required=False)
        net = self._network(networkid)
        if not self.storage.can_read(net, user):
            raise unauthorized(f"Unauthorized access to network {net['id']}")
        return json_response(self.storage.summary(net))

    def do_provenance(self, request: Request, networkid: str) -> Response:
        if request.method == "GET":
            user = current_user(request, required=False)
            net = self._network(networkid)
            if not self.storage.can_read(net, user):
                raise unauthorized(f"Network {net['id']} is not readable to this user.")
            return json_response(json.loads(net["provenance"]) if net["provenance"] else {})
        user = current_user(request, required=True)
        net = self._network(networkid)
        # setProvenance checks write permission first, then read-only, then validity
        if not self.storage.can_write(net, user):
            raise unauthorized("User doesn't have write permissions for this network.")
        if net["read_only"]:
            raise server_error("Can't update readonly network.")
        if not net["is_valid"]:
            raise server_error(f"Network {net['id']} is not valid yet: it is still being loaded.")
        entity = json_body(request)
        if not isinstance(entity, dict):
            raise bad_request("The provenance must be a JSON object (a ProvenanceEntity).")
        self.storage.set_flag(net["id"], "provenance", json.dumps(entity))
        return Response(status=204)

    def do_systemproperty(self, request: Request, networkid: str) -> Response:
        user = current_user(request, required=True)
        net = self._network(networkid)
        params = json_body(request)
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
        user = current_user(request, required=True)
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
        grantee = self.storage.user_by_id(check_uuid(userid))
        if request.method == "DELETE":
            if not self.storage.is_admin(net, user) and (user is None or user.id != check_uuid(userid)):
                raise unauthorized("Unable to delete network permisison: user need to be admin of this network "
                                   "or grantee of this permission.")
            return json_response(self.storage.delete_permission(net["id"], check_uuid(userid)))
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

    # -- search (SearchServiceV2) ------------------------------------------------------------

    def do_search(self, request: Request) -> Response:
        user = current_user(request, required=False)
        try:
            start = int(request.args.get("start", "0"))
            size = int(request.args.get("size", "100"))
        except ValueError:
            raise bad_request("start and size must be integers.") from None
        query = json_body(request)
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


def _matches(net: Any, terms: list[str]) -> bool:
    """Every term occurs in the name, description, owner or a property value (case-insensitive)."""
    text = " ".join(
        str(x or "") for x in (net["name"], net["description"], net["owner"], net["properties"])
    ).lower()
    return all(term.strip('"') in text for term in terms)
