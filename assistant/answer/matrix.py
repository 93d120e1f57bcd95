"""The safeguards matrix of a document in treaty layout: its articles as rows, the safeguards of the
vocabulary as columns, each cell saying whether the article makes the safeguard mandatory, leaves it
discretionary, brings it in by reference ("subject to Articles 14 and 15") or is silent, each with the
provision it cites. For a negotiating text, a column holds what the submission asks of each article it
discusses. The CLI renders it (`treaty safeguards`); the record is the same for any other surface."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .sentences import split
from ..errors import UsageError
from ..records import Passage, Provision, Source
from ..provisions.crossrefs import parse_locator
from ..provisions.vocabulary import vocabulary

STATUSES = ("mandatory", "discretionary", "by-reference", "absent")
# a safeguard said in words that bind makes it mandatory; in words that leave it to the State, not
MANDATORY = frozenset({"obligation", "prohibition", "other"})
DISCRETIONARY = frozenset({"discretionary", "permission"})
# the references through which another provision's safeguards apply to this one
CONDITIONING = frozenset({"subject-to", "in-accordance-with"})
_ASKS = re.compile(r"\b(?:should|must|recommend\w*|urge\w*|call\w* (?:on|for|upon)|delet\w*|ensur\w*|request\w*|propos\w*)\b",
                   re.IGNORECASE)


@dataclass(slots=True)
class Cell:
    """One safeguard for one article: its status (one of STATUSES), the provision cited (empty when
    absent), the words that triggered the tag, that provision's force, and for "by-reference" the
    reference it comes through ("art. 15", by "subject to Articles 14 and 15") and how the provision
    it comes from states it (`stated_as`: "mandatory" or "discretionary")."""

    tag: str
    status: str
    locator: str = ""
    passage_id: str = ""
    words: str = ""
    force: str = ""
    via: str = ""
    via_words: str = ""
    stated_as: str = ""


@dataclass(slots=True)
class Ask:
    """What the submission asks of a draft article, in its words, with where it says so."""

    text: str
    locator: str
    passage_id: str


@dataclass(slots=True)
class Row:
    article: str
    title: str
    cells: list[Cell]
    asks: list[Ask] = field(default_factory=list)


@dataclass(slots=True)
class Matrix:
    doc_id: str
    title: str
    columns: list[tuple[str, str]]  # (tag, label), in the vocabulary's order
    rows: list[Row]
    asks_column: bool = False  # a negotiating text: the submission's asks are shown

    def to_json(self) -> dict:
        d = asdict(self)
        d["columns"] = [{"tag": t, "label": label} for t, label in self.columns]
        return d


def build_matrix(source: Source, passages: list[Passage], provisions: list[Provision], articles: list[str] | None = None,
                 submission: list[Passage] = (), family: frozenset[str] = frozenset()) -> Matrix:
    """`passages` and `provisions` of the document; `articles` to keep (None: all); `submission`:
    passages whose mentions say which draft articles they discuss (`family`: the drafts that number
    articles alike)."""
    mine = [p for p in provisions if p.doc_id == source.id]
    if not mine:
        raise UsageError(f"'{source.id}' has no articles in treaty layout, so no safeguards to set out: "
                         "give a treaty or a negotiating text (`treaty corpus list`)")
    order = list(dict.fromkeys(p.article for p in mine))
    wanted = order if articles is None else [a for a in order if a in set(articles)]
    if articles is not None and not wanted:
        raise UsageError(f"{source.short} has no article in {', '.join(articles[:3])}{'…' if len(articles) > 3 else ''}: "
                         f"its articles run {order[0]}-{order[-1]}")
    titles = {p.article: _title(p) for p in passages if p.doc_id == source.id and p.article}
    negotiating = source.role == "negotiating-text"
    rows = [Row(a, titles.get(a, ""), [_cell(s.tag, a, mine) for s in vocabulary()],
                _asks(a, submission, family | {source.id}) if negotiating else []) for a in wanted]
    return Matrix(source.id, source.short, [(s.tag, s.label) for s in vocabulary()], rows, negotiating)


def parse_articles(spec: str) -> list[str]:
    """"14-21" -> 14 ... 21; "14,15,20-21"; a bare number. A range backwards or not a number is an error."""
    out: list[str] = []
    for piece in filter(None, (x.strip() for x in spec.split(","))):
        m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", piece)
        if m and int(m.group(1)) <= int(m.group(2)):
            out += [str(n) for n in range(int(m.group(1)), int(m.group(2)) + 1)]
        elif re.fullmatch(r"\d+(?: ?(?:bis|ter|quater))?", piece):
            out.append(piece)
        else:
            raise UsageError(f"--articles {spec!r}: give article numbers and ranges, e.g. 14-21 or 14,15,20")
    return out


def cell_text(c: Cell, sep: str = " ") -> str:
    """"mandatory art. 15(1)", "by reference art. 15(2) via art. 15 (discretionary there)", "absent";
    `sep` between the status and the citation (a line break in a table)."""
    if c.status == "absent":
        return "absent"
    if c.status == "by-reference":
        return f"by reference{sep}{c.locator} via {c.via}{sep}({c.stated_as} there)"
    return f"{c.status}{sep}{c.locator}"


def asks_text(row: Row) -> str:
    return " | ".join(f"{a.text} ({a.locator})" for a in row.asks)


def header(m: Matrix) -> list[str]:
    return ["article", "title", *(label for _, label in m.columns)] + (["the submission asks"] if m.asks_column else [])


def row_cells(m: Matrix, row: Row) -> list[str]:
    return [row.article, row.title, *(cell_text(c) for c in row.cells)] + ([asks_text(row)] if m.asks_column else [])


def markdown_table(m: Matrix) -> list[str]:
    """The matrix as a Markdown table (the CLI's `--format md`, and the memo's); the caller makes the
    documents' words printable where a terminal reads them."""
    lines = ["| " + " | ".join(header(m)) + " |", "|" + "---|" * len(header(m))]
    return lines + ["| " + " | ".join(x.replace("|", "\\|") for x in row_cells(m, row)) + " |" for row in m.rows]


def _cell(tag: str, article: str, provisions: list[Provision]) -> Cell:
    own = [p for p in provisions if p.article == article and p.force != "definition" and _tagged(p, tag)]
    for forces, status in ((MANDATORY, "mandatory"), (DISCRETIONARY, "discretionary")):
        found = next((p for p in own if p.force in forces), None)
        if found is not None:
            return Cell(tag, status, _short(found.locator), found.passage_id, _tagged(found, tag), found.force)
    return _by_reference(tag, article, provisions) or Cell(tag, "absent")


def _by_reference(tag: str, article: str, provisions: list[Provision]) -> Cell | None:
    """The safeguard as another article states it, where this article is subject to that one; a
    mandatory statement there is cited before a discretionary one."""
    found = []
    for p in provisions:
        if p.article != article:
            continue
        for ref in p.crossrefs:
            if ref.kind not in CONDITIONING:
                continue
            for target in ref.targets:
                art, para, _ = parse_locator(target)
                if art == article:
                    continue
                found += [(q, ref.words, target) for q in provisions if q.article == art and (para is None or q.paragraph == para)
                          and q.force != "definition" and _tagged(q, tag)]
    if not found:
        return None
    q, words, target = min(found, key=lambda f: f[0].force not in MANDATORY)
    return Cell(tag, "by-reference", _short(q.locator), q.passage_id, _tagged(q, tag), q.force, f"art. {parse_locator(target)[0]}",
                words, "mandatory" if q.force in MANDATORY else "discretionary")


def _asks(article: str, submission: list[Passage], docs: frozenset[str]) -> list[Ask]:
    """The sentences of the submission that speak of this draft article (by the mentions read at
    ingestion), those that ask for something first."""
    out = []
    for p in submission:
        if not any(m.partition(":")[0] in docs and m.partition(":")[2] == article for m in p.mentions):
            continue
        sentences = [p.text[a:b].strip() for a, b in split(p.text)]
        naming = [s for s in sentences if re.search(rf"\b(?:article|art\.)\s*{re.escape(article)}\b", s, re.IGNORECASE)]
        asking = [s for s in sentences if _ASKS.search(s)]
        text = next((s for s in naming if _ASKS.search(s)), None) or next(iter(naming), None) or next(iter(asking), None)
        if text:
            out.append(Ask(text, p.locator, p.id))
    return out


def _tagged(p: Provision, tag: str) -> str:
    return next((t.words for t in p.safeguards if t.tag == tag), "")


def _title(p: Passage) -> str:
    return p.heading_path[-1].partition(" – ")[2] if p.heading_path else ""


def _short(locator: str) -> str:
    """"Budapest Convention, art. 15(2), p. 3" -> "art. 15(2)"."""
    return next((x.strip() for x in locator.split(",") if x.strip().startswith("art. ")), locator)
