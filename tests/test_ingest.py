"""Structure parsing on the real shared corpus and on small synthetic documents."""

from __future__ import annotations

import codecs
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import ingest
from assistant.errors import CorpusError
from assistant.ingest.clean import is_verbatim
from assistant.pipeline import registry
from assistant.query.refs import AliasMatcher
from assistant.settings import Limits, Settings
from assistant.sources import by_id

from .conftest import DATA


@pytest.fixture(scope="module")
def sources(shared_corpus):
    return registry(Settings(corpus_dir=shared_corpus, data_dir=Path("/nonexistent")))


@pytest.fixture(scope="module")
def parsed(sources):
    matcher = AliasMatcher.build(sources)
    out = {}
    for s in sources:
        if s.path:
            doc = ingest.load(s)
            out[s.id] = (doc, ingest.parse(doc, matcher))
    return out


def _one(passages, pid):
    return next(p for p in passages if p.id == pid)


def test_crime_control_treaties_are_comparators_not_human_rights_instruments(sources):
    # an answer groups "what the human-rights instruments require" by this role: UNCAC's articles
    # on mutual legal assistance must not be presented as human-rights law
    roles = {s.id: s.role for s in sources}
    assert {roles[d] for d in ("uncac", "untoc", "budapest")} == {"comparator"}
    assert {roles[d] for d in ("iccpr", "echr", "udhr", "cedaw")} == {"instrument"}


def test_every_passage_is_the_source_words(parsed):
    for doc, passages in parsed.values():
        ids = [p.id for p in passages]
        assert len(ids) == len(set(ids)), f"duplicate ids in {doc.source.id}"
        for p in passages:
            assert p.text, p.id
            assert is_verbatim(doc.raw, p.spans, p.text), p.id


def test_budapest_articles_paragraphs_and_cross_references(parsed):
    _, passages = parsed["budapest"]
    # a short article is one passage; its numbered paragraphs are parts a citation can pinpoint
    p = _one(passages, "budapest:art15")
    assert p.locator == "Budapest Convention, art. 15" and p.kind == "article"
    assert [x.label for x in p.parts] == ["1", "2", "3"]
    second = p.parts[1]
    assert second.locator == "Budapest Convention, art. 15(2)"
    assert p.text[second.start:second.end].startswith("2.") and "judicial or other independent supervision" in p.text[second.start:second.end]
    assert p.part_of("judicial or other independent supervision") is second
    assert p.heading_path[-1] == "Article 15 – Conditions and safeguards"
    assert any("Section 2" in h or "Section 1" in h for h in p.heading_path[:-1])
    assert _one(passages, "budapest:art21").refs == ["14", "15"]
    assert any(p.kind == "preamble" for p in passages)
    # a long article is cut into its numbered paragraphs
    assert _one(passages, "budapest:art29.7").locator == "Budapest Convention, art. 29(7)"


def test_treaty_lettered_subparagraphs_and_long_articles(parsed):
    _, untoc = parsed["untoc"]
    defs = [p for p in untoc if p.article == "2"]
    assert len(defs) > 3 and all(p.kind == "subparagraph" for p in defs)
    assert defs[0].text.startswith("For the purposes of this Convention:")  # lead-in kept with item (a)
    _, iccpr = parsed["iccpr"]
    assert [x.label for p in iccpr if p.article == "17" for x in p.parts] == ["1", "2"]


def test_submission_pages_footnotes_and_stitching(parsed):
    doc, passages = parsed["dd-apc-ahc5"]
    notes = [p for p in passages if p.kind == "footnote"]
    assert [p.footnote for p in notes] == list(range(1, 31))
    first = _one(passages, "dd-apc-ahc5:introduction.3")
    # cut by the first page of footnotes, stitched back: two spans, pages 1-2
    assert len(first.spans) == 2 and (first.page, first.page_end) == (1, 2)
    assert "silence dissent and women that want to speak up, to threaten freedom of expression" in first.text
    assert first.cites_footnotes == [1, 2]
    assert _one(passages, "dd-apc-ahc5:fn1").cited_by == first.id
    # a footnote's continuation blocks belong to it
    assert "Joint Submission to the 4th Session" in _one(passages, "dd-apc-ahc5:fn1").text
    art73 = next(p for p in passages if "a-ac-291-19:73" in p.mentions)
    assert art73.locator == "Derechos Digitales & APC submission, 'Multiple investigatory powers', p. 9"
    uncac = next(p for p in passages if "uncac:13" in p.mentions)
    assert "uncac:63" in uncac.mentions and not any(m.startswith("a-ac-291-19:13") for m in uncac.mentions)
    assert any("a-ac-291-16:42" in p.mentions for p in passages)  # art. 42 is A/AC.291/16's numbering
    pages = [p.page for p in passages if p.kind == "paragraph"]
    assert pages == sorted(pages) and pages[-1] >= 10


def _synthetic(sources, name, fmt):
    src = replace(by_id(sources)["dd-apc-ahc5" if fmt == "submission" else "budapest"], path=str(DATA / name))
    doc = ingest.load(src)
    return doc, ingest.parse(doc, AliasMatcher.build(sources))


def test_synthetic_treaty(sources):
    doc, passages = _synthetic(sources, "synthetic-treaty.md", "treaty")
    ids = [p.id for p in passages]
    assert ids[0].endswith("preamble.1")
    assert [x.label for x in _one(passages, "budapest:art2").parts] == ["1", "2"]
    assert _one(passages, "budapest:art2").refs == ["1", "3"]
    items = [p for p in passages if p.article == "3"]
    assert len(items) == 1 and items[0].kind == "article"  # short articles stay whole
    assert "(ii) a panel named for the test" in items[0].text
    assert all(is_verbatim(doc.raw, p.spans, p.text) for p in passages)


def test_synthetic_submission(sources):
    doc, passages = _synthetic(sources, "synthetic-submission.md", "submission")
    body = [p for p in passages if p.kind == "paragraph"]
    assert len(body) == 2
    assert body[0].text.endswith("stops in the middle of a sentence that continues on the next page.")
    assert (body[0].page, body[0].page_end) == (1, 2)
    assert "dd-apc-ahc5:fn1" in [p.id for p in passages]
    assert _one(passages, "dd-apc-ahc5:fn1").text == "A synthetic footnote that spans two blocks of text."
    assert set(body[0].mentions) == {"a-ac-291-19:12", "uncac:4", "uncac:9"}
    assert body[1].heading_path == ["Second section"] and body[1].page == 2


@pytest.mark.parametrize("content, message", [
    (None, "file not found"),
    (b"", "file is empty"),
    (b"   \n\n", "file has no text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data"),
    ("Artículo 1: señal".encode("latin-1"), "not UTF-8"),
])
def test_bad_files_get_one_clear_line(tmp_path, sources, content, message):
    path = tmp_path / "bad.md"
    if content is not None:
        path.write_bytes(content)
    src = replace(by_id(sources)["budapest"], path=str(path))
    with pytest.raises(CorpusError) as err:
        ingest.load(src)
    assert message in err.value.message and "\n" not in err.value.message


UNICODE = "# Título\n\nArtículo 1. Toda persona tiene derecho a la privacidad «de sus comunicaciones».\n"


@pytest.mark.parametrize("codec, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                        ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE),
                                        ("utf-8", codecs.BOM_UTF8)])
def test_unicode_text_with_a_byte_order_mark_is_read(tmp_path, codec, bom):
    path = tmp_path / "memo.md"
    path.write_bytes(bom + UNICODE.replace("\n", "\r\n").encode(codec))
    assert ingest.load_path(path).text == UNICODE


@pytest.mark.parametrize("content, message", [
    (UNICODE.encode("utf-16-le"), "looks like UTF-16 text without a byte-order mark: convert it, e.g. `iconv -f utf-16le -t utf-8`"),
    (UNICODE.encode("utf-16-be"), "looks like UTF-16 text without a byte-order mark: convert it, e.g. `iconv -f utf-16be -t utf-8`"),
    # with no NUL byte at all, UTF-16 cannot be told from Latin-1, which is far more common: "Article 1 café"
    ("Article 1 café".encode("latin-1"), "`iconv -f latin1 -t utf-8`"),
    (UNICODE.encode("latin-1"), "not UTF-8 text (byte 3): convert it, e.g. `iconv -f latin1 -t utf-8`"),
    (UNICODE.encode("cp1252") + b"\x93quoted\x94", "`iconv -f latin1 -t utf-8`"),
    (b"\x00\x01\x02binary", "binary data in a text file"),
    (codecs.BOM_UTF16_LE + b" binary \x00\x00", "binary data in a text file"),
    (codecs.BOM_UTF16_LE + UNICODE.encode("utf-16-le")[:-1],  # cut in its last character
     f"not UTF-16 text (byte {2 * len(UNICODE)}) though it begins with a UTF-16 byte-order mark: save it again as UTF-8"),
])
def test_text_in_another_encoding_gets_the_right_conversion(tmp_path, content, message):
    path = tmp_path / "memo.md"
    path.write_bytes(content)
    with pytest.raises(CorpusError) as err:
        ingest.load_path(path)
    assert err.value.message.startswith(f"{path}: ") and message in err.value.message, err.value.message


def test_huge_and_unknown_files_are_refused(tmp_path, sources):
    big = tmp_path / "big.md"
    big.write_text("word " * 300_000)
    with pytest.raises(CorpusError, match="over the 1 MB limit"):
        ingest.load(replace(by_id(sources)["budapest"], path=str(big)), Limits(max_file_mb=1))
    odd = tmp_path / "doc.xyz"
    odd.write_text("text")
    with pytest.raises(CorpusError, match="unsupported file type"):
        ingest.load(replace(by_id(sources)["budapest"], path=str(odd)))


def test_treaty_footnotes_are_passages_linked_to_their_article(sources):
    doc, passages = _synthetic(sources, "synthetic-treaty-footnotes.md", "treaty")
    by = {p.id: p for p in passages}
    art1 = by["budapest:art1"]
    # the footnote is not in the article's text
    assert art1.text == "1. Each Party shall keep a register of synthetic lighthouses. 2. The register shall be open to the public."
    assert [art1.text[x.start:x.end] for x in art1.parts] == [
        "1. Each Party shall keep a register of synthetic lighthouses.", "2. The register shall be open to the public."]
    note = by["budapest:fn1"]
    assert note.text == "A synthetic footnote about lighthouses that continues on a second line."
    assert note.cited_by == "budapest:art1" and note.article == "1" and art1.cites_footnotes == [1]
    assert by["budapest:fn2"].cited_by == "budapest:art2"
    assert all(is_verbatim(doc.raw, p.spans, p.text) for p in passages)


def test_a_page_of_footnotes_inside_an_article_stays_out_of_it(tmp_path, sources):
    path = tmp_path / "synthetic-treaty-page-break.md"
    path.write_text("# Synthetic convention (synthetic test document, not treaty text)\n\n### Article 1\n\n"
                    "1.  Each Party shall count the synthetic gulls.<sup>1</sup>\n\n---\n\n"
                    "<sup>1</sup> A synthetic note at the foot of page one.\n\n---\n\n"
                    "2.  The count shall be published.\n")
    src = replace(by_id(sources)["budapest"], path=str(path))
    doc = ingest.load(src)
    art = _one(ingest.parse(doc, AliasMatcher.build(sources)), "budapest:art1")
    assert art.text == "1. Each Party shall count the synthetic gulls. 2. The count shall be published."
    assert len(art.spans) == 2 and is_verbatim(doc.raw, art.spans, art.text)
    assert [(x.label, art.text[x.start:x.end]) for x in art.parts] == [
        ("1", "1. Each Party shall count the synthetic gulls."), ("2", "2. The count shall be published.")]


def test_unpaged_formats_have_no_pages_and_a_lower_front_heading_opens_a_section(tmp_path, sources):
    path = tmp_path / "synthetic-note.html"
    path.write_text("<html><body><main><h1>A synthetic note</h1><h2>Privacy</h2>"
                    "<p>Synthetic text on privacy.<sup>1</sup></p><h2>Remedies</h2><p>Synthetic text on remedies.</p>"
                    "<ol class='footnotes'><li id='fn1'>A synthetic note.</li></ol></main></body></html>")
    src = replace(by_id(sources)["dd-apc-ahc5"], path=str(path))
    passages = ingest.parse(ingest.load(src), AliasMatcher.build(sources))
    body = [p for p in passages if p.kind == "paragraph"]
    assert [p.heading_path for p in body] == [["Privacy"], ["Remedies"]]
    assert all(p.page is None for p in passages)
    assert body[0].locator.endswith("'Privacy', para. 1")
    note = next(p for p in passages if p.kind == "footnote")
    assert note.locator.endswith("footnote 1") and note.cited_by == body[0].id


def test_conversions_are_cached_by_file_bytes(tmp_path):
    path, cache = tmp_path / "synthetic-page.html", tmp_path / "cache"
    path.write_text("<html><body><p>First synthetic words.</p></body></html>")
    first = ingest.load_path(path, cache=cache)
    entries = list(cache.glob("*.json"))
    assert len(entries) == 1 and "First synthetic words." in first.text
    entries[0].write_text(entries[0].read_text().replace("First", "Cached"))
    assert "Cached synthetic words." in ingest.load_path(path, cache=cache).text  # read from the cache
    path.write_text("<html><body><p>Second synthetic words.</p></body></html>")
    assert "Second synthetic words." in ingest.load_path(path, cache=cache).text
    assert len(list(cache.glob("*.json"))) == 2
