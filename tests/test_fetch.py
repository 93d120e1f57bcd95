"""Fetching from official addresses, against a real https server on loopback (a throwaway test CA):
retries, resume, size limits, content checks, the registry's download addresses behind a viewer, and
checksums pinned in the lock file. Nothing beyond loopback is contacted. The strictness cases (https
through every redirect, the deadline, Content-Length) are in tests/test_robustness.py, section fetch."""

from __future__ import annotations

import io
import json
import socket
import time
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

from assistant.errors import FetchError
from assistant.library.fetch import SUFFIX, fetch_many, fetch_one, read_lock
from assistant.records import Source
from assistant.settings import FetchSettings

from .loopback import guard_loopback, make_pdf, serving

SETTINGS = FetchSettings(timeout=0.5, retries=2, backoff=0.01, max_mb=1, deadline=60)


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


def route(h, path: str, n: int) -> None:
    if path == "/doc.pdf":
        h.send_ranged(PDF)
    elif path == "/slow.pdf":
        time.sleep(1.0)
        h.send(PDF)
    elif path == "/broken.pdf":
        h.send(b"<html><title>Internal Server Error</title></html>", "text/html", 500)
    elif path == "/flaky.pdf":
        if n <= 2:
            h.send(b"oops", "text/plain", 500)
        else:
            h.send(PDF)
    elif path == "/truncated.pdf":
        h.send(PDF[: len(PDF) // 2], length=len(PDF))  # promises more, then the connection closes
    elif path == "/error-page.pdf":
        h.send(ERROR_PAGE)
    elif path == "/not-a-pdf.pdf":
        h.send(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "application/pdf")
    elif path == "/no-eof.pdf":
        h.send(PDF[: len(PDF) - 40])  # complete per Content-Length, but the PDF's end is missing
    elif path == "/big.pdf":
        h.send(b"%PDF-1.4\n" + b"0" * BIG)
    elif path == "/big-unsized.pdf":
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.end_headers()  # HTTP/1.0 without Content-Length: the body runs to the close
        for _ in range(BIG // 65536):
            h.wfile.write(b"0" * 65536)
    elif path == "/changing.pdf":
        h.send(PDF if n == 1 else PDF_V2)
    elif path == "/page":
        h.send(HTML, "text/html; charset=utf-8")
    elif path == "/doc.docx":
        h.send(make_docx(), "application/octet-stream")
    elif path == "/served.pdf":
        h.send(h.state["served"])
    elif path == "/notes.txt":
        h.send("Article 1 — terms\n".encode(), "text/plain")
    elif path.startswith("/redirect?to="):
        h.redirect(path.removeprefix("/redirect?to="))
    else:
        un_route(h, path)


# The United Nations' shape, replayed: a viewer at /en/<symbol> that answers the same app shell for any
# path, the Official Document System endpoint that redirects to the file, and the file. The symbol and
# the PDF are synthetic (tests/makedocs_pdf.py): no UN document has this symbol.
SYMBOL = "A/AC.999/185"
ENDPOINT = "/api/symbol/access?s=A%2FAC.999%2F185&l=en&t=pdf"
VIEWER = ("<!DOCTYPE html><html><head><title>Official Document System</title><script>window.viewer = {file: "
          f"'{ENDPOINT}'}};</script><script type=\"module\" src=\"/assets/index-synthetic.js\"></script></head><body>"
          "<div id=\"root\"></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>").encode()
LANDING = ("<!DOCTYPE html><html><head><title>Negotiating documents</title></head><body><main><h1>Fifth session</h1>"
           + "<p>The consolidated negotiating documents of the session are listed on this page, by topic and date.</p>" * 8
           + "</main></body></html>").encode()


def un_route(h, path: str) -> None:
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    if parts.path.startswith("/en/"):
        h.send(VIEWER, "text/html; charset=utf-8")
    elif parts.path == "/api/symbol/access" and query.get("s") == [SYMBOL] and query.get("t") == ["pdf"]:
        h.redirect("/doc/UNDOC/GEN/synthetic-a-ac-999-185.pdf")
    elif parts.path == "/doc/UNDOC/GEN/synthetic-a-ac-999-185.pdf":
        h.send(h.state["served"])
    elif parts.path == "/landing":
        h.send(LANDING, "text/html; charset=utf-8")
    else:
        h.send(b"<html><title>Not Found</title></html>", "text/html", 404)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    guard_loopback(monkeypatch)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "synthetic-test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def server(ca):
    with serving(route, ca) as state:
        yield state


class Place(NamedTuple):
    folder: Path
    lock: Path
    settings: FetchSettings  # trusts the test CA


@pytest.fixture
def place(tmp_path, ca_file):
    return Place(tmp_path / "downloads", tmp_path / "sources.lock.json", SETTINGS.model_copy(update={"ca_file": ca_file}))


def src(address: str, id: str = "a-ac-291-l-15") -> Source:
    return Source(id=id, title="Draft convention", short="L.15", role="negotiating-text", format="treaty", address=address)


def fetch(source: Source, place: Place, settings: FetchSettings | None = None, **kw):
    return fetch_one(source, place.folder, place.lock, settings or place.settings, **kw)


def error_of(source: Source, place: Place, settings: FetchSettings | None = None, **kw) -> str:
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
    assert message.startswith("the official address of a-ac-291-l-15 returned 404 (not found)") and url in message
    assert "`treaty corpus add FILE --id a-ac-291-l-15`" in message


def test_a_slow_server_times_out_and_is_retried(server, place):
    t0 = time.monotonic()
    message = error_of(src(server["url"] + "/slow.pdf"), place, place.settings.model_copy(update={"retries": 1}))
    assert time.monotonic() - t0 < 3
    assert server["counts"]["/slow.pdf"] == 2
    assert "did not answer within 0.5 s" in message and "TREATY_FETCH__TIMEOUT" in message


def test_an_unused_loopback_port_cannot_be_reached(place):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed at once: nothing listens there
    message = error_of(src(f"https://127.0.0.1:{port}/doc.pdf", "x"), place)
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
    folder, lock, settings = place
    sources = [src(server["url"] + "/gone.pdf", "gone"), src(server["url"] + "/doc.pdf", "doc"), src("", "nowhere")]
    done, failed = fetch_many(sources, folder, lock, settings)
    assert [r.id for r in done] == ["doc"] and done[0].path.read_bytes() == PDF
    assert [i for i, _ in failed] == ["gone", "nowhere"]
    assert "returned 404" in failed[0][1] and "no official address" in failed[1][1]
    assert set(read_lock(lock)) == {"doc"}


def test_the_fetch_command_downloads_indexes_and_answers_with_pages(server, own_index, tmp_path, shared_corpus, monkeypatch,
                                                                     ca_file):
    """`treaty corpus fetch` end to end, in process: the registry's official address points to the
    loopback server, which serves a synthetic PDF of Budapest articles 14-21."""
    from dataclasses import replace

    from typer.testing import CliRunner

    import assistant.library.documents
    from assistant.cli.main import app
    from assistant.library.catalogue import load_catalogue

    from . import makedocs_pdf as mk

    settings, cli = own_index
    record = mk.treaty_pdf(tmp_path, shared_corpus)
    server["served"] = record.path.read_bytes()
    registry = [replace(s, address=f"{server['url']}/served.pdf", download="") if s.id == "a-ac-291-l-15" else s
                for s in load_catalogue()]
    monkeypatch.setattr(assistant.library.documents, "load_catalogue", lambda: registry)
    monkeypatch.setenv("TREATY_FETCH__CA_FILE", str(ca_file))
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


def test_the_registry_cites_the_viewer_and_downloads_from_the_endpoint():
    from assistant.library.catalogue import load_catalogue

    registry = {s.id: s for s in load_catalogue()}
    cnd = registry["a-ac-291-19"]
    assert cnd.address == "https://docs.un.org/en/A/AC.291/19"
    assert cnd.download == "https://documents.un.org/api/symbol/access?s=A%2FAC.291%2F19&l=en&t=pdf"
    assert registry["a-hrc-29-32"].download == "https://documents.un.org/api/symbol/access?s=A%2FHRC%2F29%2F32&l=en&t=pdf"
    for s in registry.values():
        viewer = s.address.startswith(("https://docs.un.org/", "https://undocs.org/"))
        assert bool(s.download) == viewer, s.id
        assert s.address_status in ("seen", "pattern"), s.id
        assert s.address.startswith("https://"), s.id
        assert not s.download or s.download.startswith("https://documents.un.org/api/symbol/access?s="), s.id


def test_an_entry_that_names_its_download_address_keeps_it(tmp_path):
    from assistant.library.catalogue import load_catalogue

    toml = tmp_path / "sources.toml"
    toml.write_text('[[viewer]]\nprefix = "https://viewer.example/en/"\ndownload = "https://files.example/get?s={symbol}"\n'
                    '[[document]]\nid = "own"\ntitle = "t"\nshort = "t"\nrole = "instrument"\nformat = "treaty"\n'
                    'address = "https://viewer.example/en/X/1"\ndownload = "https://elsewhere.example/x-1.pdf"\n'
                    '[[document]]\nid = "derived"\ntitle = "t"\nshort = "t"\nrole = "instrument"\nformat = "treaty"\n'
                    'address = "https://viewer.example/en/X/RES/2"\n')
    own, derived = load_catalogue(toml)
    assert own.download == "https://elsewhere.example/x-1.pdf"
    assert derived.download == "https://files.example/get?s=X%2FRES%2F2" and derived.address.endswith("/X/RES/2")


def test_the_download_follows_the_endpoint_and_the_lock_records_it(server, place):
    server["served"] = PDF
    source = replace(src(f"{server['url']}/en/{SYMBOL}"), symbol=SYMBOL, download=server["url"] + ENDPOINT)
    r = fetch(source, place)
    assert r.kind == "pdf" and r.path.read_bytes() == PDF
    assert read_lock(place.lock)["a-ac-291-l-15"]["url"] == server["url"] + ENDPOINT
    assert not any(p.startswith("/en/") for p in server["counts"]), "the viewer is cited, never downloaded"


def test_a_symbol_the_endpoint_does_not_know_is_a_404_at_the_download_address(server, place):
    url = server["url"] + "/api/symbol/access?s=A%2FAC.999%2F999&l=en&t=pdf"
    message = error_of(replace(src(f"{server['url']}/en/A/AC.999/999"), download=url), place)
    assert message.startswith(f"the download address of a-ac-291-l-15 returned 404 (not found): {url}; check the entry")


def test_the_viewer_page_is_refused_as_an_app_shell(server, place):
    source = replace(src(f"{server['url']}/en/{SYMBOL}"), symbol=SYMBOL)
    message = error_of(source, place)
    assert message.startswith(f"rejected the download of a-ac-291-l-15 from {server['url']}/en/{SYMBOL}: 127.0.0.1 "
                              "sent an app shell")
    assert "a viewer that loads the document with JavaScript, not the document" in message and "nothing was saved" in message
    assert not place.lock.exists() and not list((place.folder / "a-ac-291-l-15").iterdir())


def test_a_landing_page_that_does_not_name_the_document_is_refused(server, place):
    message = error_of(replace(src(server["url"] + "/landing"), symbol=SYMBOL), place)
    assert (f"127.0.0.1 sent a page that does not mention {SYMBOL}, title 'Negotiating documents': a viewer or landing "
            "page, not the document") in message
    assert not place.lock.exists()


def test_a_page_that_names_the_document_is_taken(server, place):
    r = fetch(replace(src(server["url"] + "/page"), symbol="Article 1"), place)
    assert r.kind == "html" and r.status == "new"


@pytest.mark.parametrize(("text", "symbol", "named"), [
    ("Distr.: General. A/AC.291/19. Original: English", "A/AC.291/19", True),
    ("the draft (A / AC.291 / 19) says", "A/AC.291/19", True),
    ("see A/AC.291/19", "A/AC.291/1", False),  # a longer symbol is another document
    ("adopted by General Assembly resolution 34/180 of 18 December 1979", "A/RES/34/180", True),
    ("General Assembly resolution 2200A (XXI) of 16 December 1966", "A/RES/2200A(XXI)", True),
    ("resolution 34/1800", "A/RES/34/180", False),
    ("HRI/GEN/1/Rev.9 (Vol. I)", "HRI/GEN/1/Rev.9(Vol.I)", True),
    ("Official Document System", "A/AC.291/19", False),
])
def test_a_document_is_named_by_its_symbol_however_spaced(text, symbol, named):
    from assistant.library.fetch_check import mentions

    assert mentions(text, symbol) is named


def test_fetch_then_ask_through_the_viewer_and_the_endpoint_cites_the_page(server, own_index, tmp_path, shared_corpus,
                                                                           monkeypatch, ca_file):
    """The United Nations' shape, replayed on loopback with the registry as shipped: the UN hosts are moved
    to the loopback server, and a synthetic entry is added whose viewer address is cited; `treaty corpus
    fetch` follows the endpoint's redirect to a synthetic PDF that carries the entry's symbol, and `treaty
    ask` cites the fetched document with the page its article is on."""
    from typer.testing import CliRunner

    import assistant.library.documents
    from assistant.cli.main import app
    from assistant.locations import SOURCES_FILE
    from assistant.library.catalogue import load_catalogue

    from . import makedocs_pdf as mk

    settings, _ = own_index
    record = mk.treaty_pdf(tmp_path, shared_corpus)
    assert record.symbol == SYMBOL
    server["served"] = record.path.read_bytes()
    toml = tmp_path / "sources.toml"
    shipped = SOURCES_FILE.read_text(encoding="utf-8")
    for host in ("https://docs.un.org/", "https://documents.un.org/"):
        shipped = shipped.replace(host, server["url"] + "/")
    toml.write_text(shipped + f'\n[[document]]\nid = "synthetic-a-ac-999-185"\nsymbol = "{SYMBOL}"\n'
                    f'title = "Synthetic negotiating text"\nshort = "{SYMBOL}"\nrole = "negotiating-text"\n'
                    f'address = "{server["url"]}/en/{SYMBOL}"\naddress_status = "pattern"\nformat = "treaty"\n',
                    encoding="utf-8")
    monkeypatch.setattr(assistant.library.documents, "load_catalogue", lambda: load_catalogue(toml))
    monkeypatch.setenv("TREATY_FETCH__CA_FILE", str(ca_file))
    flags = ["--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir)]
    runner = CliRunner()

    r = runner.invoke(app, [*flags, "corpus", "fetch", "synthetic-a-ac-999-185"])
    assert r.exit_code == 0, r.output
    assert "synthetic-a-ac-999-185: new" in r.output and "embedded: synthetic-a-ac-999-185" in r.output
    assert server["counts"] == {ENDPOINT: 1, "/doc/UNDOC/GEN/synthetic-a-ac-999-185.pdf": 1}
    lock = read_lock(settings.data_dir / "corpus" / "fetch-lock.json")
    assert lock["synthetic-a-ac-999-185"]["url"] == server["url"] + ENDPOINT
    r = runner.invoke(app, [*flags, "corpus", "list", "--json"])
    row = next(x for x in json.loads(r.output) if x["id"] == "synthetic-a-ac-999-185")
    assert row["address"] == f"{server['url']}/en/{SYMBOL}" and row["status"] == "indexed"

    r = runner.invoke(app, [*flags, "ask", "--json", "--doc", "synthetic-a-ac-999-185",
                            "What does Article 21 say about interception of content data?"])
    first = json.loads(r.output)["citations"][0]
    assert first["doc_id"] == "synthetic-a-ac-999-185" and first["article"] == "21"
    assert first["page"] == record.articles["21"]


def test_a_certificate_file_that_cannot_be_read_is_one_line(place, tmp_path):
    missing = tmp_path / "no-such-ca.pem"
    message = error_of(src("https://127.0.0.1:9/doc.pdf"), place, place.settings.model_copy(update={"ca_file": missing}))
    assert message.startswith(f"cannot use {missing} as the certificate authorities to trust (")
    assert message.endswith("): fix or unset TREATY_FETCH__CA_FILE")
