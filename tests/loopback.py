"""Loopback servers for the fetch tests: https with a throwaway certificate authority (trustme) made at
test time, plain http where a test needs a downgrade, and a guard that refuses any connection beyond
loopback. Nothing here contacts the network. The PDFs made here are synthetic."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme


def make_pdf(text: str) -> bytes:
    """A small valid one-page synthetic PDF, with a correct cross-reference table."""
    content = b"BT /F1 12 Tf 20 100 Td (" + text.encode() + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


Route = Callable[["Handler", str, int], None]  # (handler, path with query, how many times it was asked)


class Handler(BaseHTTPRequestHandler):
    """Counts requests and Range headers in `state`, and answers with `state["route"]`."""

    state: dict

    def log_message(self, *args) -> None:
        pass

    def send(self, body: bytes, ctype: str = "application/pdf", status: int = 200, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def send_ranged(self, body: bytes) -> None:
        rng = self.headers.get("Range")
        if not rng:
            return self.send(body)
        start = int(rng.removeprefix("bytes=").rstrip("-"))
        self.send_response(206)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        path = self.path
        self.state["counts"][path] = n = self.state["counts"].get(path, 0) + 1
        self.state["ranges"].append((path, self.headers.get("Range")))
        try:
            self.state["route"](self, path, n)
        except OSError:
            pass  # the client gave up (timeout, deadline, size limit, refused hop): expected


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that refuses the certificate ends the handshake: expected, not worth a traceback


@contextmanager
def serving(route: Route, ca: trustme.CA | None) -> Iterator[dict]:
    """A server on 127.0.0.1 answering with `route`: https with a certificate from `ca`, plain http
    when `ca` is None. Yields its state: request counts, Range headers seen, and its base `url`."""
    state: dict = {"counts": {}, "ranges": [], "route": route}
    httpd = _Server(("127.0.0.1", 0), type("TestHandler", (Handler,), {"state": state}))
    scheme = "http"
    if ca is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        # The handshake happens in each connection's own thread, so one slow client holds up no other.
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        scheme = "https"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state["url"] = f"{scheme}://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def guard_loopback(monkeypatch) -> None:
    """Any connection beyond loopback raises; names under .invalid fail as DNS would, without asking one."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def loopback(host) -> bool:
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return host == "localhost"

    def connect(self, address):
        if not loopback(address[0]):
            raise RuntimeError(f"network access outside loopback attempted: {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, bytes):  # as anyio asks, IDNA-encoded
            host = host.decode("ascii")
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if not loopback(host):
            raise RuntimeError(f"name lookup outside loopback attempted: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
