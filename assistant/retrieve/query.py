"""What a question asks, read before searching: the articles and documents it names (`parse_query`),
its separate asks (`clauses`), and whether it asks for a quantity or a definition, with the patterns
that find passages answering those."""

from __future__ import annotations

import re

from ..index.lexical import tokenize
from ..records import ArticleRef, Query
from ..refs import AliasMatcher, find_refs, named_documents, strip_references

QUESTION_WORDS = frozenset(tokenize("what which who does do say says provide provides mean establish deal with about "
                                     "need tell me article articles content contain contains cover covers text"))


# Where a question joins two asks ("How does Budapest's power ... compare with what the NGOs ask
# for ..."; "...; how do the Budapest Convention and UNTOC treat those grounds?").
_CLAUSE_BREAK = re.compile(
    r"[;?]|\b(?:compare[sd]?\s+(?:with|to)|lines?\s+up\s+with|relates?\s+to|in\s+light\s+of|versus|vs\.?"
    r"|and\s+(?=(?:how|why|what|which|whether|does|do|is|are)\b)|(?<=,)\s*(?=(?:how|why|what|which|whether)\b))",
    re.IGNORECASE)


# Questions whose answer is a quantity, and the quantities a legal text states ("ninety days",
# "three or more persons", "at least every four years", "twenty-three experts").
_ASKS_QUANTITY = re.compile(
    r"\bhow\s+(?:many|long|often|old|much|soon|frequently)\b|\b(?:minimum|maximum|longest|shortest|lowest|highest)\b"
    r"|\bwhat\s+(?:age|period|number|percentage|deadline|time\s+limit)\b|\b(?:within|up\s+to)\s+what\b", re.IGNORECASE)
# A quantity asked at the head of a clause is what the question wants: "How many members ...", "Under
# UNCAC, how long ...", "For how long ...", "what is the minimum period". Inside a clause it is part of
# a larger ask: "should there be limits on how long they run", "who oversees them and how long they
# may last", "a say over how many children". Read as quantity questions, those filled the first places
# with passages stating any number of days.
_CLAUSE_HEAD = re.compile(r"(?:^|[.?!;:,]\s*)(?:(?:and|or|but)\s+)?(?:(?:for|within|below|above|after|before|up\s+to|roughly"
                          r"|about|approximately)\s+|(?:what|which)\s+(?:is|are|was|were)\s+the\s+|what\s+|the\s+)?$",
                          re.IGNORECASE)


def asks_at_head(pattern: re.Pattern, text: str) -> bool:
    """Whether `pattern` matches `text` at the head of one of its clauses."""
    return any(_CLAUSE_HEAD.search(text[:m.start()]) for m in pattern.finditer(text))


NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
                "|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion")
_NUMBER = rf"(?:\d+|{NUMBER_WORDS})"
_QUANTITY = re.compile(
    rf"\b{_NUMBER}(?:[-, ]{_NUMBER})*\s+(?:or\s+more\s+|[a-z]+\s+)?(?:days?|weeks?|months?|years?|hours?|persons?|members?|experts?"
    rf"|States?|instruments?|per\s*cent|percent)\b|\bevery\s+{_NUMBER}\b|\bage\s+of\s+{_NUMBER}", re.IGNORECASE)


# "How does CEDAW define discrimination against women?", "what the paper means by gender", "the
# definition of gender mainstreaming": the term asked about, up to a preposition or a clause's end.
_ASKS_DEFINITION = re.compile(
    r"\b(?:defines?|definitions?\s+of|means?\s+by|meant\s+by|meaning\s+of|understands?\s+by|what\s+counts\s+as)\s+"
    r"(?:the\s+(?:term|word|notion|concept)\s+(?:of\s+)?|(?:an?|the)\s+)?[\"'“‘]?(?P<term>[A-Za-z][\w\-]*(?:\s+(?!(?:in|under|for|and|or|as|to|by|when|"
    r"according|within|from|with|is|are|was|were|does|do)\b)[A-Za-z][\w\-]*){0,3})", re.IGNORECASE)


def defining(question: str) -> re.Pattern | None:
    """For a question asking what a term means, a pattern for the passages that define it, as the
    texts do: "the term 'discrimination against women' shall mean", "'computer system' means", "We
    understand gender as"; else None."""
    m = _ASKS_DEFINITION.search(question)
    if m is None:
        return None
    term = r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", m.group("term").strip()))
    quoted = rf"[\"'“‘]?{term}[\"'”’]?"
    return re.compile(rf"\b(?:understands?|understood|defines?|defined)\s+{quoted}\s+as\b"
                      rf"|{quoted}\s+(?:shall\s+mean|means|refers\s+to|is\s+defined\s+as|is\s+understood\s+as)\b",
                      re.IGNORECASE)


def clauses(topic: str) -> list[str]:
    """The asks of a question that joins several, each of at least three terms; none for a single
    ask. One embedding of a two-part question sits between its parts and near neither, so each
    part is embedded too and a passage scores by the part it answers best."""
    parts = [p.strip(" ,") for p in _CLAUSE_BREAK.split(topic) if p and p.strip(" ,")]
    parts = [p for p in parts if len(tokenize(p)) >= 3]
    return parts if len(parts) > 1 else []


def parse_query(text: str, matcher: AliasMatcher, docs: list[str] | None = None, roles: list[str] | None = None,
                unindexed: frozenset[str] = frozenset()) -> Query:
    named = named_documents(text, matcher)
    refs = find_refs(text, matcher)
    if len(named) == 1:
        refs = [ArticleRef(r.article, r.paragraph, r.doc_id or named[0]) for r in refs]
    focus = strip_references(text, matcher, unindexed) if refs or named else text
    topic = focus if len(tokenize(focus)) >= 2 else text
    return Query(text=text, topic=topic, focus=focus, refs=refs, named_docs=named, doc_filter=list(docs or []), role_filter=list(roles or []))

