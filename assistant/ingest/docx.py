"""DOCX loader: a Word document's body, converted to the Markdown shape the parsers read.

Paragraph styles Title and Heading 1-6 (or a style based on them, or an outline level) become `#`
headings, "Article N" paragraphs `### Article N` (+ `#### Title`), tables one line per row with cells
joined by " | ", other paragraphs keep their text (Word's automatic list numbers are not text, so they
are not written). Footnotes live in their own part (word/footnotes.xml), referenced from the body by
`w:footnoteReference`: each reference becomes `<sup>n</sup>`, n the note's displayed number (order of
first appearance), and the notes follow a `---` rule at the end. Endnotes, if any, continue the
numbering after the footnotes. Text boxes, drawings and tracked deletions are left out."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from ..records import Loaded
from ..plugins import LOADERS
from ..settings import Limits
from .markdown_writer import MarkdownWriter
from .limits import unzip_bounded
from .symbols import find_symbol
from .text import read_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Not text: properties, tracked deletions, field codes, the note's own number mark, drawings and text
# boxes (their text would repeat or land mid-sentence), and the fallback copy of alternate content.
_SKIP = {"rPr", "pPr", "del", "delText", "instrText", "footnoteRef", "endnoteRef", "annotationRef", "commentReference",
         "drawing", "pict", "object", "AlternateContent", "txbxContent", "fldData", "sectPr", "tblPr", "trPr", "tcPr",
         "moveFrom", "sdtPr", "sdtEndPr", "rt"}
_OFF = {"0", "false", "off", "none"}


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _check_package(path: Path, data: bytes) -> zipfile.ZipFile:
    """The file is a Word package, or a one-line reason why not."""
    if data.startswith(_OLE):
        if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
            raise CorpusError(f"{path}: the DOCX is encrypted (password-protected): open it in Word, remove the password "
                              "(File > Info > Protect Document) and save it again")
        if "WordDocument".encode("utf-16-le") in data:
            raise CorpusError(f"{path}: an old Word .doc file, not .docx: open it in Word or LibreOffice and save it as .docx")
        raise CorpusError(f"{path}: an OLE (old Office) file, not a DOCX: save the document as .docx")
    if not data.startswith(b"PK"):
        what = ("a PDF" if data.startswith(b"%PDF") else "RTF text" if data.startswith(b"{\\rtf")
                else "HTML" if data[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")) else "")
        if what:
            raise CorpusError(f"{path}: not a DOCX but {what}: give it its own suffix, or save it from Word as .docx")
        raise CorpusError(f"{path}: corrupt DOCX (not a zip package): save the document again as .docx from Word or LibreOffice")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorpusError(f"{path}: corrupt DOCX (damaged zip: {exc}): save the document again as .docx") from None
    if "word/document.xml" not in names:
        what = ("an Excel workbook" if "xl/workbook.xml" in names else "a PowerPoint presentation" if "ppt/presentation.xml" in names
                else "an OpenDocument file" if "mimetype" in names else "")
        if what:
            raise CorpusError(f"{path}: {what}, not a Word document: save the document as .docx")
        raise CorpusError(f"{path}: corrupt DOCX (no word/document.xml in the package): "
                          "save the document again as .docx from Word or LibreOffice")
    return package


# The parts every Word package has, first the one with the text, and the root element of each.
_REQUIRED = {"word/document.xml": f"{W}document",
             "[Content_Types].xml": "{http://schemas.openxmlformats.org/package/2006/content-types}Types",
             "_rels/.rels": "{http://schemas.openxmlformats.org/package/2006/relationships}Relationships"}


def _damage(package: zipfile.ZipFile) -> str:
    """What is wrong with a package python-docx could not read, in words a user can act on (its own
    exception names its internals). Asked only after a failure: it parses every part again."""
    names = set(package.namelist())
    others = sorted(n for n in names - set(_REQUIRED) if n.endswith((".xml", ".rels")))
    for name in [*_REQUIRED, *others]:
        if name not in names:
            return f"its {name} is missing"
        root = _xml_root(package, name)
        whole = root is not None and root.tag == _REQUIRED.get(name, root.tag)
        if not whole or (name == "word/document.xml" and root.find(f"{W}body") is None):
            return f"its {name} is malformed or incomplete"
    return "its parts do not fit together (one is of the wrong kind or names a part that is not there)"


def _xml_root(package: zipfile.ZipFile, name: str) -> Any:
    from lxml import etree

    try:
        return etree.fromstring(package.read(name), etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, EOFError, OSError):  # a damaged part reads as one
        return None


class _Styles:
    """Heading level of a paragraph style, following `basedOn` to the built-in Title and Heading N."""

    def __init__(self, styles_element: Any) -> None:
        self.styles: dict[str, tuple[str, str, int | None]] = {}
        self.default = ""
        for st in styles_element.iterchildren(f"{W}style"):
            if st.get(f"{W}type") != "paragraph":
                continue
            sid = st.get(f"{W}styleId") or ""
            name = st.find(f"{W}name")
            based = st.find(f"{W}basedOn")
            outline = st.find(f"{W}pPr/{W}outlineLvl")
            self.styles[sid] = (
                (name.get(f"{W}val") if name is not None else sid).lower(),
                based.get(f"{W}val") if based is not None else "",
                int(outline.get(f"{W}val")) if outline is not None and (outline.get(f"{W}val") or "").isdigit() else None,
            )
            if st.get(f"{W}default") in ("1", "true"):
                self.default = sid

    def level(self, style_id: str) -> int | None:
        for _ in range(10):
            if style_id not in self.styles:
                return None
            name, based, outline = self.styles[style_id]
            if name == "title":
                return 1
            # Title is the one `#`: Heading 1 sits below it, as a document's sections sit below its title
            if m := re.fullmatch(r"heading\s*(\d)", name):
                return min(int(m.group(1)) + 1, 6)
            if outline is not None and outline < 9:
                return min(outline + 2, 6)
            style_id = based
        return None

    def name(self, style_id: str) -> str:
        return self.styles.get(style_id, ("", "", None))[0]


class _Doc:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.styles = _Styles(document.styles.element)
        self.numbers: dict[tuple[str, str], int] = {}  # ("footnote" | "endnote", w:id) -> displayed number
        self.out = MarkdownWriter()
        self.titles: dict[int, str] = {}  # first heading of each level

    # text of a paragraph ---------------------------------------------------------------------------------

    def text(self, el: Any, notes: bool = True) -> str:
        out: list[str] = []
        self._runs(el, out, notes)
        return "".join(out).replace("\t", " ")

    def _runs(self, el: Any, out: list[str], notes: bool) -> None:
        for child in el:
            tag = _local(child.tag)
            if tag in _SKIP or not tag:
                continue
            if tag == "t":
                out.append(child.text or "")
            elif tag in ("tab", "ptab"):
                out.append("\t")
            elif tag in ("br", "cr"):
                out.append("\n")
            elif tag == "noBreakHyphen":
                out.append("-")
            elif tag in ("footnoteReference", "endnoteReference"):
                if notes:
                    kind = "footnote" if tag == "footnoteReference" else "endnote"
                    key = (kind, child.get(f"{W}id") or "")
                    n = self.numbers.setdefault(key, len(self.numbers) + 1)
                    out.append(f"<sup>{n}</sup>")
            else:
                self._runs(child, out, notes)

    @staticmethod
    def _emphasised(p: Any) -> bool:
        """Every run with text is bold or italic, or the paragraph is centred: a caption, not a sentence."""
        jc = p.find(f"{W}pPr/{W}jc")
        if jc is not None and jc.get(f"{W}val") == "center":
            return True
        runs = [r for r in p.iter(f"{W}r") if "".join(t.text or "" for t in r.iter(f"{W}t")).strip()]
        if not runs:
            return False
        for r in runs:
            props = r.find(f"{W}rPr")
            flags = [] if props is None else [props.find(f"{W}b"), props.find(f"{W}i")]
            if not any(f is not None and (f.get(f"{W}val") or "1") not in _OFF for f in flags):
                return False
        return True

    def _level(self, p: Any) -> int | None:
        ppr = p.find(f"{W}pPr")
        outline = ppr.find(f"{W}outlineLvl") if ppr is not None else None
        if outline is not None and (outline.get(f"{W}val") or "").isdigit() and int(outline.get(f"{W}val")) < 9:
            return min(int(outline.get(f"{W}val")) + 1, 6)
        style = ppr.find(f"{W}pStyle") if ppr is not None else None
        return self.styles.level(style.get(f"{W}val") if style is not None else self.styles.default)

    # body --------------------------------------------------------------------------------------------------

    def body(self, el: Any) -> None:
        for child in el.iterchildren():
            tag = _local(child.tag)
            if tag == "p":
                self.paragraph(child)
            elif tag == "tbl":
                self.table(child)
            elif tag == "sdt":
                gallery = child.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
                if gallery is None or "contents" not in (gallery.get(f"{W}val") or "").lower():  # not Word's table of contents
                    self.body(child)
            elif tag in ("sdtContent", "customXml", "ins", "smartTag"):
                self.body(child)

    def paragraph(self, p: Any) -> None:
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is not None and re.match(r"toc\b", self.styles.name(style.get(f"{W}val") or "")):
            return  # a table-of-contents line: navigation, not the document's words
        text = self.text(p)
        if not text.strip():
            return
        level = self._level(p)
        if level is not None:
            self.titles.setdefault(level, " ".join(text.split()))
            self.out.heading(level, re.sub(r"\s+", " ", text))
        else:
            self.out.paragraph(text, emphasised=self._emphasised(p))

    def table(self, tbl: Any) -> None:
        rows = [tr for tr in tbl.iterchildren(f"{W}tr")]
        cells = [[tc for tc in tr.iterchildren(f"{W}tc")] for tr in rows]
        layout = (all(len(c) <= 1 for c in cells) or tbl.find(f".//{W}tbl") is not None
                  or any(self._level(p) is not None for p in tbl.iter(f"{W}p"))
                  or any(len(self.text(tc, notes=False)) > 600 for row in cells for tc in row))
        if layout:  # a table that lays out text: read its cells as the body
            for row in cells:
                for tc in row:
                    self.body(tc)
            return
        self.out.rows([[" ".join(self.text(p) for p in tc.iter(f"{W}p")) for tc in row] for row in cells])

    # notes ---------------------------------------------------------------------------------------------------

    def notes(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.oxml import parse_xml

        parts = {}
        for rel in self.document.part.rels.values():
            if rel.reltype in (RT.FOOTNOTES, RT.ENDNOTES) and not rel.is_external:
                parts["footnote" if rel.reltype == RT.FOOTNOTES else "endnote"] = parse_xml(rel.target_part.blob)
        # Endnotes are numbered after the footnotes, so the two never share a number.
        order = sorted(self.numbers.items(), key=lambda kv: (kv[0][0] == "endnote", kv[1]))
        renumber = {key: i for i, (key, _) in enumerate(order, 1)}
        if renumber != self.numbers:
            self._renumber(renumber)
        for (kind, note_id), n in renumber.items():
            root = parts.get(kind)
            note = None if root is None else next(
                (x for x in root.iterchildren(f"{W}{kind}") if x.get(f"{W}id") == note_id), None)
            if note is None:
                continue
            self.out.note(n, [self.text(p, notes=False) for p in note.iter(f"{W}p")])

    def _renumber(self, renumber: dict[tuple[str, str], int]) -> None:
        """Markers were written in order of appearance across both kinds; put endnotes after footnotes."""
        old_to_new = {self.numbers[key]: n for key, n in renumber.items()}
        swap = re.compile(r"<sup>(\d+)</sup>")
        self.out.blocks = [swap.sub(lambda m: f"<sup>{old_to_new.get(int(m.group(1)), int(m.group(1)))}</sup>", b)
                           for b in self.out.blocks]
        self.numbers = renumber

    def header_lines(self) -> list[str]:
        lines = []
        for section in self.document.sections[:1]:
            for header in (section.first_page_header, section.header):
                if header.is_linked_to_previous:
                    continue
                lines += [self.text(p, notes=False) for p in header._element.iter(f"{W}p")]
        return [line for line in lines if line.strip()]


@LOADERS.register(".docx")
def load_docx(path: Path, limits: Limits) -> Loaded:
    data = read_bytes(path, limits.max_file_mb)
    unpacked = unzip_bounded(path, _check_package(path, data), limits.max_unzipped_mb, "DOCX")
    package = zipfile.ZipFile(io.BytesIO(unpacked))
    import docx

    try:
        document = docx.Document(io.BytesIO(unpacked))
        doc = _Doc(document)
        doc.body(document.element.body)
        doc.notes()
        header = doc.header_lines()
    except MemoryError:
        raise  # not damage: the memory budget's to report
    except Exception:  # noqa: BLE001  (a damaged package fails in many ways; the user gets one line)
        raise CorpusError(f"{path}: cannot read the DOCX: {_damage(package)}; save it again from a word processor, "
                          "or give a PDF or text version") from None
    if not doc.out.has_text():
        raise CorpusError(f"{path}: the DOCX has no text (only empty paragraphs, images or text boxes): "
                          "give a copy with the document's text")
    core = document.core_properties
    # The file's title property, else its Title or Heading 1, else its first heading.
    title = " ".join((core.title or "").split()) or doc.titles.get(1) or next(iter(doc.titles.values()), "")
    first = [b for b in doc.out.blocks[:12] if len(b) <= 80] + [t for _, t in doc.out.headings[:6]]
    symbol = (find_symbol([core.title or "", core.subject or "", core.identifier or "", core.keywords or ""], short_only=False)
              or find_symbol(header) or find_symbol(first))
    meta = {k: v for k, v in (("symbol", symbol), ("title", title)) if v}
    return Loaded(doc.out.text(), hashlib.sha256(data).hexdigest(), [], meta, paged=False)
