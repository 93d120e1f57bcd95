"""HTML and DOCX loaders, on real files built here from the shared corpus's texts.

Each file is written the way a web site or Word would hold the same words (site chrome, footnote
links, heading styles, a footnotes part), then loaded and parsed like any corpus file: the passages
must be the ones the Markdown original gives, word for word."""

from __future__ import annotations

import html
import io
import re
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import ingest
from assistant.errors import CorpusError
from assistant.ingest.clean import is_verbatim
from assistant.pipeline import registry
from assistant.query.refs import AliasMatcher
from assistant.settings import Settings
from assistant.sources import by_id

ARTICLES = ["14", "15", "16", "21"]
INTRO_SECTIONS = {"Introduction", "The need to strengthen gender considerations in the Convention"}


# --- the sources: the Markdown originals and what the parsers make of them ----------------------------

@pytest.fixture(scope="module")
def sources(shared_corpus):
    return registry(Settings(corpus_dir=shared_corpus, data_dir=Path("/nonexistent")))


@pytest.fixture(scope="module")
def matcher(sources):
    return AliasMatcher.build(sources)


def _parse(sources, matcher, doc_id: str, path: Path):
    doc = ingest.load(replace(by_id(sources)[doc_id], path=str(path)))
    passages = ingest.parse(doc, matcher)
    assert all(is_verbatim(doc.raw, p.spans, p.text) for p in passages)
    return doc, passages


@pytest.fixture(scope="module")
def budapest(sources, matcher, shared_corpus):
    md = (shared_corpus / "budapest-convention-2001.md").read_text()
    _, passages = _parse(sources, matcher, "budapest", shared_corpus / "budapest-convention-2001.md")
    return md, passages


@pytest.fixture(scope="module")
def submission(sources, matcher, shared_corpus):
    path = shared_corpus / "derechos-digitales-apc-ahc5-submission.md"
    doc, passages = _parse(sources, matcher, "dd-apc-ahc5", path)
    return doc.raw, passages


def _key(passages, articles=ARTICLES):
    return [(p.id, p.kind, p.article, p.paragraph, p.heading_path, p.text, p.refs)
            for p in passages if p.article in articles]


def _budapest_parts(md: str) -> list[tuple[str, list]]:
    """('division', [SECTION 2, PROCEDURAL LAW, TITLE 1, ...]) and ('article', [n, title, lines]) for the
    chosen articles and the division headings before each, in order, as the Markdown has them."""
    out: list[tuple[str, list]] = []
    current, pending, chosen = None, [], False
    for line in md.split("\n"):
        s = line.strip()
        if m := re.match(r"^###\s*Article\s+(\d+)$", s):
            current, chosen = [m.group(1), "", []], m.group(1) in ARTICLES
            if chosen:
                if pending:
                    out.append(("division", pending))
                    pending = []
                out.append(("article", current))
        elif m := re.match(r"^###\s*((?:CHAPTER|SECTION|TITLE)\s+[IVX\d]+)$", s):
            pending.append(" ".join(m.group(1).split()))
            current = None
        elif m := re.match(r"^####\s*(.+)$", s):
            if current is not None:
                current[1] = current[1] or m.group(1)
            elif pending:
                pending.append(m.group(1))
        elif s and current is not None and chosen:
            current[2].append(s)
    return out


# --- Markdown inline to HTML / runs -----------------------------------------------------------------

_TOKEN = re.compile(r"<sup>(\d+)</sup>|\[([^\]]*)\]\(([^)\s]*)\)|<(https?://[^>\s]+)>")
_ESCAPE = re.compile(r"\\+(?=[\\_\-\[\]()*#.!`~>])")


def _text_html(s: str) -> str:
    s = html.escape(_ESCAPE.sub("", s), quote=False)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"\*(.+?)\*", r"<em>\1</em>", s)
    return s.replace("*", "")


def _md_html(s: str, marker=lambda n: f"<sup>{n}</sup>") -> str:
    out, pos = [], 0
    for m in _TOKEN.finditer(s):
        out.append(_text_html(s[pos:m.start()]))
        if m.group(1):
            out.append(marker(int(m.group(1))))
        elif m.group(4):
            out.append(f'<a href="{html.escape(m.group(4))}">{html.escape(m.group(4))}</a>')
        elif m.group(2):
            out.append(f'<a href="{html.escape(m.group(3))}">{_text_html(m.group(2))}</a>')
        pos = m.end()
    out.append(_text_html(s[pos:]))
    return "".join(out)


def _md_runs(s: str) -> list[tuple[str, str]]:
    """('text' | 'bold' | 'italic', words) and ('note', n) pieces of a Markdown line, as Word runs."""
    out = []
    plain = _TOKEN.sub(lambda m: f"\x00{m.group(1)}\x00" if m.group(1) else (m.group(4) or m.group(2)), s)
    for piece in re.split(r"(\x00\d+\x00|\*\*.+?\*\*|\*.+?\*)", _ESCAPE.sub("", plain)):
        if not piece:
            continue
        if piece.startswith("\x00"):
            out.append(("note", piece.strip("\x00")))
        elif piece.startswith("**"):
            out.append(("bold", piece[2:-2]))
        elif piece.startswith("*"):
            out.append(("italic", piece[1:-1]))
        else:
            out.append(("text", piece.replace("*", "")))
    return out


# --- 1. HTML treaty page inside site chrome ------------------------------------------------------

CHROME = [
    "Skip to main content", "Council of Europe Treaty Office", "Home", "Treaty list", "Search the treaties",
    "We use cookies to improve your experience", "Accept all cookies", "You are here", "Full list",
    "Other treaties in this series", "Newsletter sign-up", "Privacy policy", "© Council of Europe",
    "trackingCookieName", "Article 99", "Share on social media",
]


def _treaty_html(md: str, with_main: bool) -> str:
    body = []
    for kind, part in _budapest_parts(md):
        if kind == "division":
            for i, text in enumerate(part):
                body.append(f"<h{2 + i % 2}>{html.escape(text)}</h{2 + i % 2}>")
            continue
        n, title, lines = part
        body.append(f'<article class="treaty-article" id="art{n}">' if not with_main else f'<div class="article" id="art{n}">')
        if int(n) % 2:
            body.append(f"<h3>Article {n}</h3>\n<h4>{html.escape(title)}</h4>")
        else:
            body.append(f"<h3>Article {n} – {html.escape(title)}</h3>")
        items: list[str] = []
        for line in lines:
            if re.match(r"^\(?[a-z]+\)", line):
                items.append(f"  <li>{_md_html(line)}</li>")
                continue
            if items:
                body.append('<ol class="lettered" style="list-style-type: none">\n' + "\n".join(items) + "\n</ol>")
                items = []
            body.append(f"<p>{_md_html(line)}</p>")
        if items:
            body.append('<ol class="lettered" style="list-style-type: none">\n' + "\n".join(items) + "\n</ol>")
        body.append("</article>" if not with_main else "</div>")
    content = "\n".join(body)
    wrapper = (f'<main id="main-content">\n<h1>Convention on Cybercrime</h1>\n{content}\n</main>' if with_main else
               f'<div id="content" class="col-md-9">\n<h1>Convention on Cybercrime</h1>\n{content}\n</div>')
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Convention on Cybercrime – Council of Europe Treaty Office</title>
<link rel="stylesheet" href="/static/site.css">
<style>.cookie-banner {{ position: fixed; bottom: 0; }}</style>
<script>var trackingCookieName = "Article 99"; window.dataLayer = [];</script>
</head>
<body class="page-with-sidebar">
<a class="skip-link" href="#main-content">Skip to main content</a>
<header class="site-header">
  <a href="/" class="logo">Council of Europe Treaty Office</a>
  <nav class="main-nav" aria-label="Main menu"><ul><li><a href="/">Home</a></li><li><a href="/list">Treaty list</a></li></ul></nav>
  <form class="search" action="/search"><input name="q" placeholder="Search the treaties"><button>Search the treaties</button></form>
</header>
<div id="cookieBanner" class="cookie-banner" role="dialog">
  <p>We use cookies to improve your experience on our website.</p><button>Accept all cookies</button>
</div>
<div class="breadcrumbs">You are here: <a href="/">Home</a> › <a href="/list">Full list</a> › ETS 185</div>
<div class="row">
{wrapper}
<div id="sidebar" class="col-md-3">
  <h3>Other treaties in this series</h3>
  <ul><li><a href="#art14">Article 14 – Scope of procedural provisions</a></li><li><a href="/ets189">ETS 189</a></li></ul>
  <div class="share">Share on social media</div>
</div>
</div>
<footer><p><a href="/newsletter">Newsletter sign-up</a> · <a href="/privacy">Privacy policy</a></p><p>© Council of Europe 2001–2024</p></footer>
<script src="/static/analytics.js"></script>
<script>document.querySelectorAll("h3").forEach(h => h.id = "Article 99");</script>
</body>
</html>
"""


@pytest.mark.parametrize("with_main", [True, False], ids=["main-element", "largest-text-block"])
def test_html_treaty_page_inside_site_chrome(tmp_path, sources, matcher, budapest, with_main):
    md, expected = budapest
    path = tmp_path / "synthetic-budapest-page.html"
    path.write_text(_treaty_html(md, with_main))
    loaded = ingest.load_path(path)
    for words in CHROME:
        assert words not in loaded.text, words
    assert loaded.text.count("### Article 14") == 1 and "### Article 15\n\n#### Conditions and safeguards" in loaded.text
    assert loaded.meta == {"title": "Convention on Cybercrime"}
    assert loaded.pages == []
    _, passages = _parse(sources, matcher, "budapest", path)
    got = _key(passages)
    assert got == _key(expected)  # same articles, paragraphs, headings, words and cross-references
    assert {p.article for p in passages} == set(ARTICLES)
    assert [x.label for p in passages if p.article == "15" for x in p.parts] == ["1", "2", "3"]
    assert next(p for p in passages if p.id == "budapest:art21").refs == ["14", "15"]


def test_html_lists_tables_and_no_invented_numbers(tmp_path):
    path = tmp_path / "synthetic-lists.html"
    path.write_text("""<html><body><article>
<h2>Ratifications</h2>
<p>Parties <b>so far</b>:</p>
<ol><li>Albania</li><li>Armenia</li></ol>
<ul><li>(a) first lettered item</li><li>(b) second lettered item</li></ul>
<table><thead><tr><th>State</th><th>Signature</th><th>Ratification</th></tr></thead>
<tbody><tr><td>France</td><td>23/11/2001</td><td>10/1/2006</td></tr></tbody></table>
<p>#hashtag at the start of a line</p>
<hr>
<p>-----</p>
</article></body></html>""")
    text = ingest.load_path(path).text
    assert text == ("## Ratifications\n\nParties so far:\n\nAlbania\n\nArmenia\n\n(a) first lettered item\n\n"
                    "(b) second lettered item\n\nState | Signature | Ratification\nFrance | 23/11/2001 | 10/1/2006\n\n"
                    "\\#hashtag at the start of a line\n")


# --- 2. HTML submission with footnote links and a footnotes list --------------------------------------

def _submission_parts(raw: str, passages):
    """Headings and (stitched) paragraphs of the chosen sections, in order, with the footnotes they cite."""
    paras = [p for p in passages if p.kind == "paragraph" and p.heading_path[0] in INTRO_SECTIONS]
    cited = sorted({n for p in paras for n in p.cites_footnotes})
    last = max(p.spans[-1][1] for p in paras)
    events = [(m.start(), "h", (len(m.group(1)), m.group(2))) for m in re.finditer(r"(?m)^(#{1,6})\s*(.*?)\s*$", raw)
              if m.start() < last]
    events += [(p.spans[0][0], "p", " ".join(raw[a:b] for a, b in p.spans)) for p in paras]
    notes = {p.footnote: [b for b in re.split(r"\n\s*\n", re.sub(r"^\s*<sup>\d+</sup>\s*", "", raw[p.spans[0][0]:p.spans[0][1]])) if b.strip()]
             for p in passages if p.kind == "footnote" and p.footnote in cited}
    return sorted(events), notes


def test_html_submission_footnotes_link_to_their_paragraph(tmp_path, sources, matcher, submission):
    raw, expected = submission
    events, notes = _submission_parts(raw, expected)

    def marker(n: int) -> str:  # two ways sites write a footnote reference
        if n % 2:
            return f'<sup id="fnref{n}"><a href="#fn{n}" class="footnote-ref" role="doc-noteref">{n}</a></sup>'
        return f'<a href="#fn{n}" class="footnote-ref" id="fnref{n}" role="doc-noteref"><sup>{n}</sup></a>'

    body = []
    for _, kind, value in events:
        if kind == "h":
            level, text = value
            body.append(f"<h{level}>{_md_html(text)}</h{level}>")
        else:
            body.append(f"<p>{_md_html(value, marker)}</p>")
    items = []
    for n, blocks in notes.items():
        paras = [f"<p>{_md_html(b)}</p>" for b in blocks]
        paras[-1] = paras[-1][:-4] + f' <a href="#fnref{n}" class="footnote-back" role="doc-backlink">↩︎</a></p>'
        items.append(f'<li id="fn{n}">' + "".join(paras) + "</li>")
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Derechos Digitales and APC – AHC5 contribution</title></head>
<body><nav><a href="/">Home</a> | <a href="/publications">Publications</a></nav>
<main>{"".join(body)}
<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes"><hr><h2>Notes</h2>
<ol>{"".join(items)}</ol></section></main>
<footer>Creative Commons BY-SA</footer></body></html>"""
    path = tmp_path / "synthetic-submission.html"
    path.write_text(page)
    doc, passages = _parse(sources, matcher, "dd-apc-ahc5", path)
    assert "Publications" not in doc.raw and "Creative Commons" not in doc.raw and "↩" not in doc.raw
    assert "\n---\n" in doc.raw and "## Notes" not in doc.raw  # the notes heading went with its section

    want = [p for p in expected if p.kind == "paragraph" and p.heading_path[0] in INTRO_SECTIONS]
    got = [p for p in passages if p.kind == "paragraph"]
    assert [(p.id, p.heading_path, p.text, p.cites_footnotes) for p in got] == \
        [(p.id, p.heading_path, p.text, p.cites_footnotes) for p in want]
    assert {p.heading_path[0] for p in got} == INTRO_SECTIONS
    want_notes = [p for p in expected if p.kind == "footnote" and p.footnote in notes]
    got_notes = [p for p in passages if p.kind == "footnote"]
    assert [(p.footnote, p.text, p.cited_by) for p in got_notes] == [(p.footnote, p.text, p.cited_by) for p in want_notes]
    assert [p.footnote for p in got_notes] == list(range(1, 15))
    assert next(p for p in got_notes if p.footnote == 1).cited_by == "dd-apc-ahc5:introduction.3"
    assert "Joint Submission to the 4th Session" in got_notes[0].text  # a note's later paragraphs stay with it


@pytest.mark.parametrize("style", ["word", "google-docs", "plain-sup"])
def test_html_footnote_conventions(tmp_path, sources, matcher, style):
    note = "General Assembly resolution on privacy in the digital age."
    if style == "word":  # Word's "Save as web page"
        ref = ('<a style="mso-footnote-id:ftn1" href="#_ftn1" name="_ftnref1" title=""><span class="MsoFootnoteReference">'
               '<span style="mso-special-character:footnote"></span>[1]</span></a>')
        notes = ('<div style="mso-element:footnote-list"><br clear="all"><hr align="left" size="1" width="33%">'
                 '<div style="mso-element:footnote" id="ftn1"><p class="MsoFootnoteText"><a style="mso-footnote-id:ftn1" '
                 f'href="#_ftnref1" name="_ftn1" title=""><span class="MsoFootnoteReference">[1]</span></a> {note}</p>'
                 '<p class="MsoFootnoteText">Second paragraph of the note.</p></div></div>')
    elif style == "google-docs":
        ref = '<sup><a href="#ftnt1" id="ftnt_ref1">[1]</a></sup>'
        notes = (f'<div><p><a href="#ftnt_ref1" id="ftnt1">[1]</a>&nbsp;{note}</p>'
                 '<p>Second paragraph of the note.</p></div>')
    else:
        ref = "<sup>1</sup>"
        notes = f'<div id="footnotes"><p><sup>1</sup> {note}</p><p>Second paragraph of the note.</p></div>'
    path = tmp_path / f"synthetic-notes-{style}.html"
    path.write_text(f"""<html><body><div class="WordSection1"><h1>A synthetic report</h1><p>What this report is about.</p><h2>Privacy</h2>
<p>States must protect privacy online.{ref} They should review their laws.</p>
<p>A second paragraph without notes.</p></div>{notes}</body></html>""")
    doc, passages = _parse(sources, matcher, "dd-apc-ahc5", path)
    assert "States must protect privacy online.<sup>1</sup> They should" in doc.raw
    fn = next(p for p in passages if p.kind == "footnote")
    assert (fn.footnote, fn.text) == (1, f"{note} Second paragraph of the note.")
    assert fn.cited_by == "dd-apc-ahc5:privacy.1"
    assert [p.text for p in passages if p.kind == "paragraph"] == [
        "What this report is about.", "States must protect privacy online. They should review their laws.", "A second paragraph without notes."]


# --- 3. DOCX ------------------------------------------------------------------------------------------

def _add_runs(paragraph, line: str, note_ids: dict[int, int] | None = None) -> None:
    for kind, words in _md_runs(line):
        if kind == "note":
            _footnote_reference(paragraph, (note_ids or {})[int(words)])
            continue
        run = paragraph.add_run(words)
        run.bold = kind == "bold" or None
        run.italic = kind == "italic" or None


def _footnote_reference(paragraph, note_id: int) -> None:
    from docx.oxml import parse_xml

    paragraph._p.append(parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:rPr>'
        f'<w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="{note_id}"/></w:r>'))


def _add_footnotes_part(document, notes: dict[int, list[str]]) -> None:
    """word/footnotes.xml (separators, then one w:footnote per note), its relationship from the document
    part and its content type: what Word writes, which python-docx cannot."""
    from docx.opc.constants import CONTENT_TYPE as CT
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    xml = [f"<w:footnotes {w}>",
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>',
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>']
    for note_id, paras in notes.items():
        body = "".join(
            "<w:p>" + ('<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> </w:t></w:r>'
                       if i == 0 else "") + f'<w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r></w:p>'
            for i, text in enumerate(paras))
        xml.append(f'<w:footnote w:id="{note_id}">{body}</w:footnote>')
    xml.append("</w:footnotes>")
    part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, "".join(xml).encode(), document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES)


def _plain(line: str) -> str:
    return "".join(w for k, w in _md_runs(line) if k != "note")


def test_docx_treaty_headings_articles_and_paragraphs(tmp_path, sources, matcher, budapest):
    import docx

    md, expected = budapest
    document = docx.Document()
    document.add_paragraph("Convention on Cybercrime", style="Title")
    table = document.add_table(rows=2, cols=2)  # a status table before the text
    for row, cells in zip(table.rows, [("State", "Ratification"), ("France", "10/1/2006")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    for kind, part in _budapest_parts(md):
        if kind == "division":
            for i, text in enumerate(part):
                document.add_heading(text, level=2 + i % 2)
            continue
        n, title, lines = part
        if n == "14":
            document.add_heading(f"Article {n}", level=3)
            document.add_heading(title, level=4)
        elif n == "15":
            document.add_heading(f"Article {n} – {title}", level=3)
        else:  # a bold line, then a bold caption: how many UN texts are typed
            document.add_paragraph().add_run(f"Article {n}").bold = True
            document.add_paragraph().add_run(title).bold = True
        for line in lines:
            sub = re.match(r"^\(?[a-z]+\)", line) is not None
            _add_runs(document.add_paragraph(style="List Paragraph" if sub else None), line)
    path = tmp_path / "synthetic-budapest.docx"
    document.save(path)

    loaded = ingest.load_path(path)
    assert loaded.meta == {"title": "Convention on Cybercrime"}
    assert "### Article 16\n\n#### Expedited preservation of stored computer data" in loaded.text
    # Title is `#`; Heading N sits one level below it
    assert "### SECTION 2\n\n#### PROCEDURAL LAW" in loaded.text
    assert loaded.text.startswith("# Convention on Cybercrime\n\nState | Ratification\nFrance | 10/1/2006\n\n### CHAPTER I\n")
    _, passages = _parse(sources, matcher, "budapest", path)
    assert _key(passages) == _key(expected)


def _submission_docx(raw: str, expected, path: Path) -> dict[int, int]:
    import docx

    events, notes = _submission_parts(raw, expected)
    note_ids = {n: 100 - 7 * n for n in notes}  # Word's ids are not the numbers shown
    document = docx.Document()
    for _, kind, value in events:
        if kind == "h":
            level, text = value
            document.add_heading(_plain(text), level=level)
        else:
            _add_runs(document.add_paragraph(), value, note_ids)
    _add_footnotes_part(document, {note_ids[n]: [_plain(b) for b in blocks] for n, blocks in reversed(notes.items())})
    document.save(path)
    return notes


def test_docx_footnotes_numbered_in_order_and_linked(tmp_path, sources, matcher, submission):
    raw, expected = submission
    path = tmp_path / "synthetic-submission.docx"
    notes = _submission_docx(raw, expected, path)
    with zipfile.ZipFile(path) as z:  # the package holds a real footnotes part
        assert "word/footnotes.xml" in z.namelist()
        assert "footnotes+xml" in z.read("[Content_Types].xml").decode()
        assert "relationships/footnotes" in z.read("word/_rels/document.xml.rels").decode()

    loaded = ingest.load_path(path)
    assert "symbol" not in loaded.meta  # symbols quoted in sentences name other documents
    assert loaded.meta["title"] == "Derechos Digitales and the Association for Progressive Communications"
    _, passages = _parse(sources, matcher, "dd-apc-ahc5", path)
    want = [p for p in expected if p.kind == "paragraph" and p.heading_path[0] in INTRO_SECTIONS]
    got = [p for p in passages if p.kind == "paragraph"]
    assert [(p.id, p.text, p.cites_footnotes) for p in got] == [(p.id, p.text, p.cites_footnotes) for p in want]
    got_notes = [p for p in passages if p.kind == "footnote"]
    assert [p.footnote for p in got_notes] == sorted(notes) == list(range(1, 15))
    want_notes = {p.footnote: p for p in expected if p.kind == "footnote"}
    for p in got_notes:
        assert p.text == want_notes[p.footnote].text
        assert p.cited_by == want_notes[p.footnote].cited_by
    assert got_notes[0].cited_by == "dd-apc-ahc5:introduction.3"


def test_docx_symbol_from_header_and_title_from_properties(tmp_path):
    import docx

    document = docx.Document()
    document.core_properties.title = "Synthetic negotiating text"
    header = document.sections[0].header
    header.paragraphs[0].text = "A/AC.291/19"
    document.add_paragraph("Distr.: General")
    document.add_paragraph("This synthetic text recalls resolution A/RES/77/211 in a sentence, which names another document.")
    path = tmp_path / "synthetic-symbol.docx"
    document.save(path)
    assert ingest.load_path(path).meta == {"symbol": "A/AC.291/19", "title": "Synthetic negotiating text"}
    # on a cover line of its own, without a header
    document = docx.Document()
    document.add_paragraph("CCPR/C/GC/16")
    document.add_paragraph("General comment", style="Title")
    document.save(path)
    assert ingest.load_path(path).meta == {"symbol": "CCPR/C/GC/16", "title": "General comment"}


# --- 4. bad input -------------------------------------------------------------------------------------

def _cfb(*streams: str) -> bytes:
    """A Compound File (OLE) header and directory naming `streams`, as Word's .doc and encrypted
    .docx files begin."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    header += bytes(512 - len(header))
    entries = b""
    for name in ("Root Entry", *streams):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entries += encoded + bytes(64 - len(encoded)) + len(encoded).to_bytes(2, "little") + bytes(62)
    return header + entries + bytes(512 - len(entries) % 512)


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def _minimal_docx() -> bytes:
    import docx

    buf = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Synthetic text. " * 200)
    document.save(buf)
    return buf.getvalue()


BAD = {
    "synthetic-notzip.docx": (b"Plain text saved with a .docx name.\n", "corrupt DOCX (not a zip package)"),
    "synthetic-nodocument.docx": (_zip({"[Content_Types].xml": "<Types/>", "docProps/app.xml": "<Properties/>"}),
                                  "corrupt DOCX (no word/document.xml in the package)"),
    "synthetic-truncated.docx": (None, "corrupt DOCX (damaged zip"),
    "synthetic-encrypted.docx": (_cfb("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"),
                                 "the DOCX is encrypted (password-protected)"),
    "synthetic-old-word.docx": (_cfb("WordDocument", "1Table", "\x05SummaryInformation"),
                                "an old Word .doc file, not .docx"),
    "synthetic-empty-page.html": ((b"<!DOCTYPE html><html><head><title>Loading</title><script>render('Article 1')</script>"
                                   b"</head><body><nav><a href='/'>Home</a></nav><div id='app'></div>"
                                   b"<footer>Footer</footer></body></html>"), "no text content in this HTML page"),
    "synthetic-binary.html": (b"<html>\x00\x01\x02\x03\xff\xfe binary", "binary data in an HTML file"),
    "synthetic-undeclared-latin1.html": ("<p>Protección de datos</p>".encode("latin-1"), "HTML not decodable as UTF-8, and it declares no charset"),
    "synthetic-pdf.html": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "not an HTML page but a PDF file"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_one_line_error(tmp_path, name):
    data, message = BAD[name]
    if data is None:
        data = _minimal_docx()[:1500]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorpusError) as err:
        ingest.load_path(path)
    text = err.value.message
    assert text.startswith(f"{path}: ") and message in text, text
    assert "\n" not in text and text.count(": ") >= 2  # names the file, the problem and what to do


def _damaged_docx(**parts: str | None) -> bytes:
    """A real Word package with some parts replaced (a string) or left out (None)."""
    real = zipfile.ZipFile(io.BytesIO(_minimal_docx()))
    files: dict = {n: real.read(n) for n in real.namelist()}
    files.update({k.replace("__", "/").replace("CT", "[Content_Types].xml"): v for k, v in parts.items()})
    return _zip({n: v for n, v in files.items() if v is not None})


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DAMAGED = {
    "garbled": ({"word__document.xml": "<w:document <<<< garbage", "CT": "<Types"}, "its word/document.xml is malformed or incomplete"),
    "truncated": ({"word__document.xml": f'<w:document {W_NS}><w:body><w:p><w:r><w:t>Art'}, "its word/document.xml is malformed or incomplete"),
    "no-body": ({"word__document.xml": f"<w:document {W_NS}/>"}, "its word/document.xml is malformed or incomplete"),
    "bare-types": ({"CT": "<Types/>"}, "its [Content_Types].xml is malformed or incomplete"),
    "no-types": ({"CT": None}, "its [Content_Types].xml is missing"),
    "no-rels": ({"_rels__.rels": None}, "its _rels/.rels is missing"),
    "bad-styles": ({"word__styles.xml": "<w:styles"}, "its word/styles.xml is malformed or incomplete"),
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_docx_says_which_part_and_what_to_do(tmp_path, name):
    parts, damage = DAMAGED[name]
    path = tmp_path / f"synthetic-{name}.docx"
    path.write_bytes(_damaged_docx(**parts))
    with pytest.raises(CorpusError) as err:
        ingest.load_path(path)
    assert err.value.message == (f"{path}: cannot read the DOCX: {damage}; save it again from a word processor, "
                                 "or give a PDF or text version")


@pytest.mark.parametrize("declaration", ['<meta charset="iso-8859-1">',
                                         '<meta http-equiv="Content-Type" content="text/html; charset=latin1">'])
def test_html_latin1_decoded_by_declared_charset(tmp_path, declaration):
    words = "Protección de datos personales y garantías: «artículo 15», según la Convención."
    path = tmp_path / "synthetic-latin1.html"
    path.write_bytes(f"<html><head>{declaration}<title>Protección</title></head><body><p>{words}</p></body></html>"
                     .encode("latin-1"))
    loaded = ingest.load_path(path)
    assert loaded.text == words + "\n"
    assert loaded.meta == {"title": "Protección"}


def test_query_path_does_not_import_the_libraries():
    import subprocess
    import sys

    code = "import sys, assistant.ingest; print(sorted(m for m in ('bs4', 'docx', 'lxml') if m in sys.modules))"
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.stdout.strip() == "[]", out.stderr
    assert time.monotonic() - start < 30
