"""Which sentences of the top passages the extractive answer quotes: each scored by its passage's
rank and meaning match and by how much of the question's own (idf-weighted) terms it carries, then
picked greedily, a couple per passage and per article, with room for each group of documents."""

from __future__ import annotations

import re

from ..ingest.clean import fold
from ..lexical import concepts, tokenize
from ..query.rules import Rules
from ..query.stated import STATED, URL
from ..records import Hit, Source
from ..retrieve import Retrieval, names_it
from . import sentences
from .names import Names, seen_text, speaks_of

# Groups of documents by role, as the answer keeps each in view.
GROUPS = (
    ("What the treaty text says", ("negotiating-text", "comparator")),
    ("What the submission argues", ("submission",)),
    ("What the human-rights instruments require", ("instrument",)),
)
MAX_PER_PASSAGE = 2
MAX_PER_ARTICLE = 3  # sentences of one article: a long article has dozens of paragraphs
CANDIDATE_HITS = 10
RANK_WEIGHT = 0.8  # a sentence's score: its passage's retrieval score and meaning match ...
COVERAGE_FLOOR = 0.5  # ... scaled by how much of the question's terms it carries
SENTENCE_EVIDENCE = 0.5  # a sentence from another group of documents must stand on its own this well
REFERENCE = 0.5  # a footnote's sentence giving a web address
RELATIVE_FLOOR = 0.7  # a sentence scoring well under the best one adds noise, not evidence
STATES_WHAT_ASKED = 0.3  # a sentence stating what the question asks for: an amount, a judgment, a ratification
NAMELESS = 0.5  # a sentence from a passage not speaking of the question's names, when others do
GROUP_COVERAGE = 0.1  # share of the question's terms a sentence brought in for its group must carry
REFERRAL_COVERAGE = 0.3  # share of the question's terms a sentence of a referred-to article must carry


def coverage(weights: dict[str, tuple[float, list[str]]], tokens: set[str]) -> float:
    """Share of the question's terms (idf-weighted) a sentence carries; a near-synonym counts half."""
    total = sum(w for w, _ in weights.values()) or 1.0
    got = sum(w if t in tokens else (0.5 * w if any(x in tokens for x in syn) else 0.0) for t, (w, syn) in weights.items())
    return got / total


def _unit(row) -> tuple[str, str | None]:
    """What a sentence is counted against: its passage, or its paragraph in a whole article."""
    p, part = row[1].passage, row[1].passage.part_of(row[2])
    return p.id, part.label if part else None


def _sentence_evidence(row) -> float:
    """How well one sentence answers: its passage's meaning match and its share of the question's terms."""
    _, hit, _, coverage = row
    return 0.5 * max(hit.dense, 0.0) + 0.5 * coverage



class Picker:
    """Picks an answer's sentences from one index's passages; reuse it across questions."""

    def __init__(self, settings, snapshot, names: Names):
        self.settings = settings
        self.snapshot = snapshot
        self.names = names
        # words every question shares with every passage (rules.toml `generic_terms`)
        self.generic = frozenset(tokenize(" ".join(Rules(frozenset(settings.query.rules_off)).words("generic_terms"))))

    def __call__(self, retrieval: Retrieval, registry: dict[str, Source]) -> list[tuple[float, Hit, str]]:
        """Score each sentence of the top passages: the passage's rank and meaning match, and how much
        of the question's own (idf-weighted) terms the sentence carries. Then pick greedily, a couple
        per passage and per article, and make room for each kind of document the evidence spans."""
        hits = retrieval.hits[:CANDIDATE_HITS]
        if not hits:
            return []
        q = retrieval.query
        weights = self.term_weights(q.focus or q.text)
        top = hits[0].score
        find = STATED.get(q.asks)
        own = set(q.stated)
        # Where some passage speaks of the question's names, one that does not (an article sharing a
        # common word with them) answers something else.
        names = self.names.known(q)
        speaks = {id(h): all(speaks_of(seen_text([h], registry), w) for w in names) for h in hits} if names else {}
        nameless = {id(h) for h in hits if not speaks[id(h)] and not names_it(h)} if any(speaks.values()) else set()
        scored = []
        leads: dict[tuple[int, str], str] = {}  # a list item's unit -> the unit opening its list
        for h in hits:
            spans = sentences.split(h.passage.text)
            for (a, b), lead in zip(spans, sentences.leads(h.passage.text, spans)):
                s = h.passage.text[a:b]
                words = tokenize(URL.sub(" ", s))
                # a fragment, or a bare reference ("Available at: https://…", "id."), states nothing
                if (len(s) < 25 and len(h.passage.text) > 25) or len(words) < 3:
                    continue
                if lead is not None:
                    # an item is read with its list's opening, and answers with its words too: an
                    # item naming a ground is a ground for what the opening restricts
                    leads[(id(h), s)] = h.passage.text[slice(*spans[lead])]
                    words += tokenize(leads[(id(h), s)])
                share = coverage(weights, set(words))
                # Rank and meaning choose the passage; the question's own terms choose within it.
                score = (RANK_WEIGHT * h.score / top + (1 - RANK_WEIGHT) * max(h.dense, 0.0)) \
                    * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * share)
                if find and find(s) - own:
                    score *= 1 + STATES_WHAT_ASKED
                if id(h) in nameless:
                    score *= NAMELESS
                # a footnote's title and address is where a statement comes from, not a statement
                if h.passage.footnote is not None and URL.search(s):
                    score *= REFERENCE
                scored.append((score, h, s, share))
        scored.sort(key=lambda x: -x[0])
        chosen = self._select(scored, hits, nameless, self.term_weights(q.topic))
        chosen += self._referrals(chosen, scored)
        chosen += _leads(chosen, scored, leads)
        return [(sc, h, s) for sc, h, s, _ in chosen]

    def term_weights(self, text: str) -> dict[str, tuple[float, list[str]]]:
        """The idf weight and near-synonyms of each of a text's terms, the generic ones aside."""
        lex = self.snapshot.lexical
        return {t: (lex.idf(t), syn) for t, syn in concepts(text).items() if t not in self.generic}

    @staticmethod
    def _referrals(chosen: list, scored: list) -> list:
        """A passage brought in because a named article refers to it ("subject to Articles 14 and
        15") is quoted with the referring sentence, so the reader sees why it applies."""
        extra = []
        for _, hit, _, _ in chosen:
            for reason in hit.reasons:
                if reason.rule != "crossref":
                    continue
                source = reason.matched
                target = hit.passage.article
                for row in scored:
                    p, s = row[1].passage, row[2]
                    if p.doc_id == hit.passage.doc_id and p.article == source and re.search(rf"\b{re.escape(target)}\b", s) \
                            and row not in chosen and row not in extra:
                        extra.append(row)
                        break
        return extra

    def _select(self, scored: list, top_hits: list[Hit], nameless: set[int], topic: dict) -> list:
        limit = self.settings.answer.max_sentences
        per_passage: dict[str, int] = {}
        per_article: dict[tuple, int] = {}
        chosen = []
        said: set[str] = set()
        # The passage the question names (an article, or the paragraph that mentions it) is quoted
        # first, whatever its wording: it is what the question is about.
        named = next((r for r in scored if names_it(r[1])), None)
        ordered = ([named] if named else []) + [r for r in scored if r is not named]
        for row in ordered:
            p = row[1].passage
            key = (p.doc_id, p.article or p.id)
            unit = _unit(row)
            if per_passage.get(unit, 0) >= MAX_PER_PASSAGE or per_article.get(key, 0) >= MAX_PER_ARTICLE:
                continue
            # two treaties that say a paragraph in the same words: it is quoted once
            if _wording(row[2]) in said:
                continue
            if len(chosen) >= limit or (chosen and row[0] < RELATIVE_FLOOR * max(r[0] for r in chosen)):
                break
            chosen.append(row)
            said.add(_wording(row[2]))
            per_passage[unit] = per_passage.get(unit, 0) + 1
            per_article[key] = per_article.get(key, 0) + 1
        if not chosen:
            return chosen
        # An article the named one refers to ("subject to Articles 14 and 15") answers for it: its
        # sentence that speaks to the question is quoted even when its own rank is low.
        for hit in top_hits:
            if any(r.rule == "crossref" for r in hit.reasons) and not any(r[1] is hit for r in chosen):
                best = max((r for r in scored if r[1] is hit), key=lambda r: r[3], default=None)
                if best is not None and best[3] >= REFERRAL_COVERAGE:
                    chosen.append(best)
        # A group of documents (treaty text, submission, instruments) absent from the pick gets its
        # best sentence in when search alone ranks that passage close to its best find (the rule by
        # which retrieval keeps each group in view), or when the sentence is evidence enough itself.
        plain = [h.score for h in top_hits if not names_it(h) and not any(r.rule == "crossref" for r in h.reasons)]
        close = self.settings.retrieval.group_floor * max(plain, default=float("inf"))
        for _, roles in GROUPS:
            if any(r[1].passage.role in roles for r in chosen):
                continue
            # (not from a passage that leaves out what the question is about, nor a sentence sharing
            # none of the question's terms, there by its passage's rank alone. The terms include what
            # the documents say a named article is about, so that a comparable treaty's article on the
            # same power shares them.)
            best = next((r for r in scored if r[1].passage.role in roles and id(r[1]) not in nameless
                         and (names_it(r[1]) or coverage(topic, set(tokenize(r[2]))) >= GROUP_COVERAGE)), None)
            if best is not None and (best[1].score >= close or _sentence_evidence(best) >= SENTENCE_EVIDENCE):
                chosen.append(best)
        return chosen



def _wording(sentence: str) -> str:
    """A sentence's words, without its paragraph number: "22. States Parties may not refuse ..."."""
    return fold(re.sub(r"^\s*\d+\.\s+", "", sentence))


def _leads(chosen: list, scored: list, leads: dict[tuple[int, str], str]) -> list:
    """The opening of each quoted list item's list, where it is not quoted already: the reader sees
    what the item is an item of."""
    extra = []
    for row in chosen:
        lead = leads.get((id(row[1]), row[2]))
        if lead is None or any(r[1] is row[1] and r[2] == lead for r in chosen + extra):
            continue
        extra += [r for r in scored if r[1] is row[1] and r[2] == lead][:1]
    return extra

