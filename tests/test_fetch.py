"""Fetching from official addresses, against a real HTTP server on loopback: retries, resume, size
limits, content checks, and checksums pinned in the lock file. Nothing beyond loopback is contacted."""

from __future__ import annotations

import io
import ipaddress
import json
import socket
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.errors import FetchError
from assistant.fetch import SUFFIX, fetch_many, fetch_one, read_lock
from assistant.records import Source
from assistant.settings import FetchSettings

SETTINGS = FetchSettings(timeout=0.5, retries=2, backoff=0.01, max_mb=1)


def make_pdf(text: str) -> bytes:
    """A small valid one-page PDF, with a correct cross-reference table."""
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


def make_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document><w:body><w:p><w:r><w:t>Article 1</w:t></w:r></w:p></w:body></w:document>")
    return buf.getvalue()


PDF = make_pdf("Article 1. Use of terms " * 40)
PDF_V2 = make_pdf("Article 1. Use of terms, as revised " * 40)
HTML = b"<!DOCTYPE html><html><head><title>Draft convention</title></head><body><h1>Article 1</h1></body></html>"
ERROR_PAGE = b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body>You do not have access.</body></html>"
BIG = 2 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    state: dict  # set per server: request counts, Range headers seen

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

    def do_GET(self) -> None:
        path = self.path
        self.state["counts"][path] = n = self.state["counts"].get(path, 0) + 1
        self.state["ranges"].append((path, self.headers.get("Range")))
        try:
            self.route(path, n)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size limit): expected

    def route(self, path: str, n: int) -> None:
        if path == "/doc.pdf":
            self.send_ranged(PDF)
        elif path == "/slow.pdf":
            time.sleep(1.0)
            self.send(PDF)
        elif path == "/broken.pdf":
            self.send(b"<html><title>Internal Server Error</title></html>", "text/html", 500)
        elif path == "/flaky.pdf":
            if n <= 2:
                self.send(b"oops", "text/plain", 500)
            else:
                self.send(PDF)
        elif path == "/truncated.pdf":
            self.send(PDF[: len(PDF) // 2], length=len(PDF))  # promises more, then the connection closes
        elif path == "/error-page.pdf":
            self.send(ERROR_PAGE)
        elif path == "/not-a-pdf.pdf":
            self.send(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "application/pdf")
        elif path == "/no-eof.pdf":
            self.send(PDF[: len(PDF) - 40])  # complete per Content-Length, but the PDF's end is missing
        elif path == "/big.pdf":
            self.send(b"%PDF-1.4\n" + b"0" * BIG)
        elif path == "/big-unsized.pdf":
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.end_headers()  # HTTP/1.0 without Content-Length: the body runs to the close
            for _ in range(BIG // 65536):
                self.wfile.write(b"0" * 65536)
        elif path == "/changing.pdf":
            self.send(PDF if n == 1 else PDF_V2)
        elif path == "/page":
            self.send(HTML, "text/html; charset=utf-8")
        elif path == "/doc.docx":
            self.send(make_docx(), "application/octet-stream")
        elif path == "/served.pdf":
            self.send(self.state["served"])
        elif path == "/notes.txt":
            self.send("Article 1 — terms\n".encode(), "text/plain")
        else:
            self.send(b"<html><title>Not Found</title></html>", "text/html", 404)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
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
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if not loopback(host):
            raise RuntimeError(f"name lookup outside loopback attempted: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def server():
    state: dict = {"counts": {}, "ranges": []}
    handler = type("TestHandler", (Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def place(tmp_path):
    return tmp_path / "downloads", tmp_path / "sources.lock.json"


def src(address: str, id: str = "a-ac-291-l-15") -> Source:
    return Source(id=id, title="Draft convention", short="L.15", role="negotiating-text", format="treaty", address=address)


def fetch(source: Source, place, settings: FetchSettings = SETTINGS, **kw):
    folder, lock = place
    return fetch_one(source, folder, lock, settings, **kw)


def error_of(source: Source, place, settings: FetchSettings = SETTINGS, **kw) -> str:
    with pytest.raises(FetchError) as info:
        fetch(source, place, settings, **kw)
    message = info.value.message
    assert "\n" not in message and info.value.exit_code == 4
    return message


def test_the_test_pdf_is_well_formed():
    assert PDF.startswith(b"%PDF-1.4") and PDF.rstrip().endswith(b"%%EOF")
    xref = int(PDF.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert PDF[xref:].startswith(b"xref\n0 6\n")
    entries = PDF[xref:].split(b"\n")[3:8]
    for n, line in enumerate(entries, 1):  # each in-use entry points at its object
        off = int(line[:10])
        assert PDF[off:].startswith(b"%d 0 obj" % n)


def test_first_download_is_saved_and_pinned(server, place):
    seen = []
    r = fetch(src(server["url"] + "/doc.pdf"), place, progress=lambda *a: seen.append(a))
    assert (r.status, r.kind, r.bytes) == ("new", "pdf", len(PDF))
    assert r.path == place[0] / "a-ac-291-l-15" / "a-ac-291-l-15.pdf" and r.path.read_bytes() == PDF
    assert not (r.path.parent / "a-ac-291-l-15.part").exists()
    entry = json.loads(place[1].read_text())["a-ac-291-l-15"]
    assert entry["url"] == server["url"] + "/doc.pdf" and entry["sha256"] == r.sha256
    assert (entry["bytes"], entry["kind"]) == (len(PDF), "pdf") and entry["fetched_at"].endswith("+00:00")
    assert seen[-1] == ("a-ac-291-l-15", len(PDF), len(PDF))
    assert sorted(p.name for p in place[1].parent.iterdir()) == ["downloads", "sources.lock.json"], "no temp file left"


def test_same_bytes_again_is_unchanged_and_the_lock_stays(server, place):
    first = fetch(src(server["url"] + "/doc.pdf"), place)
    lock_before = place[1].read_text()
    again = fetch(src(server["url"] + "/doc.pdf"), place)
    assert (again.status, again.sha256) == ("unchanged", first.sha256)
    assert place[1].read_text() == lock_before and again.path.read_bytes() == PDF


def test_changed_official_copy_is_refused_then_accepted_on_request(server, place):
    source = src(server["url"] + "/changing.pdf")
    first = fetch(source, place)
    message = error_of(source, place)
    assert "the official copy of a-ac-291-l-15 changed since" in message and "--accept-changed" in message
    assert first.sha256[:12] in message
    assert first.path.read_bytes() == PDF, "the copy fetched first must stay"
    assert read_lock(place[1])["a-ac-291-l-15"]["sha256"] == first.sha256
    assert not (first.path.parent / "a-ac-291-l-15.part").exists()

    taken = fetch(source, place, accept_changed=True)
    assert taken.status == "changed-accepted" and taken.path.read_bytes() == PDF_V2
    assert read_lock(place[1])["a-ac-291-l-15"]["sha256"] == taken.sha256 != first.sha256


def test_server_errors_are_retried_then_succeed(server, place):
    r = fetch(src(server["url"] + "/flaky.pdf"), place)
    assert server["counts"]["/flaky.pdf"] == 3
    assert r.status == "new" and r.path.read_bytes() == PDF


def test_a_server_that_keeps_failing_is_given_up_after_the_retries(server, place):
    message = error_of(src(server["url"] + "/broken.pdf"), place)
    assert server["counts"]["/broken.pdf"] == SETTINGS.retries + 1
    assert "answered HTTP 500" in message and "(3 attempts)" in message and "treaty corpus add FILE --id" in message
    assert not place[1].exists()


def test_404_is_not_retried_and_says_what_to_do(server, place):
    url = server["url"] + "/gone.pdf"
    message = error_of(src(url), place)
    assert server["counts"]["/gone.pdf"] == 1
    assert message.startswith("the official address of a-ac-291-l-15 returned 404") and url in message
    assert "`treaty corpus add FILE --id a-ac-291-l-15`" in message


def test_a_slow_server_times_out_and_is_retried(server, place):
    t0 = time.monotonic()
    message = error_of(src(server["url"] + "/slow.pdf"), place, SETTINGS.model_copy(update={"retries": 1}))
    assert time.monotonic() - t0 < 3
    assert server["counts"]["/slow.pdf"] == 2
    assert "did not answer within 0.5 s" in message and "TREATY_FETCH__TIMEOUT" in message


def test_an_unused_loopback_port_cannot_be_reached(place):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed at once: nothing listens there
    message = error_of(src(f"http://127.0.0.1:{port}/doc.pdf", "x"), place)
    assert message.startswith("cannot reach 127.0.0.1 to fetch x: ")
    assert message.endswith("; check the connection, or add a local copy with `treaty corpus add FILE --id x`")


def test_a_name_that_does_not_resolve_cannot_be_reached(place):
    message = error_of(src("https://docs.example.invalid/A/AC.291/16", "x"), place)
    assert message.startswith("cannot reach docs.example.invalid to fetch x: Name or service not known")


def test_the_guard_refuses_addresses_beyond_loopback():
    with pytest.raises(RuntimeError, match="outside loopback"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_truncated_body_is_an_error_and_the_previous_copy_stays(server, place):
    good = fetch(src(server["url"] + "/doc.pdf"), place)
    message = error_of(src(server["url"] + "/truncated.pdf"), place)
    assert message.startswith("truncated download of a-ac-291-l-15") and f"of {len(PDF)} bytes" in message
    assert server["counts"]["/truncated.pdf"] == SETTINGS.retries + 1
    assert ("/truncated.pdf", f"bytes={len(PDF) // 2}-") in server["ranges"], "retries ask for the rest"
    assert good.path.read_bytes() == PDF
    assert (good.path.parent / "a-ac-291-l-15.part").read_bytes() == PDF[: len(PDF) // 2], "kept to resume later"
    assert read_lock(place[1])["a-ac-291-l-15"]["url"].endswith("/doc.pdf")


def test_html_error_page_served_as_pdf_is_rejected_and_the_previous_copy_stays(server, place):
    good = fetch(src(server["url"] + "/doc.pdf"), place)
    message = error_of(src(server["url"] + "/error-page.pdf"), place)
    assert "rejected the download of a-ac-291-l-15" in message and "'Access Denied'" in message
    assert "the previous copy is kept" in message
    assert good.path.read_bytes() == PDF and not list(good.path.parent.glob("*.part"))
    assert read_lock(place[1])["a-ac-291-l-15"]["sha256"] == good.sha256


@pytest.mark.parametrize(("route", "reason"), [
    ("/not-a-pdf.pdf", "the address promised a PDF but sent unrecognised bytes"),
    ("/no-eof.pdf", "the PDF is truncated (no %%EOF at its end)"),
])
def test_a_pdf_that_is_not_a_whole_pdf_is_rejected(server, place, route, reason):
    message = error_of(src(server["url"] + route), place)
    assert reason in message and "nothing was saved" in message
    assert not list((place[0] / "a-ac-291-l-15").iterdir()) and not place[1].exists()


@pytest.mark.parametrize(("route", "kind"), [("/page", "html"), ("/doc.docx", "docx"), ("/notes.txt", "text")])
def test_kind_comes_from_the_bytes(server, place, route, kind):
    r = fetch(src(server["url"] + route), place)
    assert r.kind == kind and r.path.name == f"a-ac-291-l-15{SUFFIX[kind]}"
    assert read_lock(place[1])["a-ac-291-l-15"]["kind"] == kind


def test_interrupted_download_resumes_with_a_range_request(server, place):
    folder = place[0] / "a-ac-291-l-15"
    folder.mkdir(parents=True)
    half = len(PDF) // 2
    (folder / "a-ac-291-l-15.part").write_bytes(PDF[:half])
    r = fetch(src(server["url"] + "/doc.pdf"), place)
    assert ("/doc.pdf", f"bytes={half}-") in server["ranges"]
    assert server["counts"]["/doc.pdf"] == 1
    assert r.status == "new" and r.path.read_bytes() == PDF and r.bytes == len(PDF)
    assert not (folder / "a-ac-291-l-15.part").exists()


def test_a_resumed_file_that_fails_the_check_is_fetched_again_from_zero(server, place):
    folder = place[0] / "x"
    folder.mkdir(parents=True)
    (folder / "x.part").write_bytes(b"<html>stale start of another file")  # continued, it is no PDF
    r = fetch(src(server["url"] + "/doc.pdf", "x"), place)
    assert [rng for _, rng in server["ranges"]] == ["bytes=33-", None]
    assert r.path.read_bytes() == PDF and r.status == "new"


def test_a_server_without_ranges_starts_over(server, place):
    folder = place[0] / "x"
    folder.mkdir(parents=True)
    (folder / "x.part").write_bytes(b"stale bytes of something else")
    r = fetch(src(server["url"] + "/changing.pdf", "x"), place)  # ignores Range: answers 200
    assert ("/changing.pdf", "bytes=29-") in server["ranges"]
    assert r.path.read_bytes() == PDF


def test_declared_size_over_the_limit_is_refused_before_downloading(server, place):
    seen = []
    message = error_of(src(server["url"] + "/big.pdf"), place, progress=lambda *a: seen.append(a))
    assert "over the 1 MB limit, and was not downloaded" in message and "TREATY_FETCH__MAX_MB" in message
    assert seen == [] and not list((place[0] / "a-ac-291-l-15").iterdir())


def test_streamed_body_over_the_limit_is_stopped_and_removed(server, place):
    good = fetch(src(server["url"] + "/doc.pdf"), place)
    message = error_of(src(server["url"] + "/big-unsized.pdf"), place)
    assert "passed the 1 MB limit and was stopped" in message
    assert server["counts"]["/big-unsized.pdf"] == 1
    assert good.path.read_bytes() == PDF and not list(good.path.parent.glob("*.part"))


def test_a_source_without_address_is_an_error(place):
    message = error_of(src(""), place)
    assert message == ("a-ac-291-l-15 has no official address in the registry; "
                       "add a local copy with `treaty corpus add FILE --id a-ac-291-l-15`")


def test_fetch_many_reports_each_failure_and_keeps_going(server, place):
    folder, lock = place
    sources = [src(server["url"] + "/gone.pdf", "gone"), src(server["url"] + "/doc.pdf", "doc"), src("", "nowhere")]
    done, failed = fetch_many(sources, folder, lock, SETTINGS)
    assert [r.id for r in done] == ["doc"] and done[0].path.read_bytes() == PDF
    assert [i for i, _ in failed] == ["gone", "nowhere"]
    assert "returned 404" in failed[0][1] and "no official address" in failed[1][1]
    assert set(read_lock(lock)) == {"doc"}


def test_the_fetch_command_downloads_indexes_and_answers_with_pages(server, own_index, tmp_path, shared_corpus, monkeypatch):
    """`treaty corpus fetch` end to end, in process: the registry's official address points to the
    loopback server, which serves a synthetic PDF of Budapest articles 14-21."""
    from dataclasses import replace

    from typer.testing import CliRunner

    import assistant.corpus
    from assistant.cli.main import app
    from assistant.sources import load_registry

    from . import makedocs_pdf as mk

    settings, cli = own_index
    record = mk.treaty_pdf(tmp_path, shared_corpus)
    server["served"] = record.path.read_bytes()
    registry = [replace(s, address=f"{server['url']}/served.pdf") if s.id == "a-ac-291-l-15" else s for s in load_registry()]
    monkeypatch.setattr(assistant.corpus, "load_registry", lambda: registry)
    flags = ["--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir)]
    runner = CliRunner()

    r = runner.invoke(app, [*flags, "corpus", "fetch", "a-ac-291-l-15"])
    assert r.exit_code == 0, r.output
    assert "a-ac-291-l-15: new" in r.output and "embedded: a-ac-291-l-15" in r.output
    lock = read_lock(settings.data_dir / "corpus" / "fetch-lock.json")
    assert lock["a-ac-291-l-15"]["url"].endswith("/served.pdf")
    r = runner.invoke(app, [*flags, "ask", "--json", "--doc", "a-ac-291-l-15", "What does Article 21 say about interception of content data?"])
    obj = json.loads(r.output)
    first = obj["citations"][0]
    assert first["doc_id"] == "a-ac-291-l-15" and first["article"] == "21" and first["page"] == record.articles["21"]

    r = runner.invoke(app, [*flags, "corpus", "fetch", "a-ac-291-l-15"])
    assert r.exit_code == 0 and "a-ac-291-l-15: unchanged" in r.output and "indexed" not in r.output
    server["served"] = mk.tiny_pdf("A synthetic page that replaced the official copy.")
    r = runner.invoke(app, [*flags, "corpus", "fetch", "a-ac-291-l-15"])
    assert r.exit_code == 4 and "changed since" in r.output and "--accept-changed" in r.output
    assert read_lock(settings.data_dir / "corpus" / "fetch-lock.json") == lock
