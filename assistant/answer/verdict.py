"""The verdict of a yes/no question of law, read from the provisions rather than from the quotes.

`decide(query, hits, library)` reads the provisions (`records.Provision`: force, cross-references,
safeguard tags) of the article the question is about, then the provisions that refer to it (ICCPR
art. 4(2), "No derogation from articles ... 18"), then the provisions it refers to (Budapest art.
21(4), "subject to Articles 14 and 15"), and returns a `Reading`: the label, the decisive clause(s)
and the chain that leads there, as clauses of retrieved passages. `cite(answer, reading)` (cite.py)
numbers them into the answer, decisive clause first, and sets `Answer.verdict`.

A question about what the submission asks for or argues is read from the submission's own words
(argued.py). Where no clause decides, the label is "not-stated", never a guess; when the article
asked about is numbered in a registered document that is not indexed (Article 73 of the CND), the
chain names that document and the command that fetches it (argued.py), and no other treaty's article
stands in for it. The records (`Clause`, `Step`, `Reading`, `Ask`) are in reading.py."""

from __future__ import annotations

import re

from ..index.lexical import tokenize
from ..records import Hit, Passage, Provision, Query, Source
from .argued import from_submission, not_indexed, unindexed_hosts
from .reading import COVERS, Ask, Clause, Library, Reading, Step, article_of, read_ask, trim

# A clause on derogation, for a question asking about it.
_DEROGATING = re.compile(r"\bderogat\w*|\bsuspen(?:d|sion)\w*", re.IGNORECASE)

# How each force answers each ask. A permission or a discretion leaves the matter to the State: the
# safeguard is then conditional, not required. A force missing here decides nothing for that ask.
_ANSWERS = {
    "requires": {"obligation": "yes", "prohibition": "no", "permission": "conditional", "discretionary": "conditional"},
    "permits": {"obligation": "yes", "permission": "yes", "discretionary": "conditional", "prohibition": "no"},
    "prohibits": {"prohibition": "yes", "permission": "no", "discretionary": "conditional"},
}
# A permission granted only on conditions ("to the extent strictly required", "provided that") is
# conditional, not a plain yes.
_PROVISO = re.compile(r"\bprovided\s+that\b|\bto\s+the\s+extent\b|\bsubject\s+to\b|\bonly\s+(?:if|where|when|to)\b"
                      r"|\bin\s+accordance\s+with\b", re.IGNORECASE)

# Tags close enough that a provision on one answers a question on the other: supervision by a judge
# is the law's answer to a question on a judge's prior authorisation, and the reverse.
_KIN = {"prior-judicial-authorisation": {"independent-supervision"}, "independent-supervision": {"prior-judicial-authorisation"}}

SUBJECTS = 5  # best-ranked articles read, in turn, for a question naming none
def decide(query: Query, hits: list[Hit], library: Library, registry: dict[str, Source],
           indexed: set[str]) -> Reading | None:
    """The verdict of a yes/no question (None for any other question). `indexed` are the documents
    in the index; `registry` all registered ones."""
    if not query.yes_no:
        return None
    if query.legal and query.legal.of_submission:
        return from_submission(query, hits)
    unindexed = unindexed_hosts(query, hits, indexed)
    if unindexed:
        return not_indexed(query, hits, unindexed, registry)
    ask = read_ask(query)
    subjects = _subjects(query, hits, library)
    if not subjects:
        return Reading("not-stated", chain=[Step("No retrieved article of the texts the question names speaks to it.")])
    return next((r for subject in subjects if (r := _read_law(ask, subject, hits, library))), None) or _silent(subjects[0])


# --- the article the question is about --------------------------------------------------------------

def _subjects(query: Query, hits: list[Hit], library: Library) -> list[list[Clause]]:
    """The articles whose reading may decide, each as its clauses: the article the question names
    (its paragraph first, when named); without a reference, the best-ranked `SUBJECTS` articles (of
    the documents the question names, if it names any), each read in turn until one decides: the
    article on real-time collection before the article on safeguards it is subject to."""
    for ref in query.refs:
        rows = [h for h in hits if h.passage.article == ref.article and h.passage.kind != "footnote"
                and (ref.doc_id is None or h.passage.doc_id == ref.doc_id)
                and (ref.doc_id is not None or not query.named_docs or h.passage.doc_id in query.named_docs)
                and library.provisions(h.passage.id)]
        docs = list(dict.fromkeys(h.passage.doc_id for h in rows))
        if len(docs) == 1:
            clauses = [c for h in rows for c in clauses_of(h.passage, library)]
            if ref.paragraph:
                clauses.sort(key=lambda c: (c.provision.paragraph if c.provision else None) != ref.paragraph)
            return [clauses]
    if query.refs:
        return []
    return [clauses_of(h.passage, library) for h in hits if h.passage.article and library.provisions(h.passage.id)
            and (not query.named_docs or h.passage.doc_id in query.named_docs)][:SUBJECTS]


# The bodies a treaty sets up: a clause binding them says how they work, not what a State must do.
_BODIES = re.compile(r"\b(?:Committee|Court|Secretary-General|Conference|Commission|Tribunal)\b", re.IGNORECASE)


def _binds_organ(c: Clause) -> bool:
    return bool(c.provision and _BODIES.search(c.provision.binds))


def clauses_of(passage: Passage, library: Library) -> list[Clause]:
    return [clause(passage, p) for p in library.provisions(passage.id)]


def clause(passage: Passage, provision: Provision) -> Clause:
    """A provision as a citable clause: the part of the passage that holds it, and its words."""
    sub = next((x for x in passage.subparts if x.locator == provision.locator), None)
    part = next((x for x in passage.parts if x.locator == provision.locator), None) or \
        next((x for x in passage.parts if x.label == provision.paragraph), None)
    pin = sub or part
    text = passage.text[pin.start:pin.end] if pin else passage.text
    return Clause(passage, part, text.strip() if sub else _sub_text(text, provision.subparagraph), provision, sub)


def _sub_text(text: str, sub: str | None) -> str:
    """A lettered sub-paragraph's words, "(g) ..." up to the next letter; the paragraph when not found."""
    if not sub:
        return text.strip()
    m = re.search(rf"(?:^|\s)\(?{re.escape(sub)}\)\s", text)
    if not m:
        return text.strip()
    nxt = re.search(r"[;.]?\s\(?[a-z]{1,4}\)\s", text[m.end():])
    return text[m.start():m.end() + (nxt.start() + 1 if nxt else len(text))].strip()


# --- reading the law ---------------------------------------------------------------------------------

def _speaks_to(ask: Ask, c: Clause) -> bool:
    """A clause answers the ask when it carries a safeguard the question names (or its kin), or,
    when the question names none, most of the question's own terms."""
    p = c.provision
    if p is None or p.force not in ("obligation", "prohibition", "permission", "discretionary"):
        return False
    if _binds_organ(c) and not ask.organs:
        return False
    tags = {t.tag for t in p.safeguards}
    if ask.derogation and _DEROGATING.search(c.sentence):
        return True
    if ask.tags:
        return bool(tags & (ask.tags | {k for t in ask.tags for k in _KIN.get(t, ())}))
    terms = set(tokenize(c.sentence))
    return bool(ask.terms) and len(ask.terms & terms) / len(ask.terms) >= COVERS


def _label(ask: Ask, c: Clause, through: bool) -> str | None:
    label = _ANSWERS[ask.kind].get(c.provision.force)
    if label == "yes" and (through or (c.provision.force == "permission" and _PROVISO.search(c.sentence))):
        return "conditional"  # it holds only through another provision, or on conditions
    return label


def _read_law(ask: Ask, subject: list[Clause], hits: list[Hit], library: Library) -> Reading | None:
    # the article's own words decide first; then a provision naming it (an exception, a list of
    # rights not to be derogated from); then the provisions it is subject to
    for c in subject:
        if _speaks_to(ask, c) and (label := _label(ask, c, False)):
            return Reading(label, [c], [Step(_says(c, ask), [c])])
    for src, c in _incoming(subject, hits, library):
        if _speaks_to(ask, c) and (label := _label(ask, c, False)):
            return Reading(label, [c], [Step(f"{_cap(_short(c))} refers to {_article_short(src)}.", [c]), Step(_says(c, ask), [c])])
    for src, ref, c in _outgoing(subject, library):
        if _speaks_to(ask, c) and (label := _label(ask, c, True)):
            return Reading(label, [c], [Step(f"{_cap(_short(src))} {_REFERS.get(ref.kind, 'refers to')} "
                                             f"{_listed(ref.targets) or ref.words}: “{ref.words}”.", [src]),
                                        Step(_says(c, ask), [c])])
    if ask.derogation:
        # no clause names the article: the document's general clause on derogation governs it
        for c in _same_document(subject, hits, library):
            if c.provision.force == "permission" and _speaks_to(ask, c) and (label := _label(ask, c, False)):
                return Reading(label, [c], [Step(f"No provision names {_article_short(subject[0])} among those "
                                                 "not to be derogated from.", []), Step(_says(c, ask), [c])])
    return None


def _same_document(subject: list[Clause], hits: list[Hit], library: Library):
    ids = {c.passage.id for c in subject}
    for h in hits:
        if h.passage.doc_id == subject[0].passage.doc_id and h.passage.id not in ids:
            yield from clauses_of(h.passage, library)


def _silent(subject: list[Clause]) -> Reading:
    """No clause of the article, of those naming it or of those it refers to, speaks to the question."""
    first = subject[0]
    where = first.provision.locator.rsplit("(", 1)[0] if first.provision else first.passage.locator
    return Reading("not-stated", chain=[Step(f"Neither {where} nor the provisions it refers to, or that refer to it, "
                                             "speak to this; the indexed texts do not decide it.")])


_REFERS = {"subject-to": "is subject to", "in-accordance-with": "applies in accordance with", "referred-to": "refers to",
           "preceding": "refers to"}
_FORCE_SAYS = {"obligation": "requires it", "prohibition": "rules it out", "permission": "permits it, without requiring it",
               "discretionary": "requires it only"}


def _says(c: Clause, ask: Ask) -> str:
    """What the decisive clause does, in its own words: "Art. 15(2) requires it only “as appropriate
    in view of the nature of the procedure or power concerned”: “Such conditions …”"."""
    p = c.provision
    how = f" “{_qualifier(c.sentence, p.force_words)}”" if p.force == "discretionary" and p.force_words else ""
    return f"{_cap(_short(c))} {_FORCE_SAYS[p.force]}{how}: “{trim(c.sentence)}”."


def _qualifier(sentence: str, words: str) -> str:
    """The discretion's words with what qualifies them, up to the clause's next comma: "as
    appropriate in view of the nature of the procedure or power concerned"."""
    at = sentence.lower().find(words.lower())
    if at < 0:
        return words
    end = min((i for i in (sentence.find(",", at + len(words)), sentence.find(";", at + len(words))) if i > 0),
              default=len(sentence))
    return sentence[at:end].strip(" .")


def _short(c: Clause) -> str:
    loc = c.provision.locator if c.provision else c.passage.locator
    return loc.split(", ", 1)[1] if ", art." in loc else loc


def _article_short(c: Clause) -> str:
    return f"art. {c.passage.article}" if c.passage.article else _short(c)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _listed(targets: list[str]) -> str:
    """"arts. 14 and 15" for ["art. 14", "art. 15"]."""
    if len(targets) < 2:
        return "".join(targets)
    bare = [t.removeprefix("art. ") for t in targets]
    return f"arts. {', '.join(bare[:-1])} and {bare[-1]}"


def _incoming(subject: list[Clause], hits: list[Hit], library: Library):
    """(the subject clause, a provision of the same document referring to the subject's article)."""
    first = subject[0]
    doc, article = first.passage.doc_id, first.passage.article
    ids = {c.passage.id for c in subject}
    for h in hits:
        # (an article's own paragraphs, in passages of their own, refer to each other: that is not another provision)
        if h.passage.doc_id != doc or h.passage.id in ids or h.passage.article == article:
            continue
        for c in clauses_of(h.passage, library):
            if any(set(r.passage_ids) & ids or any(article_of(t) == article for t in r.targets) for r in c.provision.crossrefs):
                yield first, c


def _outgoing(subject: list[Clause], library: Library):
    """(the referring clause, its reference, a clause of a passage it refers to), followed one step."""
    seen = {c.passage.id for c in subject}
    for src in subject:
        for ref in src.provision.crossrefs if src.provision else ():
            for pid in ref.passage_ids:
                target = library.passage(pid)
                if target is None or pid in seen:
                    continue
                for c in clauses_of(target, library):
                    yield src, ref, c
