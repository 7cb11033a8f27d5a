"""What the handlers of the local NDEx server share: NDEx's error answers, JSON replies, UUIDs in
paths, the request's user and its JSON body.

Error bodies are NDEx's `{errorCode, message, description, threadId, timeStamp}` with nulls
omitted (ndex-rest's exception mappers; docs/ndex.md, "Local NDEx server").
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from .storage import User


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


def check_uuid(text: str) -> str:
    """`text` as a canonical UUID; a malformed one is ndex-rest's 500 (UUID.fromString)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        # UUID.fromString's IllegalArgumentException reaches DefaultExceptionMapper: a 500
        message = f"Uncaught exception java.lang.IllegalArgumentException: Invalid UUID string: {text}"
        raise server_error(message) from None


def current_user(request: Request, *, required: bool) -> User | None:
    """The user the app authenticated for this request (None: anonymous); `required` refuses an
    anonymous request as ndex-rest's filter does for routes that need a login."""
    user: User | None = request.environ.get("ferryman.user")
    if user is None and required:
        raise unauthorized("Attempted to access resource requiring authentication.", challenge=False)
    return user


def json_body(request: Request) -> Any:
    """The request body as JSON (at most 16 MB); anything else is a 400."""
    data = request.get_data(cache=False)
    if len(data) > 16 << 20:
        raise bad_request("The JSON body is too large.")
    try:
        return json.loads(data or b"null")
    except ValueError as exc:
        raise bad_request(f"Malformed JSON body: {exc}") from None
