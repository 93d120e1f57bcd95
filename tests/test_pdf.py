"""The PDF loader on real PDFs drawn from the shared corpus's texts (SYNTHETIC files, made by
tests/makedocs_pdf.py: the words are the corpus's, the layout and the treaty's UN-style symbol
"A/AC.999/185" are invented), and its one-line refusals of bad files."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import ingest
from assistant.corpus import registry
from assistant.errors import CorpusError
from assistant.ingest.clean import is_verbatim
from assistant.ingest.pdf import _join
from assistant.records import Document, Source
from assistant.query.refs import AliasMatcher
from assistant.settings import Limits, Settings
from assistant.sources import by_id

from . import makedocs_pdf as mk

_WS = re.compile(r"\s+")


def _words(text: str) -> str:
    return _WS.sub(" ", text).strip()


@pytest.fixture(scope="module")
def sources(shared_corpus):
    return by_id(registry(Settings(corpus_dir=shared_corpus, data_dir=Path("/nonexistent"))))


@pytest.fixture(scope="module")
def matcher(sources):
    return AliasMatcher.build(list(sources.values()))


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic-pdf")


def _beside_its_markdown(rec, src, markdown, matcher):
    """The synthetic PDF's record and loaded document, its passages, and the Markdown copy's passages."""
    doc = ingest.load(replace(src, path=str(rec.path)))
    md = ingest.load(replace(src, path=str(markdown)))
    return rec, doc, ingest.parse(doc, matcher), ingest.parse(md, matcher)


@pytest.fixture(scope="module")
def treaty(out_dir, shared_corpus, sources, matcher):
    return _beside_its_markdown(mk.treaty_pdf(out_dir, shared_corpus), sources["budapest"],
                                shared_corpus / "budapest-convention-2001.md", matcher)


@pytest.fixture(scope="module")
def submission(out_dir, shared_corpus, sources, matcher):
    return _beside_its_markdown(mk.submission_pdf(out_dir, shared_corpus), sources["dd-apc-ahc5"],
                                shared_corpus / "derechos-digitales-apc-ahc5-submission.md", matcher)


# --- a treaty ----------------------------------------------------------------------------------------

def test_treaty_running_header_and_page_numbers_are_gone(treaty):
    rec, doc, _, _ = treaty
    assert rec.pages >= 3 and len(doc.pages) == rec.pages and doc.pages[0] == 0
    assert rec.header not in doc.raw and "ETS 185" not in doc.raw
    assert not [ln for ln in doc.raw.split("\n") if ln.strip().isdigit()], "page numbers left in the text"
    assert doc.meta == {"symbol": mk.TREATY_SYMBOL, "title": rec.title}
    assert "# Convention on Cybercrime\n" in doc.raw
    assert "## TITLE 2\n\n#### EXPEDITED PRESERVATION OF STORED COMPUTER DATA" in doc.raw
    assert "### Article 15\n\n#### Conditions and safeguards\n\n1. Each Party" in doc.raw


def test_treaty_passages_are_the_articles_words_on_the_pages_drawn(treaty):
    rec, doc, pdf_passages, md_passages = treaty
    articles = {str(n) for n in range(14, 22)}
    got = {p.id: p for p in pdf_passages if p.article in articles}
    want = {p.id: p for p in md_passages if p.article in articles}
    assert sorted(got) == sorted(want)
    assert {p.article for p in got.values()} == articles
    for pid, p in got.items():
        assert p.text == want[pid].text, pid  # same words as the Markdown's (markup and spacing aside)
        assert is_verbatim(doc.raw, p.spans, p.text), pid
        assert (p.article, p.paragraph, p.kind) == (want[pid].article, want[pid].paragraph, want[pid].kind)
        assert p.heading_path[-1] == want[pid].heading_path[-1], pid
        if p.parts:  # a whole article: each numbered paragraph is cited with its own page
            assert [x.label for x in p.parts] == [x.label for x in want[pid].parts], pid
            for x in p.parts:
                assert x.page == rec.paragraphs[(p.article, x.label)][0], (pid, x.label)
            assert (p.page, p.page_end) == (rec.paragraphs[(p.article, p.parts[0].label)][0],
                                            rec.paragraphs[(p.article, p.parts[-1].label)][1]), pid
        else:
            assert (p.page, p.page_end) == rec.paragraphs[(p.article, p.paragraph)], pid
    labels = {x.label for p in got.values() if p.article == "19" for x in p.parts} | \
        {p.paragraph for p in got.values() if p.article == "19" and p.paragraph}
    assert labels == {"1", "2", "3", "4", "5"}
    assert got["budapest:art16"].heading_path[-2] == "Title 2: EXPEDITED PRESERVATION OF STORED COMPUTER DATA"
    assert got["budapest:art15"].parts[1].locator.startswith("Budapest Convention, art. 15(2), p. ")
    # A paragraph that runs over a page break is one passage, pages n to n+1.
    across = [p for p in got.values() if p.page != p.page_end]
    assert across and all(p.page_end == p.page + 1 for p in across)
    for art, page in rec.articles.items():
        assert doc.page_at(doc.raw.index(f"### Article {art}\n")) == page


# --- a submission with footnotes --------------------------------------------------------------------

def test_submission_markdown_shape(submission):
    rec, doc, _, _ = submission
    assert len(doc.pages) == rec.pages
    assert doc.meta == {"title": rec.title}  # the A/RES/77/211 cited in the body is not the file's symbol
    assert doc.raw.startswith(f"# {rec.title}\n\n## Contribution to the Ad Hoc Committee")
    assert "\n\n---\n\n<sup>1</sup> Open letter" in doc.raw
    assert "reality<sup>2</sup>." in doc.raw
    for start in doc.pages[1:]:
        assert doc.raw[start - 4:start] == "\n\n\n\n"  # body resumes three blank lines after the notes


def test_submission_paragraphs_sections_and_page_spans(submission):
    rec, doc, pdf_passages, md_passages = submission
    paras = [p for p in pdf_passages if p.kind == "paragraph"]
    md_paras = [p for p in md_passages if p.kind == "paragraph"][: len(rec.paragraphs)]
    assert len(paras) == len(rec.paragraphs)
    assert [p.text for p in paras] == [_words(r["text"]) for r in rec.paragraphs] == [p.text for p in md_paras]
    assert [p.id for p in paras] == [p.id for p in md_paras]
    assert [p.heading_path for p in paras] == [[r["section"]] for r in rec.paragraphs]
    assert {r["section"] for r in rec.paragraphs} == set(rec.headings)
    assert [(p.page, p.page_end) for p in paras] == [(r["first"], r["last"]) for r in rec.paragraphs]
    cut = [p for p in paras if p.page != p.page_end]
    assert cut, "the generator cuts a paragraph across pages"
    for p in cut:
        assert len(p.spans) == 2 and p.page_end == p.page + 1
        assert f"pp. {p.page}–{p.page_end}" in p.locator
    for p in paras:
        assert is_verbatim(doc.raw, p.spans, p.text), p.id


def test_submission_footnotes_numbers_pages_and_citing_paragraphs(submission):
    rec, doc, pdf_passages, md_passages = submission
    notes = {p.footnote: p for p in pdf_passages if p.kind == "footnote"}
    md_notes = {p.footnote: p for p in md_passages if p.kind == "footnote"}
    assert sorted(notes) == sorted(rec.notes) == list(range(1, len(rec.notes) + 1))
    paras = [p for p in pdf_passages if p.kind == "paragraph"]
    for n, note in notes.items():
        assert note.page == rec.notes[n]["page"], n
        assert note.text == _words(rec.notes[n]["text"]) == md_notes[n].text, n
        citing = next(i for i, r in enumerate(rec.paragraphs) if n in r["notes"])
        assert note.cited_by == paras[citing].id, n
        assert n in paras[citing].cites_footnotes
        assert is_verbatim(doc.raw, note.spans, note.text), n
    assert len({p.page for p in notes.values()}) > 1


# --- words at line ends -------------------------------------------------------------------------------

def test_line_joins_keep_the_words():
    assert _join(["legisla\u00ad", "tion of"]) == "legislation of"  # soft hyphen: a line-break hyphen
    assert _join(["co-", "operation"]) == "co-operation"  # the PDF's hyphen is kept, the word whole
    assert _join(["Articles 20 and", "21. Each Party"]) == "Articles 20 and 21. Each Party"  # not a paragraph
    assert _join(["in paragraph", "(b) of"]) == "in paragraph (b) of"
    assert _join(["the same", "paragraph"]) == "the same\nparagraph"
    assert _join(["see p. 3 -", "above"]) == "see p. 3 -\nabove"


def test_odds_and_ends(tmp_path, matcher):
    path = mk.odds_and_ends_pdf(tmp_path / "synthetic-odds-and-ends.pdf")
    loaded = ingest.load_path(path)
    assert loaded.text == (
        "### Article 3\n\n#### Use of terms\n\n"
        "1. The Parties shall take measures to foster co-operation between their competent authorities, as provided"
        " for in Articles 20 and 21. Each Party shall report on them.\n\n"
        "2. This paragraph is the second one.\n\n\n\n"
        "### Article 4\n\n#### Final clause\n\nThis article has no numbered paragraphs."
    )
    assert loaded.pages == [0, loaded.text.index("### Article 4")]
    src = Source(id="odds", title="Odds", short="Odds", role="comparator", format="treaty")
    doc = Document(source=src, path=str(path), raw=loaded.text, sha256=loaded.sha256, pages=loaded.pages)
    got = [(p.id, p.page) for p in ingest.parse(doc, matcher)]
    assert got == [("odds:art3", 1), ("odds:art4", 2)]


def test_owner_password_only_pdf_loads(tmp_path):
    path = tmp_path / "synthetic-permissions-only.pdf"
    path.write_bytes(mk.tiny_pdf("Readable words.", owner_password="owner"))
    assert ingest.load_path(path).text == "Readable words."


# --- bad input ----------------------------------------------------------------------------------------

def _bad(tmp_path: Path, name: str, data: bytes, max_mb: float = 20) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorpusError) as err:
        ingest.load_path(path, Limits(max_file_mb=max_mb))
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    return message


def test_encrypted_pdf(tmp_path):
    msg = _bad(tmp_path, "synthetic-encrypted.pdf", mk.tiny_pdf(owner_password="owner", user_password="secret"))
    assert "encrypted with a password" in msg and "unprotected copy" in msg


def test_image_only_pdf(tmp_path):
    msg = _bad(tmp_path, "synthetic-scanned.pdf", mk.image_only_pdf())
    assert "scanned PDF with no text layer: run OCR first (e.g. ocrmypdf) and add the result" in msg


@pytest.mark.parametrize("data,expected", [
    (b"PK\x03\x04 this is a zip file, not a PDF" * 10, "not a PDF"),
    (b"%PDF-1.7\n1 0 obj << /Nothing here >> endobj\ntrailer << >>\n%%EOF\n", "cannot read the PDF"),
])
def test_corrupt_pdf(tmp_path, data, expected):
    msg = _bad(tmp_path, "synthetic-corrupt.pdf", data)
    assert expected in msg and "again" in msg


def test_truncated_pdf(tmp_path):
    data = mk.tiny_pdf()
    assert "truncated" in _bad(tmp_path, "synthetic-truncated.pdf", data[: len(data) // 2])


def test_empty_and_oversized_pdf(tmp_path):
    assert "file is empty" in _bad(tmp_path, "synthetic-empty.pdf", b"")
    assert "over the 0.0001 MB limit" in _bad(tmp_path, "synthetic-big.pdf", mk.tiny_pdf(), max_mb=0.0001)


def test_query_path_does_not_import_the_pdf_library():
    code = "import sys, assistant.ingest; assert 'pdfplumber' not in sys.modules and 'pdfminer' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
