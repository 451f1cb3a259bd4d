"""A real webhook receiver on loopback for the API and handler tests."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mpr.adapters.webhook_notifier import verify


class Receiver:
    """A webhook endpoint on loopback that checks signatures under `secret` and fails its
    first `failures` requests; `requests` lists (status answered, event, signature valid),
    `headers` the request headers of each, `bodies` the bytes of each as received."""

    def __init__(self, secret: bytes, failures: int = 0, port: int = 0) -> None:
        self.failures = failures
        self.requests: list[tuple[int, dict[str, Any], bool]] = []
        self.headers: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                problem = verify(
                    secret,
                    self.headers["X-MPR-Timestamp"],
                    self.headers["X-MPR-Signature"],
                    body,
                    None,
                )
                status = (
                    401 if problem else 500 if len(receiver.requests) < receiver.failures else 204
                )
                receiver.headers.append(dict(self.headers.items()))
                receiver.bodies.append(body)
                receiver.requests.append((status, json.loads(body), problem is None))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/mpr"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class HangingReceiver:
    """A socket on loopback that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()
        for connection in self.connections:
            connection.close()
