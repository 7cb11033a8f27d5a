"""A streaming NDEx v2 client over one shared `requests.Session`.

Server facts (ndex-rest, docs/ndex.md): HTTP Basic auth; `POST /network` takes a multipart part
`CXNetworkStream` (filename `filename`, `application/octet-stream`) and answers 201 with a
`Location` header and the new network's URL as body; loading is asynchronous (`isValid` turns true
once inspected, `errorMessage` when the CX was bad); `PUT /network/{id}` takes the same body (204);
search pages by `start` = page index.

Guarantees:
* Credentials travel only in the Authorization header (`auth=` per request, so one session can serve
  the source and target accounts). A route with `user:password@` is refused; error texts are
  redacted of the password and the header value.
* Every request has a (connect, read) timeout. Retries belong to the session's adapter (urllib3
  Retry, GET/PUT only — see `ferryman.runtime.services.http_session`); uploads are rewindable so
  a retried PUT resends the whole body. A POST is never retried: a create whose outcome is
  unknown raises `CreateOutcomeUnknown` and the caller looks for the copy before trying again
  (copy.py).
* Memory is bounded whatever the network size: downloads are streamed into a spooled temporary file
  (in memory up to `SPOOL_MAX` bytes, then on disk), uploads are streamed from it by
  requests-toolbelt's MultipartEncoder.
"""

from __future__ import annotations

import base64
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from requests_toolbelt import MultipartEncoder  # type: ignore[import-untyped]

from ferryman.compiler.secrets import mask_url_userinfo, redact
from ferryman.errors import FerrymanError

SPOOL_MAX = 8 * 1024 * 1024  # bytes of a download kept in memory before it spills to disk
CHUNK = 1024 * 1024  # read size for streaming, bytes
DEFAULT_TIMEOUT = (10.0, 120.0)  # (connect, read) seconds
PAGE_SIZE = 100  # search page size


class NdexError(FerrymanError):
    """A request failed. `status` is the HTTP status (None for a transport failure). The message
    names the method and URL path, the server's message, never a credential."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class CreateOutcomeUnknown(NdexError):
    """`POST /network` may or may not have created a network (connection lost after the body was
    sent, a read timeout, or a 5xx). Never repeat it blindly."""


class LoadFailed(NdexError):
    """The server inspected an uploaded network and set `errorMessage` (bad CX)."""


class LoadTimeout(NdexError):
    """The server did not finish inspecting an uploaded network within the time limit."""


def checked_route(route: str) -> str:
    """`route` without a trailing slash. Raises NdexError for a route with `user:password@`, a query,
    a scheme other than http(s), or a path not ending in `/v2` (the v1 API is not supported)."""
    parts = urlsplit(route)
    shown = mask_url_userinfo(route.split("?", 1)[0])
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise NdexError(
            f"route {shown!r} carries credentials",
            hint="give username and password as the plan's fields, never in the route",
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NdexError(f"route {shown!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise NdexError(f"route {shown!r} has a query or fragment")
    if not parts.path.rstrip("/").endswith("/v2"):
        raise NdexError(f"route {shown!r} does not end in /v2", hint="only the NDEx v2 API is supported")
    return route.rstrip("/")


class _RewindableMultipart:
    """A MultipartEncoder over a seekable file that can start again from byte 0, so urllib3 and
    requests can resend it on a retried PUT (they call tell() before and seek() to retry).

    The encoder is read CHUNK bytes at a time and callers are served from that buffer: urllib3
    asks for 16 KiB per read, and each encoder read costs a few stat calls on the file
    (measured by benchmarks/ndex_bench.py: about 40% of an upload's CPU time at 16 KiB reads)."""

    def __init__(self, body: IO[bytes]) -> None:
        self._body = body
        self._encoder = self._new()
        self.content_type: str = self._encoder.content_type
        self.len: int = self._encoder.len
        self._pos = 0
        self._buffer = memoryview(b"")

    def _new(self) -> Any:
        self._body.seek(0)
        boundary = getattr(self, "_boundary", None) or uuid.uuid4().hex
        self._boundary = boundary
        return MultipartEncoder(
            fields={"CXNetworkStream": ("filename", self._body, "application/octet-stream")}, boundary=boundary
        )

    def read(self, size: int = -1) -> bytes:
        # at most CHUNK bytes per call, even for read(-1): senders loop until b"", memory stays bounded
        want = size if size and 0 < size <= CHUNK else CHUNK
        if not self._buffer:
            self._buffer = memoryview(self._encoder.read(CHUNK))
        data = bytes(self._buffer[:want])
        self._buffer = self._buffer[len(data):]
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if (offset, whence) == (0, 2):
            return self.len  # requests measures length this way; position unchanged
        if offset != 0 or whence != 0:
            raise OSError("a multipart body can only be rewound to its start")
        self._encoder = self._new()
        self._buffer = memoryview(b"")
        self._pos = 0
        return 0


class NdexClient:
    """One account on one NDEx v2 server. Thread-safe: the session pools connections per host.

    `route`: e.g. `https://www.ndexbio.org/v2` (checked by `checked_route`). `timeout`: (connect,
    read) seconds for every request. `stop`: when set, waits and polls end early with NdexError.
    """

    def __init__(
        self,
        session: requests.Session,
        route: str,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        stop: threading.Event | None = None,
    ) -> None:
        self.route = checked_route(route)
        self.username = username or None
        self._auth = (username, password or "") if username else None
        self._secrets = [password or ""]
        if username:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            self._secrets += [token, f"{username}:{password}"]
        self._session = session
        self.timeout = timeout
        self.stop = stop or threading.Event()

    # -- plumbing ---------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.route + path

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        try:
            response = self._session.request(method, self._url(path), auth=self._auth, headers=headers, **kwargs)
        except requests.RequestException as e:
            raise NdexError(self._redact(f"{method} {self._url(path)}: {_transport(e)}")) from None
        if response.status_code >= 400:
            raise self._http_error(method, path, response)
        return response

    def _http_error(self, method: str, path: str, response: requests.Response) -> NdexError:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = ""
        if isinstance(body, Mapping):
            message = str(body.get("message") or body.get("description") or body.get("errorCode") or "")
        elif response.text:
            message = " ".join(response.text.split())[:200]
        text = f"{method} {self._url(path)}: HTTP {response.status_code}" + (f": {message}" if message else "")
        hint = "check the plan's username and password" if response.status_code == 401 else None
        return NdexError(self._redact(text), status=response.status_code, hint=hint)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise NdexError(f"{method} {self._url(path)}: the answer is not JSON") from None

    # -- reads --------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """`GET /admin/status`: `{networkCount, userCount, properties {ServerVersion, …}}`. Raises
        NdexError when the server is not NDEx 2.x."""
        body = self._json("GET", "/admin/status")
        version = str((body or {}).get("properties", {}).get("ServerVersion", "")) if isinstance(body, dict) else ""
        if not version.startswith("2."):
            raise NdexError(f"{self.route}: server version {version or 'unknown'!r} is not NDEx 2.x")
        return dict(body)

    def summary(self, network_id: str) -> dict[str, Any]:
        """`GET /network/{id}/summary` (NetworkSummary dict)."""
        return dict(self._json("GET", f"/network/{_uuid(network_id)}/summary"))

    def provenance(self, network_id: str) -> dict[str, Any]:
        """`GET /network/{id}/provenance` (ProvenanceEntity dict; `{}` when the network has none)."""
        body = self._json("GET", f"/network/{_uuid(network_id)}/provenance")
        return dict(body) if isinstance(body, Mapping) else {}

    def search(
        self, query: str, *, account: str | None = None, start: int = 0, size: int = PAGE_SIZE
    ) -> dict[str, Any]:
        """One page of `POST /search/network?start=P&size=S` (`start` is a page index): `{numFound,
        start, networks}`. A logged-in user may get up to `size` public plus `size` private hits."""
        body: dict[str, Any] = {"searchString": query}
        if account:
            body["accountName"] = account
        params = {"start": str(start), "size": str(size)}
        # search is read-only: the session's adapter never retries a POST, so one retry is done here
        # for a transport failure that happened before any answer
        for attempt in (1, 2):
            try:
                result = self._json("POST", "/search/network", params=params, json=body)
                break
            except NdexError as e:
                if e.status is not None or attempt == 2:
                    raise
        return dict(result or {})

    def search_all(self, query: str, *, account: str | None = None, limit: int | None = None,
                   size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Every hit of `query` (up to `limit`), page by page, each network once, in server order."""
        seen: dict[str, dict[str, Any]] = {}
        page = 0
        while limit is None or len(seen) < limit:
            result = self.search(query, account=account, start=page, size=size)
            hits = [n for n in result.get("networks") or [] if isinstance(n, dict) and n.get("externalId")]
            new = [n for n in hits if n["externalId"] not in seen]
            for n in new:
                seen[n["externalId"]] = n
            if not new or len(hits) < size:
                break
            page += 1
        found = list(seen.values())
        return found[:limit] if limit is not None else found

    def download(self, network_id: str, *, attempts: int = 3) -> IO[bytes]:
        """The network's CX, streamed into a spooled temporary file positioned at 0 (caller closes it).

        A connection lost mid-body is retried from the start (GET is idempotent) up to `attempts`
        times; a body shorter than its Content-Length is a failure, never a copy."""
        path = f"/network/{_uuid(network_id)}"
        last: NdexError | None = None
        for _ in range(attempts):
            spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # noqa: SIM115 (returned)
            try:
                with self._request("GET", path, stream=True) as response:
                    expected = response.headers.get("Content-Length")
                    got = 0
                    for chunk in _body_chunks(response, self._url(path)):
                        if self.stop.is_set():
                            raise NdexError(f"GET {self._url(path)}: stopped")
                        spool.write(chunk)
                        got += len(chunk)
                    if expected is not None and expected.isdigit() and int(expected) != got:
                        raise NdexError(f"GET {self._url(path)}: got {got} of {expected} bytes")
                spool.seek(0)
                return spool
            except NdexError as e:
                spool.close()
                if (e.status is not None and e.status < 500) or self.stop.is_set():
                    raise
                last = e
        assert last is not None
        raise last

    # -- writes -------------------------------------------------------------------------------------

    def create(self, cx: IO[bytes]) -> str:
        """`POST /network` with the CX (a seekable binary file) streamed as part `CXNetworkStream`.
        Returns the new network's UUID (from `Location`, else the body).

        Raises CreateOutcomeUnknown when the server may have created it anyway (transport failure
        after connecting, read timeout, 5xx), NdexError when it certainly did not."""
        body = _RewindableMultipart(cx)
        url = self._url("/network")
        try:
            response = self._session.post(
                url, data=body, auth=self._auth, timeout=self.timeout,
                headers={"Content-Type": body.content_type, "Accept": "application/json"},
            )
        except (requests.ConnectTimeout, requests.exceptions.ProxyError, requests.exceptions.SSLError) as e:
            raise NdexError(self._redact(f"POST {url}: {_transport(e)}")) from None
        except requests.RequestException as e:
            if _never_connected(e):
                raise NdexError(self._redact(f"POST {url}: {_transport(e)}")) from None
            raise CreateOutcomeUnknown(self._redact(f"POST {url}: {_transport(e)}")) from None
        if response.status_code >= 500:
            err = self._http_error("POST", "/network", response)
            raise CreateOutcomeUnknown(str(err.message), status=response.status_code)
        if response.status_code >= 400:
            raise self._http_error("POST", "/network", response)
        location = response.headers.get("Location") or response.text.strip().strip('"')
        network_id = location.rstrip("/").rsplit("/", 1)[-1]
        try:
            return str(uuid.UUID(network_id))
        except ValueError:
            raise CreateOutcomeUnknown(f"POST {url}: HTTP {response.status_code} without a network URL") from None

    def update(self, network_id: str, cx: IO[bytes]) -> None:
        """`PUT /network/{id}` with the CX streamed; the UUID is kept. A read-only network is refused
        by the server (500 "Can't update readonly network.")."""
        body = _RewindableMultipart(cx)
        self._request("PUT", f"/network/{_uuid(network_id)}", data=body, headers={"Content-Type": body.content_type})

    def set_provenance(self, network_id: str, provenance: Mapping[str, Any]) -> None:
        """`PUT /network/{id}/provenance` (needs write permission; refused on a read-only network)."""
        self._request("PUT", f"/network/{_uuid(network_id)}/provenance", json=dict(provenance))

    def set_read_only(self, network_id: str, read_only: bool) -> None:
        """`PUT /network/{id}/systemproperty` `{"readOnly": bool}` (owner only, else 401)."""
        self._request("PUT", f"/network/{_uuid(network_id)}/systemproperty", json={"readOnly": read_only})

    def wait_valid(self, network_id: str, *, limit_s: float = 600.0, poll_s: float = 0.5,
                   clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
        """Poll the summary until the server has inspected the network (`isValid` true). Returns
        that summary. Raises LoadFailed with the server's errorMessage, LoadTimeout after `limit_s`
        seconds, NdexError when stopped. Polls back off from `poll_s` to 5 s."""
        deadline = clock() + limit_s
        delay = poll_s
        while True:
            summary = self.summary(network_id)
            if summary.get("errorMessage"):
                raise LoadFailed(self._redact(f"network {network_id} failed to load on {self.route}: "
                                              f"{summary['errorMessage']}"))
            if summary.get("isValid") is True:
                return summary
            if clock() >= deadline:
                raise LoadTimeout(f"network {network_id} on {self.route} was not loaded within {limit_s:g} s")
            if self.stop.wait(min(delay, max(0.0, deadline - clock()))):
                raise NdexError(f"stopped while waiting for network {network_id} to load")
            delay = min(delay * 1.5, 5.0)


def _uuid(network_id: str) -> str:
    try:
        return str(uuid.UUID(str(network_id)))
    except ValueError:
        raise NdexError(f"{network_id!r} is not a network UUID") from None


def _body_chunks(response: requests.Response, url: str) -> Iterator[bytes]:
    try:
        yield from response.iter_content(CHUNK)
    except requests.RequestException as e:
        raise NdexError(f"GET {url}: connection lost mid-download ({_transport(e)})") from None


def _causes(e: BaseException) -> Iterator[BaseException]:
    """`e` and what it wraps: requests and urllib3 nest errors in `.reason`, `.args[0]`, `__cause__`."""
    seen: set[int] = set()
    stack: list[BaseException] = [e]
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        reason = getattr(cur, "reason", None)
        nested = [reason, cur.args[0] if cur.args else None, cur.__cause__, cur.__context__]
        stack.extend(x for x in nested if isinstance(x, BaseException))


def _never_connected(e: BaseException) -> bool:
    """The request certainly never reached the server (no TCP connection was made)."""
    import urllib3.exceptions as u3

    return any(isinstance(c, (u3.NewConnectionError, u3.ConnectTimeoutError, ConnectionRefusedError))
               for c in _causes(e))


def _transport(e: BaseException) -> str:
    """A short transport failure text: "timed out (read)", "connection failed (…)". No URL is
    quoted (requests' texts repeat the URL; ours is in the message already)."""
    import urllib3.exceptions as u3

    causes = list(_causes(e))
    if any(isinstance(c, (u3.ConnectTimeoutError, requests.ConnectTimeout)) for c in causes):
        return "timed out (connect)"
    if any(isinstance(c, (u3.ReadTimeoutError, requests.ReadTimeout, TimeoutError)) for c in causes):
        return "timed out (read)"
    root = causes[-1] if causes else e
    for c in causes:
        if isinstance(c, (OSError, u3.ProtocolError)) and not isinstance(c, u3.MaxRetryError):
            root = c
    detail = " ".join(mask_url_userinfo(str(root)).split())
    if "HTTPConnectionPool" in detail or "HTTPSConnectionPool" in detail:
        detail = type(root).__name__
    kind = "connection failed" if isinstance(e, requests.ConnectionError) else type(e).__name__
    return f"{kind} ({detail[:160]})" if detail else kind
