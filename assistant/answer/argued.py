"""Verdicts read from the submission's own words: a question on what the submission asks for or
argues, and a question on an article numbered in a registered text that is not indexed (the
submission's "Article 73" is the CND's): what the submission argues, then the document that would
decide it and the command that fetches it."""

from __future__ import annotations

from ..index.lexical import tokenize
from ..records import Hit, Passage, Query, Source
from . import sentences
from .reading import ARTICLE, COVERS, Clause, Reading, Step, article_of, read_ask, trim

# The verbs of asking and arguing: in a question on what the submission asks for, what it asks for is the rest.
_ASKING = frozenset(tokenize("ask asks asked asking call calls called urge urges recommend recommends propose proposes argue "
                             "argues want wants request requests suggest suggests support supports oppose opposes seek seeks"))


def from_submission(query: Query, hits: list[Hit]) -> Reading:
    """Yes when a sentence of the submission, in a paragraph speaking of the article the question
    names (if any), carries most of what the question says it asks for ("we recommend that the
    article be deleted completely"); a sentence naming the article wins a tie. Else not stated:
    silence is no "no"."""
    terms = read_ask(query).terms - _ASKING
    best, score = None, 0.0
    for h in hits:
        if h.passage.role != "submission" or not _speaks_of_refs(h.passage, query) or not terms:
            continue
        # (a sentence naming another article speaks of that one: "delete Article 78" is no request about Article 12)
        for s in (x for x in _sentences(h.passage) if not _names_another(x, query)):
            got = len(terms & set(tokenize(s))) / len(terms) + (0.01 if _mentions_ref(s, query) else 0.0)
            if got > score:
                best, score = Clause(h.passage, None, s), got
    if best is None or score < COVERS:
        return Reading("not-stated", chain=[Step("No retrieved passage of the submission says so in its own words.")])
    where = "" if not query.refs or _mentions_ref(best.sentence, query) else \
        f", in its paragraph on Article {query.refs[0].article},"
    return Reading("yes", [best], [Step(f"The submission{where} says: “{trim(best.sentence, 320)}”.", [best])])


def _sentences(p: Passage) -> list[str]:
    return [p.text[a:b] for a, b in sentences.split(p.text)]


def _mentions_ref(sentence: str, query: Query) -> bool:
    return any(article_of(m.group(0)) == r.article for r in query.refs for m in ARTICLE.finditer(sentence))


def _names_another(sentence: str, query: Query) -> bool:
    asked = {r.article for r in query.refs}
    return bool(asked) and any(m.group(1) not in asked for m in ARTICLE.finditer(sentence))


def _speaks_of_refs(p: Passage, query: Query) -> bool:
    return not query.refs or any(m.split(":", 1)[-1] == r.article for r in query.refs for m in p.mentions)


def unindexed_hosts(query: Query, hits: list[Hit], indexed: set[str]) -> list[str]:
    """Registered documents, not indexed, that number an article the question names, when no indexed
    document named (or, for a bare number, none at all) has it: the submission's "Article 73" is
    the CND's, and no indexed treaty's article stands in for it."""
    out = []
    for ref in query.refs:
        if ref.doc_id is not None and ref.doc_id not in indexed:
            out.append(ref.doc_id)
            continue
        held = any(h.passage.article == ref.article and (ref.doc_id is None or h.passage.doc_id == ref.doc_id) for h in hits)
        if ref.doc_id is None and not held:
            out += [m.split(":", 1)[0] for h in hits for m in h.passage.mentions
                    if m.split(":", 1)[-1] == ref.article and m.split(":", 1)[0] not in indexed]
    return list(dict.fromkeys(out))


def not_indexed(query: Query, hits: list[Hit], docs: list[str], registry: dict[str, Source]) -> Reading:
    chain = []
    argued = _argued(query, hits)
    if argued is not None:
        chain.append(Step(f"The submission argues: “{trim(argued.sentence, 320)}”.", [argued]))
    for d in docs:
        src = registry.get(d)
        name = src.label if src else d
        numbers = [r.article for r in query.refs]
        articles = f"Article {numbers[0]}" if len(numbers) == 1 else f"Articles {', '.join(numbers[:-1])} and {numbers[-1]}"
        chain.append(Step(f"The text of {name} itself, which numbers {articles}, is not indexed, so no verdict is given on "
                          f"it: fetch it with `treaty corpus fetch {d}`, then run `treaty index`."))
    return Reading("not-stated", chain=chain, undecided_by=docs)


def _argued(query: Query, hits: list[Hit]) -> Clause | None:
    """The best-ranked sentence of the submission speaking of the article the question names."""
    for h in hits:
        if h.passage.role == "submission" and _speaks_of_refs(h.passage, query):
            s = next((s for s in _sentences(h.passage) if _mentions_ref(s, query)), None)
            if s:
                return Clause(h.passage, None, s)
    return None
