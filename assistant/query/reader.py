"""The one reading of a question: what it names (documents and how, articles and of which document,
roles), what it asks (its intent: a verdict on a yes/no question of law, a comparison, a date, a
quantity, a definition, or a lookup) and the words to search with. Retrieval, the answer, the
prompt and the TUI read the `Query` this returns; none of them reads the question's words again.

The phrasing rules it applies are data (rules.toml), each switchable by name for measuring."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..index.lexical import tokenize
from ..records import ArticleRef, Query, Source
from .legal import read_legal
from .refs import AliasMatcher, describe_mention, find_refs, mentions, named, strip_references
from .rules import Rules
from .stated import STATED

# A numbered name ("Protocol No. 2", "General Comment 7"): its word and its number.
NUMBER_OF = re.compile(r"^(.*?)\s+(?:No\.\s*)?(\d+)$")


class QueryReader:
    """Reads questions against one registry (and, when given, one index's passages): build it once,
    call it per question."""

    def __init__(self, sources: Iterable[Source], corpus=None, rules_off: Iterable[str] = ()):
        self.sources = {s.id: s for s in sources}
        self.corpus = corpus  # retrieve.stages.Corpus, to describe the articles a question names
        self.rules = Rules(frozenset(rules_off))
        self.matcher = AliasMatcher.build(list(self.sources.values()), roles=True, rules=self.rules)
        self._not_names = frozenset(self.rules.words("not_names"))

    def __call__(self, text: str, docs: list[str] | None = None, roles: list[str] | None = None) -> Query:
        unindexed = self.corpus.unindexed if self.corpus is not None else frozenset()
        found = named(text, self.matcher)
        named_docs = [n.doc_id for n in found]
        refs = find_refs(text, self.matcher)
        if len(named_docs) == 1:
            refs = [ArticleRef(r.article, r.paragraph, r.doc_id or named_docs[0]) for r in refs]
        focus = strip_references(text, self.matcher, unindexed) if refs or named_docs else text
        topic = focus if len(tokenize(focus)) >= 2 else text
        q = Query(text=text, topic=topic, focus=focus, refs=refs, named_docs=named_docs, doc_filter=list(docs or []),
                  role_filter=list(roles or []), named=found)
        if self.corpus is not None:
            q.topic = self._describe_named_articles(q)
        q.roles = list(dict.fromkeys(self.sources[n.doc_id].role for n in found if n.how == "role" and n.doc_id in self.sources))
        dated = self._asks(q)
        self._names(q)
        q.clauses = self.clauses(q.topic)
        q.generic = not tokenize(q.focus)
        q.compares = bool(self.rules.pattern("compares").search(q.focus)) or len(set(named_docs) - unindexed) >= 2
        q.legal = read_legal(q, self.rules, self.sources) if q.yes_no else None
        q.intent = ("verdict" if q.yes_no else "comparison" if q.compares else "date" if dated
                    else "quantity" if q.asks == "amount" or q.quantity else "definition" if q.term else "lookup")
        return q

    def _asks(self, q: Query) -> bool:
        """Whether it asks yes or no, and what an answer must state: an amount, a judgment, who has
        ratified; a quantity (for retrieval), a definition. Returns whether it asks for a date (its
        intent only: an answer is not required to state one, see bench/RESULTS.md)."""
        r, text = self.rules, q.text
        ruling, status = r.pattern("asks_ruling").search(text), r.pattern("asks_status").search(text)
        q.yes_no = bool(r.pattern("yes_no").search(text)) and not ruling and not status
        if ruling:
            q.asks = "cases"
        elif status:
            q.asks = "status"
        elif r.pattern("asks_cases").search(text):
            q.asks = "cases"
        elif self.at_head("asks_amount", text):
            q.asks = "amount"
        q.stated = sorted(STATED[q.asks](text)) if q.asks else []
        q.quantity = self.at_head("asks_quantity", text)
        m = r.pattern("asks_definition").search(text)
        q.term = m.group("term").strip() if m else ""
        return bool(r.pattern("asks_date").search(text))

    def at_head(self, rule: str, text: str) -> bool:
        """Whether rule `rule` matches `text` at the head of one of its clauses (`clause_head`)."""
        head = self.rules.pattern("clause_head") if self.rules.on("clause_head") else re.compile("")
        return any(head.search(text[:m.start()]) for m in self.rules.pattern(rule).finditer(text))

    def clauses(self, topic: str) -> list[str]:
        """The asks of a question that joins several, each of at least three terms; none for a single
        ask. One embedding of a two-part question sits between its parts and near neither, so each
        part is embedded too and a passage scores by the part it answers best."""
        parts = [p.strip(" ,") for p in self.rules.pattern("clause_break").split(topic) if p and p.strip(" ,")]
        parts = [p for p in parts if len(tokenize(p)) >= 3]
        return parts if len(parts) > 1 else []

    def _names(self, q: Query) -> None:
        """The names inside the question's sentences (rules `name`, `session`), registered document
        names and the words of `not_names` aside; the runs of capitalised words they stand in; and
        the words of names in the topic, which are no lead to a document's title."""
        text = q.text
        spans = sorted(self.matcher.find(text), reverse=True)
        for a, b, _ in spans:
            text = text[:a] + " " + text[b:]
        years = {self.sources[doc].date[:4] for _, _, doc in spans if doc in self.sources}
        sessions = [m.group(0) for m in self.rules.pattern("session").finditer(text)]
        found = ["".join(groups) for groups in self.rules.pattern("name").findall(text)] + sessions
        # a year beside a registered document's name is that document's date, not a name of its own
        q.names = list(dict.fromkeys(w for w in found if _word_of(w).lower() not in self._not_names and w not in years))
        q.numbered = [w for w in q.names if w in sessions or NUMBER_OF.match(w)]
        q.name_runs = self._runs(q.text)
        q.topic_names = list(dict.fromkeys(t for run in self._runs(q.topic) for t in tokenize(run)))

    def _runs(self, text: str) -> list[str]:
        # (a capital that only starts the sentence is no part of the name: "In <Name> No. N")
        lead = self.rules.pattern("leading_word")
        return list(dict.fromkeys(lead.sub("", m.group(0)) for m in self.rules.pattern("name_run").finditer(text)))

    def _describe_named_articles(self, q: Query) -> str:
        """A named article is searched for by what it is about, not by its number: its title when its
        document is indexed (the heading after "Article N –"), else what other documents say of it
        (what a submission's paragraph says the article does)."""

        topic, corpus = q.topic, self.corpus
        for ref in q.refs:
            titles = {corpus.passages[rows[0]].heading_path[-1].partition(" – ")[2]
                      for (doc, art), rows in corpus.by_article.items() if art == ref.article and ref.doc_id in (None, doc)}
            if titles:
                if ref.doc_id:  # one document: its title says what the question is about
                    topic = f"{topic} {' '.join(t for t in titles if t)}".strip()
                continue
            for p in corpus.passages:
                if p.mentions and mentions(p, ref, corpus.family(ref.doc_id)) and (d := describe_mention(p.text, ref.article)):
                    topic = f"{topic} {d}"
                    break
        return topic


def _word_of(name: str) -> str:
    """The word of a numbered name: "Article" of "Article 17"."""
    numbered = NUMBER_OF.match(name)
    return numbered.group(1) if numbered else name


def analyse(question: str, sources: Iterable[Source], settings=None, corpus=None, docs: list[str] | None = None,
            roles: list[str] | None = None) -> Query:
    """The question read once (a `QueryReader` for one question; hold a reader to read many)."""
    off = settings.query.rules_off if settings is not None else ()
    return QueryReader(sources, corpus, off)(question, docs, roles)
