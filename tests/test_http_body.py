"""A reply body arrives whole however the server sends it: with a Content-Length (read
into one buffer of that size), chunked, or gzipped. A real loopback server, since respx
hands httpx bodies already read."""

from __future__ import annotations

import gzip
import http.server
import os
import threading
from collections.abc import Iterator

import anyio
import pytest

from pittgoogle_cli._exceptions import TransportError
from pittgoogle_cli.google.buffers import BodyBuffers
from pittgoogle_cli.google.http import RestClient
from pittgoogle_cli.google.retry import RetryPolicy

BODY = os.urandom(3_000_000)  # several reads of the socket
SMALL = BODY[:1_500_000]  # a shorter reply after a longer one, into its buffer


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        if self.path == "/small":
            self.send_header("content-length", str(len(SMALL)))
            self.end_headers()
            self.wfile.write(SMALL)
        elif self.path == "/length":
            self.send_header("content-length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path == "/chunked":
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for start in range(0, len(BODY), 100_000):
                part = BODY[start : start + 100_000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/gzip":
            packed = gzip.compress(BODY)
            self.send_header("content-encoding", "gzip")
            self.send_header("content-length", str(len(packed)))
            self.end_headers()
            self.wfile.write(packed)
        elif self.path == "/short":  # announces more than it sends, then hangs up
            self.send_header("content-length", str(len(BODY) + 10))
            self.end_headers()
            self.wfile.write(BODY)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def get(base: str, path: str) -> bytes:
    async def main() -> bytes:
        client = RestClient(base, retry=RetryPolicy(attempts=1))
        try:
            return bytes(await client.call("GET", path))
        finally:
            await client.aclose()

    return anyio.run(main)


@pytest.mark.parametrize("path", ["length", "chunked", "gzip"])
def test_the_body_arrives_whole(server: str, path: str) -> None:
    assert get(server, path) == BODY


def test_a_body_shorter_than_announced_is_a_transport_error(server: str) -> None:
    with pytest.raises(TransportError):
        get(server, "short")


def test_bodies_read_into_kept_buffers_arrive_whole_longer_or_shorter(server: str) -> None:
    """A pull reply is read into the buffer of an earlier one: its old bytes never show
    through a shorter body, and a longer or compressed one grows it."""
    order = ["small", "length", "small", "gzip", "chunked", "small", "length"]

    async def main() -> list[bytes]:
        client = RestClient(server, retry=RetryPolicy(attempts=1))
        buffers, bodies = BodyBuffers(keep=1), []
        try:
            for path in order:
                body = await client.call("GET", path, buffers=buffers)
                bodies.append(bytes(body))
                buffers.give(body)
        finally:
            await client.aclose()
        return bodies

    expected = {"small": SMALL, "length": BODY, "gzip": BODY, "chunked": BODY}
    assert anyio.run(main) == [expected[path] for path in order]
