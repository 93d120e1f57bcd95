"""The extractive backend: the few sentences of the top passages that best answer the question, each
followed by [n]; grouped by what the treaty text says, what comparable treaties provide, what the
submission argues and what the human-rights instruments require. It abstains when the evidence is
weak, and says what it searched. It reads the question as the query analysis read it
(`Retrieval.query`); which sentences it quotes is pick.py, what it makes of the question's names
names.py."""

from __future__ import annotations

import math

from ..index.lexical import tokenize
from ..records import Answer, AnswerSection, AnswerSentence, Citation, Source, answer_text
from ..plugins import BACKENDS
from ..retrieve import Retrieval, names_it
from .cite import with_verdict
from .library import SnapshotLibrary
from .named import cite_each_named
from .names import Names, runs
from .pick import GROUPS, Picker, coverage


# The answer's headings: a comparable treaty shares the treaty text's place in the pick, but is not
# the text under review, and the reader must not take it for it.
HEADINGS = (
    ("What the treaty text says", ("negotiating-text",)),
    ("What comparable treaties provide", ("comparator",)),
) + GROUPS[1:]
EVIDENCE_HITS = 5


@BACKENDS.register("extractive")
class Extractive:
    name = "extractive"

    def __init__(self, settings, retriever):
        self.settings = settings
        self.retriever = retriever
        self.names = Names(retriever.snapshot)
        self.pick = Picker(settings, retriever.snapshot, self.names)
        self._library: tuple[object, SnapshotLibrary | None] = (None, None)

    def answer(self, question: str, retrieval: Retrieval, registry: dict[str, Source], *, strict: bool = False,
               on_token=None) -> Answer:
        """`strict` and `on_token` are the answer backends' common interface: quoted sentences are
        supported by construction, and nothing streams. The question is read from `retrieval.query`;
        `question` is the text the answer records. A yes/no question's answer opens with its verdict
        (verdict.py)."""
        answer = cite_each_named(self._answer(question, retrieval, registry), retrieval.hits, retrieval.query.named_docs,
                                 retrieval.query.focus)
        return with_verdict(answer, retrieval, registry, self.library, set(self.retriever.snapshot.doc_ids()))

    @property
    def library(self) -> SnapshotLibrary:
        """The provisions of the open index, read once per snapshot."""
        snapshot = self.retriever.snapshot
        if self._library[0] is not snapshot:
            self._library = (snapshot, SnapshotLibrary(snapshot.passages, snapshot.provisions))
        return self._library[1]

    def _answer(self, question: str, retrieval: Retrieval, registry: dict[str, Source]) -> Answer:
        q = retrieval.query
        picked = self.pick(retrieval, registry)
        evidence = self._evidence(retrieval)
        missing = [registry[d] for d in _relevant_missing(retrieval, registry, self.pick.generic)]
        if not picked or self._too_weak(retrieval, evidence):
            return self._abstain(question, retrieval, registry, missing, evidence)
        hits = [h for _, h, _ in picked]
        absent = self.names.absent(q, hits, registry) or self._unread(retrieval, picked, registry)
        if absent:
            return self._abstain(question, retrieval, registry, missing, evidence, absent=absent)
        unstated = self.names.unstated(q, hits, registry)
        if unstated:
            return self._abstain(question, retrieval, registry, missing, evidence, unstated=unstated)
        # An answer lists only what the question itself names or asks about: a title sharing a word
        # with the question is a lead worth giving when nothing answers, noise beside an answer.
        named = [registry[d] for d in retrieval.missing if d in registry]
        return self._compose(question, retrieval, picked, named, evidence)

    def _evidence(self, retrieval: Retrieval) -> float:
        """How well the best of the top passages answers: meaning match and share of the question's
        own terms (idf-weighted, near-synonyms at half), averaged."""
        weights = self.pick.term_weights(retrieval.query.focus)
        return max((0.5 * max(h.dense, 0.0) + 0.5 * coverage(weights, set(tokenize(f"{h.passage.context} {h.passage.text}")))
                    for h in retrieval.hits[:EVIDENCE_HITS]), default=0.0)

    def _too_weak(self, retrieval: Retrieval, evidence: float) -> bool:
        """Abstain below the calibrated threshold; a passage the question names (an article, or a
        paragraph that mentions it) is evidence enough. A question about documents that are not
        indexed needs stronger evidence: the indexed ones rarely answer for them."""
        if any(names_it(h) for h in retrieval.hits[:3]):
            return False
        indexed = set(self.retriever.snapshot.doc_ids())
        named = retrieval.query.named_docs
        only_missing = bool(named) and not any(d in indexed for d in named)
        strict = only_missing or bool(self.names.unknown(retrieval.query))
        floor = self.settings.answer.abstain_below_unindexed if strict else self.settings.answer.abstain_below
        return evidence < floor

    def _unread(self, retrieval: Retrieval, picked: list, registry: dict[str, Source]) -> list[str]:
        """The documents a question asks about when none of them is indexed and no passage the answer
        would quote speaks of them: what a treaty says is not answered by footnotes citing other
        resolutions. A passage quoting a named text does answer for it, as far as it quotes."""
        named = retrieval.query.named_docs
        if not named or set(named) & set(self.retriever.snapshot.doc_ids()) or any(names_it(h) for _, h, _ in picked):
            return []
        spoken = {doc for _, h, _ in picked for _, _, doc in self.retriever.matcher.find(h.passage.text)}
        return [] if spoken & set(named) else [registry[d].short if d in registry else d for d in named]


    def _compose(self, question, retrieval, picked, missing, evidence) -> Answer:
        numbers: dict[tuple[str, str | None, str | None], int] = {}
        citations: list[Citation] = []
        sections = []
        roles_present = {h.passage.role for _, h, _ in picked}
        # Groups in the order of their best passage: the document the question is about leads.
        rank = {h.passage.id: i for i, h in enumerate(retrieval.hits)}
        groups = sorted(HEADINGS, key=lambda g: min((rank[h.passage.id] for _, h, _ in picked if h.passage.role in g[1]), default=99))
        for heading, roles in groups:
            rows = [(h, s) for _, h, s in picked if h.passage.role in roles]
            # the documents the question names first, then one passage's sentences in its own order: a
            # sentence saying what "it" consists of follows the sentence establishing what it refers to
            named = retrieval.query.named_docs
            rows.sort(key=lambda r: (r[0].passage.doc_id not in named, rank[r[0].passage.id], r[0].passage.text.find(r[1])))
            if not rows:
                continue
            quoted = []
            for h, s in rows:
                # each paragraph of a whole-article passage is its own source: [n] pinpoints it
                part, sub = h.passage.part_of(s), h.passage.subpart_of(s)
                key = (h.passage.id, part.label if part else None, sub.label if sub else None)
                if key not in numbers:
                    numbers[key] = len(numbers) + 1
                    citations.append(Citation(numbers[key], h, s, part, sub))
                quoted.append(AnswerSentence(s, [numbers[key]]))
            # (every heading's group is one role of document)
            sections.append(AnswerSection(roles[0], heading if len(roles_present) > 1 else "", quoted))
        text = answer_text(sections, {c.n: c.hit.passage.doc_id for c in citations})
        notes = _notes(retrieval, missing)
        return Answer(question, text, False, "extractive", citations, retrieval.hits, sections, notes, missing,
                      dict(retrieval.timings_ms), evidence)

    def _abstain(self, question, retrieval, registry, missing, evidence, absent: list[str] = (), unstated: str = "") -> Answer:
        searched = [registry[d].short if d in registry else d for d in (retrieval.query.doc_filter or self.retriever.snapshot.doc_ids())]
        nearest = "; ".join(h.passage.locator for h in retrieval.hits[:3]) or "none"
        text = (f"The indexed documents do not answer this question clearly. Searched: {', '.join(searched)}"
                + (f" (roles: {', '.join(retrieval.query.role_filter)})" if retrieval.query.role_filter else "")
                + f". Nearest passages: {nearest}.")
        q = retrieval.query
        unknown = self.names.unknown(q)
        if unknown:
            text += f" The indexed documents never mention {', '.join(runs(q, set(unknown)))}."
        if absent:
            text += f" The passages that best match never mention {', '.join(absent)}."
        if unstated:
            where = runs(q, set(self.names.known(q)))
            text += f" None of the passages that best match {unstated}" + \
                (f" where it speaks of {', '.join(where)}." if where else ".")
        if missing:
            text += " Registered but not downloaded, and possibly holding the answer: " + \
                "; ".join(m.label for m in missing) + "."
        return Answer(question, text, True, "extractive", [], retrieval.hits, abstention(text), _notes(retrieval, missing),
                      missing, dict(retrieval.timings_ms), evidence)


def abstention(text: str) -> list[AnswerSection]:
    """The sections of an answer that abstains: why, as one statement citing nothing."""
    return [AnswerSection("abstention", "", [AnswerSentence(text)])]


def _notes(retrieval: Retrieval, missing: list[Source]) -> list[str]:
    notes = []
    labelled = sorted({h.label for h in retrieval.hits if h.label})
    if labelled:
        notes.append("No document was named, so each document's article is shown: " + "; ".join(labelled) + ".")
    for m in missing:
        articles = list(dict.fromkeys(ref.article for ref in retrieval.query.refs
                                      if any(f"{m.id}:{ref.article}" in h.passage.mentions for h in retrieval.hits)))
        if articles:
            which = f"Article {articles[0]} is" if len(articles) == 1 else \
                f"Articles {', '.join(articles[:-1])} and {articles[-1]} are"
            notes.append(f"{which} numbered as in {m.label}, which is registered but not downloaded; the passages "
                         f"cited are what the indexed documents say about {'it' if len(articles) == 1 else 'them'}.")
    return notes


def _relevant_missing(retrieval: Retrieval, registry: dict[str, Source], generic: frozenset[str]) -> list[str]:
    """Not-downloaded documents the question points at: named ones, the hosts of the articles it asks
    about, then those whose titles share the question's terms: the terms of what it asks, not the
    names of the documents it names (a named convention's title shares words with other bodies')."""
    out = list(retrieval.missing)
    # (the words of a name are not what it asks about: a national law's name is no lead to a treaty
    # whose title shares a word with it)
    names = set(retrieval.query.topic_names)
    terms = {t for t in tokenize(retrieval.query.topic) if t not in generic and len(t) > 3 and t not in names}
    titles = {s.id: set(tokenize(f"{s.title} {' '.join(s.aliases)}")) for s in registry.values()}
    ranked = []
    for s in registry.values():
        if s.id in out or s.path:  # a local copy means indexed or available, not missing
            continue
        shared = terms & titles[s.id]
        # A word many titles have says little ("report", "right", "human"): the shared words must
        # weigh, by how few titles have them, at least as much as one word that only this title has.
        weight = sum(math.log(len(titles) / sum(t in words for words in titles.values())) for t in shared)
        if shared and weight >= math.log(len(titles)) - 1e-9:
            ranked.append((-weight, s.id))
    out += [d for _, d in sorted(ranked)[:4]]
    return out
