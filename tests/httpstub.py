"""A GET-only HTTP server on 127.0.0.1 for tests whose peer is a plain web server (the tunnel's far
side, a GFF source, an old NDEx status page): each answer comes from a function of the request."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator

Answer = tuple[int, bytes, "str | None"]  # status, body, Content-Type (None: no such header)


@contextlib.contextmanager
def serve_get(answer: Callable[[http.server.BaseHTTPRequestHandler], Answer]) -> Iterator[int]:
    """Serve `answer(request)` for every GET, from threads, quietly; yields the port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, content_type = answer(self)
            self.send_response(status)
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
