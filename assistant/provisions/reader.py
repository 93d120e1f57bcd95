"""Reading a document in treaty layout, paragraph by paragraph and lettered sub-paragraph by
sub-paragraph: what force each has, whom it binds, which other provisions it sends the reader to, and
which safeguards it speaks of. `read_document(passages)` is pure: the passages of one document in,
one `Provision` per unit out, in the document's order.

The rules read a provision's operative words, not its meaning: they are patterns, listed here as data
in the order they decide ("shall, as appropriate, include" is discretionary before it is an obligation),
and each reading records the words that decided it so that an analyst can check it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Passage, Provision
from .crossrefs import find_crossrefs, resolve_refs
from .vocabulary import tags_in

# (force, pattern), first match decides. A definition names its term; a prohibition is negated; a
# qualifier that leaves the obligation to the State's judgement makes it discretionary, whatever verb
# it qualifies; then the bare verbs.
FORCE_RULES: tuple[tuple[str, str], ...] = (
    ("definition", r"[\"“][^\"”]{1,80}[\"”]\s+(?:shall\s+)?(?:means?|includes?)\b|^\W*(?:\(?[a-z]\)\s*)?for the purposes? of (?:this|the present)\b"),
    ("prohibition", r"\bno one shall\b|\bnobody shall\b|\bshall not\b|\bmay not\b|\bno\s+(?!\d)[a-z]+\b[^.;:]{0,240}?\b(?:shall|may) be\b"),
    ("discretionary", r"\b(?:as|where|when) appropriate\b|\bmay consider\b|\bshall consider\b|\bshall endeavou?r\b|\bendeavou?r to\b"
                      r"|\bsubject to (?:its |their )?domestic law\b|\bin accordance with (?:its |their )?domestic law\b"
                      r"|\bconsistent with (?:its |their )?domestic law\b|\bfundamental principles of (?:its|their) (?:domestic )?legal system\b"
                      r"|\bto the extent (?:possible|necessary|permitted|appropriate)\b"),
    ("obligation", r"\bshall\b|\bundertakes?(?: to|:)|\bmust\b|\bare (?:required|obliged) to\b"),
    ("permission", r"\bmay\b"),
)
_FORCE = tuple((force, re.compile(p, re.IGNORECASE)) for force, p in FORCE_RULES)

# Who a provision binds, as the texts name them; the name nearest before the operative words wins.
BINDERS: tuple[str, ...] = (
    "each State Party", "each Party", "each Contracting Party", "each High Contracting Party", "States Parties",
    "the States Parties", "the Parties", "the High Contracting Parties", "the Contracting Parties",
    "the requested State Party", "the requesting State Party", "the requested Party", "the requesting Party",
    "that Party", "the Party", "a Party", "the State Party", "a State Party", "no one", "everyone", "every human being",
    "every citizen", "every child", "anyone", "any person", "all persons", "men and women", "the Committee",
    "the Conference of the Parties", "the Secretary-General", "the competent authorities", "the Court",
)
_BINDER = re.compile(r"\b(?:" + "|".join(re.escape(b) for b in sorted(BINDERS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_CANONICAL = {b.lower(): b for b in BINDERS}


@dataclass(frozen=True, slots=True)
class Unit:
    """One citable unit of a passage: a numbered paragraph, a lettered sub-paragraph, or the passage
    itself; `start`/`end` are offsets into the passage's text (its own words, without its items)."""

    passage: Passage
    paragraph: str | None
    subparagraph: str | None
    start: int
    end: int
    locator: str

    @property
    def text(self) -> str:
        return self.passage.text[self.start:self.end]


def read_document(passages: list[Passage]) -> list[Provision]:
    """The provisions of one document's articles, in order; preambles and footnotes are not read."""
    articles = [p for p in passages if p.article and p.footnote is None]
    out: list[Provision] = []
    for p in articles:
        readings = [(u, read_unit(u)) for u in units(p)]
        for u, prov in readings:
            if u.subparagraph is not None:
                _inherit(prov, _lead_of(u, readings))
        out += [prov for _, prov in readings]
    for prov in out:
        resolve_refs(prov, passages)
    return out


def units(p: Passage) -> list[Unit]:
    """The units of a passage: its lead, its numbered paragraphs (`parts`), its lettered
    sub-paragraphs (`subparts`); a paragraph's own words stop where its first item starts."""
    para, sub = _own_labels(p)
    items = [(x, *_split(x.label)) for x in p.subparts]
    firsts = [x.start for x, _, _ in items]
    out: list[Unit] = []
    first_part = p.parts[0].start if p.parts else len(p.text)
    lead_end = min([first_part, *firsts])
    if p.text[:lead_end].strip():
        out.append(Unit(p, para, sub, 0, lead_end, p.locator))
    for x in p.parts:
        own_end = min([s for s in firsts if x.start < s < x.end], default=x.end)
        out.append(Unit(p, x.label, None, x.start, own_end, x.locator))
    for x, k, letter in items:
        out.append(Unit(p, k or para, letter, x.start, x.end, x.locator))
    return sorted(out, key=lambda u: u.start)


def read_unit(u: Unit) -> Provision:
    text = u.text
    force, words, at = read_force(text)
    return Provision(passage_id=u.passage.id, doc_id=u.passage.doc_id, locator=u.locator, article=u.passage.article or "",
                     paragraph=u.paragraph, subparagraph=u.subparagraph, force=force, force_words=words,
                     binds="" if force == "definition" else read_binds(text, at),  # a definition binds no one
                     crossrefs=find_crossrefs(text, u.passage.article or "", u.paragraph),
                     safeguards=tags_in(text))


def read_force(text: str) -> tuple[str, str, int]:
    """(force, the words that decided it, where they stand); ("other", "", len) when none do."""
    for force, pattern in _FORCE:
        if m := pattern.search(text):
            return force, _shortened(m.group(0)), m.start()
    return "other", "", len(text)


def _shortened(words: str, keep: int = 3) -> str:
    """"No derogation from articles 6, 7, ... may be" as "No derogation … may be": the words that
    decide, not the list between them."""
    tokens = words.split()
    return words if len(tokens) <= 2 * keep else " ".join(tokens[:2]) + " … " + " ".join(tokens[-2:])


def read_binds(text: str, before: int) -> str:
    """Whom the provision binds: the last party named before its operative words, else the first named."""
    found = list(_BINDER.finditer(text))
    m = next((m for m in reversed(found) if m.start() < before), None) or next(iter(found), None)
    if m is None:
        return ""
    return _CANONICAL.get(m.group(0).lower(), m.group(0))


def _inherit(prov: Provision, lead: Provision | None) -> None:
    """A lettered item reads with its lead-in ("States Parties ... undertake: (g) To repeal ..."):
    where the item's own words decide nothing, the lead's force and party hold."""
    if lead is None:
        return
    if prov.force == "other":
        prov.force, prov.force_words, prov.binds = lead.force, lead.force_words, lead.binds
    prov.binds = prov.binds or lead.binds


def _lead_of(u: Unit, readings: list[tuple[Unit, Provision]]) -> Provision | None:
    return next((prov for v, prov in reversed(readings)
                 if v.subparagraph is None and v.start <= u.start and v.paragraph == u.paragraph), None)


def _own_labels(p: Passage) -> tuple[str | None, str | None]:
    """(paragraph, sub-paragraph) of the passage itself, from its id: "art29.1.g", "art2.g", "art29.1"."""
    pieces = p.id.partition(":")[2].split("~")[0].split(".")[1:]
    if p.kind == "subparagraph":
        return (pieces[0], pieces[1]) if len(pieces) > 1 else (None, pieces[-1] if pieces else None)
    return p.paragraph, None


def _split(label: str) -> tuple[str | None, str]:
    """"1(g)" -> ("1", "g"); "g" -> (None, "g")."""
    head, _, rest = label.partition("(")
    return (head, rest.rstrip(")")) if rest else (None, head)
