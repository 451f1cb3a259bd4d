"""An HTTP reverse proxy on 127.0.0.1 that counts the response bytes it relays.

Put in front of the real S3 server, it measures what a client downloads (ranged reads
included) without trusting the client's own accounting. Presign URLs against the proxy's
address: the Host header is relayed as sent, so the signature still matches.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Traffic:
    """What went through the proxy."""

    bytes_sent: int = 0
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def counting_proxy(upstream: str) -> Iterator[tuple[str, Traffic]]:
    """(the proxy's base URL, its traffic counters) while the proxy runs."""
    target = urlsplit(upstream)
    traffic = Traffic()

    class Relay(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
            conn.putrequest("GET", self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            answer = conn.getresponse()
            body = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            conn.close()
            with traffic.lock:
                traffic.bytes_sent += len(body)
                traffic.requests.append(self.headers.get("Range", "whole"))

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", traffic
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
