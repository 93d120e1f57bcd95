"""The extractive backend: the few sentences of the top passages that best answer the question, each
followed by [n]; grouped by what the treaty text says, what comparable treaties provide, what the
submission argues and what the human-rights instruments require. It abstains when the evidence is
weak, and says what it searched."""

from __future__ import annotations

import bisect
import math
import re

from ..ingest.clean import fold
from ..lexical import concepts, tokenize
from ..records import Answer, AnswerSection, AnswerSentence, Citation, Hit, Source, answer_text
from ..registry import BACKENDS
from ..retrieve import NUMBER_WORDS, Retrieval, asks_at_head, names_it
from . import sentences
from .cite import with_verdict
from .library import SnapshotLibrary
from .named import cite_each_named

GROUPS = (
    ("What the treaty text says", ("negotiating-text", "comparator")),
    ("What the submission argues", ("submission",)),
    ("What the human-rights instruments require", ("instrument",)),
)
# Roles of the texts adopted by states, whose words cannot say who has since ratified them (nor, short
# of a resolution noting it, who has ratified another).
TREATY_ROLES = ("negotiating-text", "comparator", "instrument")
# The answer's headings: a comparable treaty (Budapest, UNTOC, UNCAC) shares the treaty text's place
# in the pick, but is not the text under review, and the reader must not take it for it.
HEADINGS = (
    ("What the treaty text says", ("negotiating-text",)),
    ("What comparable treaties provide", ("comparator",)),
) + GROUPS[1:]
# Words every question here shares with every passage; they say nothing about which passage answers.
_GENERIC = frozenset(tokenize("article articles convention treaty document provision provisions state states party parties shall "
                             "require requires required"))
MAX_PER_PASSAGE = 2
MAX_PER_ARTICLE = 3  # sentences of one article: UNTOC art. 18 has thirty paragraphs
CANDIDATE_HITS = 10
# The words of a web address are not statements: "Available at: https://…/spyware-…-moratorium-sale"
# answers nothing about spyware sales.
_URL = re.compile(rf"\b{sentences.ADDRESS}")
# A name: a capitalised word with lower-case letters that does not open a sentence, an acronym ("EU",
# "PECA") or a year ("by 2024"); each pins the question to something a passage must speak of.
# "Protocol No. 16" is one name: "the Protocols thereto" do not speak of it.
# So is "General Comment 34" (not "Resolution 77", of "resolution 77/211"): the number belongs to the name.
_NAME_NUMBER = r"(?:\s+(?:No\.\s*)?\d+(?![\d/]|\.\d))?"
_NAME = re.compile(rf"(?<![.?!:]\s)(?<!^)\b([A-Z][a-z][A-Za-z\-]+{_NAME_NUMBER})|\b([A-Z]{{2,}})s?\b|\b((?:1[89]|20)\d\d)\b")
# "Prevention of Electronic Crimes Act" is one name.
_NAME_RUN = re.compile(rf"\b(?:[A-Z][a-z][A-Za-z\-]*|[A-Z]{{2,}})(?:\s+(?:of\s+(?:the\s+)?)?(?!No\.)[A-Z][a-z][A-Za-z\-]*)*{_NAME_NUMBER}"
                       r"|\b(?:1[89]|20)\d\d\b")
_LEADING_WORD = re.compile(r"^(?:(?:In|Under|On|At|By|For|From|With|Within|What|Which|Who|Whom|Whose|Where|When|How|Why|Does|Do|Did"
                           r"|Is|Are|Was|Were|Can|Could|May|Might|Must|Shall|Should|Will|Would|Has|Have|Had|The|A|An|According)\s+)+")
# "the sixth session" is one meeting of a body, as particular as a numbered name: a passage on the fifth
# session does not speak of it.
_SESSION = re.compile(r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
                      r"|\d+(?:st|nd|rd|th))\s+session\b", re.IGNORECASE)
_NUMBER_OF = re.compile(r"^(.*?)\s+(?:No\.\s*)?(\d+)$")
# Questions that ask for a date or an amount are answered by a passage stating one, not by one that
# only shares their words. "When was / did / will" asks for a date; "When does the ECHR allow
# derogation?" asks for conditions, and "When one Party preserves data ..." for nothing.
_ASKS_DATE = re.compile(r"^\W*(?:since\s+)?when\s+(?:was|were|did|will)\b"
                        r"|\b(?:which|what)\s+(?:dates?|days?|years?|months?)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:January|February|March|April|May|June|July|August|September|October"
                   r"|November|December)\b")
# Stricter than retrieval's ASKS_QUANTITY, as a miss here abstains: "what minimum safeguards" and "how
# much discretion" ask for no amount.
_MEASURE = r"(?:period|term|time|duration|age|number|length|sentence|penalty|fine|notice|days?|weeks?|months?|years?|hours?)"
_ASKS_AMOUNT = re.compile(
    rf"\bhow\s+(?:many|long|often|old|soon|frequently)\b|\bhow\s+much\s+{_MEASURE}\b"
    rf"|\b(?:minimum|maximum|longest|shortest|lowest|highest)\s+(?:\w+\s+)?{_MEASURE}\b"
    r"|\bwhat\s+(?:age|period|number|percentage|deadline|time\s+limit)\b|\b(?:within|up\s+to)\s+what\b"
    r"|\bwhat\s+(?:\w+\s+)?(?:prison|jail)\s+(?:terms?|sentences?)\b", re.IGNORECASE)
# An amount is a number followed by what it counts ("650,000 patients", "four years", "twenty-four
# hour"); not an article, paragraph or law number ("Law No. 1042 from October 2020").
_AMOUNT = re.compile(rf"\b(\d{{1,3}}(?:,\d{{3}})+|\d+|(?:{NUMBER_WORDS})(?:-(?:{NUMBER_WORDS}))?)\s+([a-z][a-z\-]*)", re.IGNORECASE)
_NUMBERED = re.compile(r"(?:articles?|art\.|paragraphs?|para\.|no\.|nos\.|sections?|chapters?|pages?|pp?\.|footnotes?"
                       r"|resolution|through)\s*$", re.IGNORECASE)
_NOT_COUNTED = frozenset({"of", "and", "or", "to", "through", "the", "a", "an", "in", "on", "by", "for", "from", "with", "at",
                          "as", "another"})
# "NGO" and "CSO" are kinds of organisation, however capitalised: a question on NGO input is answered
# by a passage on non-governmental organizations.
_NOT_NAMES = frozenset({"article", "articles", "art", "ngo", "cso"})
RANK_WEIGHT = 0.8  # a sentence's score: its passage's retrieval score and meaning match ...
COVERAGE_FLOOR = 0.5  # ... scaled by how much of the question's terms it carries
EVIDENCE_HITS = 5
SENTENCE_EVIDENCE = 0.5  # a sentence from another group of documents must stand on its own this well
REFERENCE = 0.5  # a footnote's sentence giving a web address, for a question not about sources
_ASKS_SOURCE = re.compile(r"\b(?:sources?|cite[sd]?|citing|citations?|references?|referenced|footnotes?|rel(?:y|ies|ied)\s+on"
                          r"|(?:which|what)\s+(?:\w+\s+)?(?:reports?|resolutions?|documents?|stud(?:y|ies)|letters?|publications?|recommendations?))\b",
                          re.IGNORECASE)
RELATIVE_FLOOR = 0.7  # a sentence scoring well under the best one adds noise, not evidence
NAME_IDF = 3.0  # a capitalised word in more than about one passage in twenty is not a name
STATES_WHAT_ASKED = 0.3  # a sentence stating a date or an amount, for a question asking when or how many
NAMELESS = 0.5  # a sentence from a passage not speaking of the question's names, when others do
GROUP_COVERAGE = 0.1  # share of the question's terms a sentence brought in for its group must carry
REFERRAL_COVERAGE = 0.3  # share of the question's terms a sentence of a referred-to article must carry


def _coverage(weights: dict[str, tuple[float, list[str]]], tokens: set[str]) -> float:
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


@BACKENDS.register("extractive")
class Extractive:
    name = "extractive"

    def __init__(self, settings, retriever):
        self.settings = settings
        self.retriever = retriever
        self._unknown: tuple[str, list[str]] = ("", [])  # the last question's, asked for up to five times
        self._words: tuple[object, list[str]] = (None, [])  # the index's vocabulary, sorted for prefix lookups
        self._library: tuple[object, SnapshotLibrary | None] = (None, None)

    def answer(self, question: str, retrieval: Retrieval, registry: dict[str, Source], *, strict: bool = False,
               on_token=None) -> Answer:
        """`strict` and `on_token` are the answer backends' common interface: quoted sentences are
        supported by construction, and nothing streams. A yes/no question's answer opens with its
        verdict (verdict.py)."""
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
        picked = self._pick(question, retrieval, registry)
        evidence = self._evidence(retrieval)
        missing = [registry[d] for d in _relevant_missing(retrieval, registry)]
        if not picked or self._too_weak(retrieval, evidence):
            return self._abstain(question, retrieval, registry, missing, evidence)
        absent = self.absent_names(question, [h for _, h, _ in picked], registry) or self._unread(retrieval, picked, registry)
        if absent:
            return self._abstain(question, retrieval, registry, missing, evidence, absent=absent)
        unstated = self.unstated(question, [h for _, h, _ in picked], registry, retrieval.query.named_docs)
        if unstated:
            return self._abstain(question, retrieval, registry, missing, evidence, unstated=unstated)
        # An answer lists only what the question itself names or asks about: a title sharing a word
        # with the question is a lead worth giving when nothing answers, noise beside an answer.
        named = [registry[d] for d in retrieval.missing if d in registry]
        return self._compose(question, retrieval, picked, named, evidence)

    def _evidence(self, retrieval: Retrieval) -> float:
        """How well the best of the top passages answers: meaning match and share of the question's
        own terms (idf-weighted, near-synonyms at half), averaged."""
        weights = self._term_weights(retrieval.query.focus)
        return max((0.5 * max(h.dense, 0.0) + 0.5 * _coverage(weights, set(tokenize(f"{h.passage.context} {h.passage.text}")))
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
        strict = only_missing or bool(self.unknown_names(retrieval.query.text))
        floor = self.settings.answer.abstain_below_unindexed if strict else self.settings.answer.abstain_below
        return evidence < floor

    def _unread(self, retrieval: Retrieval, picked: list, registry: dict[str, Source]) -> list[str]:
        """The documents a question asks about when none of them is indexed and no passage the answer
        would quote speaks of them: what the UN Convention against Cybercrime says is not answered by
        footnotes citing other General Assembly resolutions. A passage quoting General Comment 16
        does answer for it, as far as it quotes."""
        named = retrieval.query.named_docs
        if not named or set(named) & set(self.retriever.snapshot.doc_ids()) or any(names_it(h) for _, h, _ in picked):
            return []
        spoken = {doc for _, h, _ in picked for _, _, doc in self.retriever.matcher.find(h.passage.text)}
        return [] if spoken & set(named) else [registry[d].short if d in registry else d for d in named]

    def _names(self, question: str) -> list[str]:
        """Names inside the question's sentences (see `_NAME`), registered document names and the word
        "Article" aside."""
        text, sources = question, self.retriever.sources
        spans = sorted(self.retriever.matcher.find(question), reverse=True)
        for a, b, _ in spans:
            text = text[:a] + " " + text[b:]
        years = {sources[doc].date[:4] for _, _, doc in spans if doc in sources}
        found = ["".join(groups) for groups in _NAME.findall(text)] + [m.group(0) for m in _SESSION.finditer(text)]
        # "the 1966 civil and political rights Covenant": the year goes with the document it names
        return list(dict.fromkeys(w for w in found if _word_of(w).lower() not in _NOT_NAMES and w not in years))

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question that no indexed passage contains: a question about Colombia or
        about a court case the documents never mention is rarely answered by them."""
        vocab = self.retriever.snapshot.lexical.vocab
        if self._words[0] is not vocab:  # a new index: new words, and nothing known of them
            self._words, self._unknown = (vocab, sorted(vocab)), ("", [])
        if self._unknown[0] == question:
            return self._unknown[1]
        words = self._words[1]
        out = []
        for word in self._names(question):
            if not any(t in vocab for t in tokenize(word)) and not (len(word) > 5 and _has_prefix(words, _root(word))):
                out.append(word)
        self._unknown = (question, out)
        return out

    def _known_names(self, question: str) -> list[str]:
        """The question's names that the indexed documents use, but few of their passages: "State",
        "Court" or "Convention" name nothing in particular. An acronym only counts when no document
        knows it ("EU"): a passage about the UN rarely spells "UN" out. A numbered name ("Protocol
        No. 16") is particular by its number, however common its word."""
        unknown, lex = self.unknown_names(question), self.retriever.snapshot.lexical
        return [w for w in self._names(question) if not w.isupper() and tokenize(w) and w not in unknown
                and (_NUMBER_OF.match(w) or _SESSION.fullmatch(w) or min(lex.idf(t) for t in tokenize(w)) >= NAME_IDF)]

    @staticmethod
    def _seen(hits: list[Hit], registry: dict[str, Source]) -> str:
        """What the reader sees of these passages: their words, and their documents' names."""
        docs = dict.fromkeys(h.passage.doc_id for h in hits)
        return " ".join([f"{h.passage.context} {h.passage.text}" for h in hits]
                        + [f"{registry[d].title} {' '.join(registry[d].aliases)}" for d in docs if d in registry])

    def _runs(self, question: str, names: set[str]) -> list[str]:
        """The runs of capitalised words the names stand in: "Pegasus Project", not "Project"."""
        # (a capital that only starts the sentence is no part of the name: "In General Comment No. 34")
        found = (_LEADING_WORD.sub("", m.group(0)) for m in _NAME_RUN.finditer(question))
        runs = [run for run in dict.fromkeys(found) if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", run) for n in names)]
        # (a name in small letters, "the sixth session", is its own run)
        return runs + [n for n in names if not any(n in run for run in runs) and not n[:1].isupper() and not n.isdigit()]

    def absent_names(self, question: str, hits: list[Hit], registry: dict[str, Source]) -> list[str]:
        """Names of the question that the indexed documents know but that neither the passages the
        answer would quote nor their documents' names contain, as the run of capitalised words they
        stand in. Such an answer is about something else: "the Pegasus Project" answered with what
        the submission says of Pegasus spyware, "the Second Additional Protocol to the Budapest
        Convention" with the Convention's own articles."""
        known = self._known_names(question)
        if not known:
            return []
        seen = self._seen(hits, registry)
        return self._runs(question, {w for w in known if not _speaks_of(seen, w)})

    def unstated(self, question: str, hits: list[Hit], registry: dict[str, Source], named_docs=()) -> str:
        """For a question asking when, how many, which judgments or who has ratified, what the passages
        lack ("states a date", "cites a judgment") when no passage the answer would quote has one where
        it speaks of the question's names, in a document the question names if it names any; else "".
        "What prison term does Nicaragua's Law No. 1042 set?" is not answered by the submission's
        paragraph on that law, which states none, beside treaty articles on four-year terms. Who has
        ratified a treaty is recorded in no adopted text, the named one included."""
        find = _asks(question)
        if find is None:
            return ""
        wanted = {_dates: "states a date", _amounts: "states a number", _cases: "cites a judgment",
                  _status: "records who has ratified or signed (a treaty's own text cannot)"}[find]
        own, names = find(question), self._known_names(question)
        for hit in {id(h): h for h in hits}.values():
            if (hit.passage.role in TREATY_ROLES) if find is _status else (named_docs and hit.passage.doc_id not in named_docs):
                continue
            if find(f"{hit.passage.context} {hit.passage.text}") - own and all(_speaks_of(self._seen([hit], registry), w) for w in names):
                return ""
        return wanted

    def _pick(self, question: str, retrieval: Retrieval, registry: dict[str, Source]) -> list[tuple[float, Hit, str]]:
        """Score each sentence of the top passages: the passage's rank and meaning match, and how much
        of the question's own (idf-weighted) terms the sentence carries. Then pick greedily, a couple
        per passage and per article, and make room for each kind of document the evidence spans."""
        hits = retrieval.hits[:CANDIDATE_HITS]
        if not hits:
            return []
        weights = self._term_weights(retrieval.query.focus or question)
        top = hits[0].score
        find = _asks(question)
        own = find(question) if find else set()
        # "What does Law No. 1042 of Nicaragua punish?": where some passage speaks of the question's
        # names, one that does not (an article on being "punished again") answers something else.
        names = self._known_names(question)
        speaks = {id(h): all(_speaks_of(self._seen([h], registry), w) for w in names) for h in hits} if names else {}
        nameless = {id(h) for h in hits if not speaks[id(h)] and not names_it(h)} if any(speaks.values()) else set()
        # a footnote's title and address is where a statement comes from, not a statement: it scores
        # in full for a question about sources ("Which report does the submission cite for ...?") only
        cites = bool(_ASKS_SOURCE.search(question))
        scored = []
        leads: dict[tuple[int, str], str] = {}  # a list item's unit -> the unit opening its list
        for h in hits:
            spans = sentences.split(h.passage.text)
            for (a, b), lead in zip(spans, sentences.leads(h.passage.text, spans)):
                s = h.passage.text[a:b]
                words = tokenize(_URL.sub(" ", s))
                # a fragment, or a bare reference ("Available at: https://…", "id."), states nothing
                if (len(s) < 25 and len(h.passage.text) > 25) or len(words) < 3:
                    continue
                if lead is not None:
                    # an item is read with its list's opening, and answers with its words too: "(b)
                    # For the protection of national security" is a restriction on expression in
                    # ICCPR art. 19(3)
                    leads[(id(h), s)] = h.passage.text[slice(*spans[lead])]
                    words += tokenize(leads[(id(h), s)])
                coverage = _coverage(weights, set(words))
                # Rank and meaning choose the passage; the question's own terms choose within it.
                score = (RANK_WEIGHT * h.score / top + (1 - RANK_WEIGHT) * max(h.dense, 0.0)) \
                    * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * coverage)
                if find and find(s) - own:
                    score *= 1 + STATES_WHAT_ASKED
                if id(h) in nameless:
                    score *= NAMELESS
                if h.passage.footnote is not None and _URL.search(s) and not cites:
                    score *= REFERENCE
                scored.append((score, h, s, coverage))
        scored.sort(key=lambda x: -x[0])
        chosen = self._select(scored, hits, nameless, self._term_weights(retrieval.query.topic))
        chosen += self._referrals(chosen, scored)
        chosen += _leads(chosen, scored, leads)
        return [(sc, h, s) for sc, h, s, _ in chosen]

    def _term_weights(self, question: str) -> dict[str, tuple[float, list[str]]]:
        lex = self.retriever.snapshot.lexical
        return {t: (lex.idf(t), syn) for t, syn in concepts(question).items() if t not in _GENERIC}

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
            # UNTOC art. 18(22) and UNCAC art. 46(22) say the same words: they are quoted once
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
            # none of the question's terms, there by its passage's rank alone: "Why do Derechos Digitales
            # and APC want Article 87(g) deleted?" is not answered by the ICCPR's article on its
            # Committee's immunities. The terms include what the documents say a named article is
            # about: Budapest art. 20 shares "real-time collection of traffic data" with Article 73.)
            best = next((r for r in scored if r[1].passage.role in roles and id(r[1]) not in nameless
                         and (names_it(r[1]) or _coverage(topic, set(tokenize(r[2]))) >= GROUP_COVERAGE)), None)
            if best is not None and (best[1].score >= close or _sentence_evidence(best) >= SENTENCE_EVIDENCE):
                chosen.append(best)
        return chosen

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
            # the documents the question names first ("a right to a remedy in the ICCPR": ICCPR art.
            # 2(3) before ECHR art. 13), then one passage's sentences in its own order: "It shall
            # consist of eighteen members" follows the sentence establishing the Committee it refers to
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
        unknown = self.unknown_names(question)
        if unknown:
            text += f" The indexed documents never mention {', '.join(self._runs(question, set(unknown)))}."
        if absent:
            text += f" The passages that best match never mention {', '.join(absent)}."
        if unstated:
            where = self._runs(question, set(self._known_names(question)))
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


def _root(name: str) -> str:
    """A name without the ending of its adjective or plural, "Chilean" -> "chile"; a year whole."""
    name = name.lower()
    return name if name.isdigit() or len(name) <= 5 else name[:max(5, len(name) - 3)]


def _has_prefix(words: list[str], prefix: str) -> bool:
    i = bisect.bisect_left(words, prefix)
    return i < len(words) and words[i].startswith(prefix)


def _word_of(name: str) -> str:
    """The word of a numbered name: "Article" of "Article 17"."""
    numbered = _NUMBER_OF.match(name)
    return numbered.group(1) if numbered else name


def _speaks_of(text: str, name: str) -> bool:
    """A name by the start of a word: "Chilean" in "Chile", "Nicaragua" in "Nicaraguan"; a year whole;
    a numbered name with its number."""
    if numbered := _NUMBER_OF.match(name):
        word, number = numbered.groups()
        return bool(re.search(rf"\b{re.escape(_root(word))}\w*\s+(?:no\.?\s*)?{number}\b", text.lower()))
    return bool(re.search(rf"\b{re.escape(_root(name))}" + (r"\b" if name.isdigit() else ""), text.lower()))


# "Which European Court judgments have found ...?" asks for case law: a treaty article on the right
# at stake states no judgment, and quoting it would pass it off as one.
_ASKS_CASES = re.compile(r"\b(?:which|what|any)\b(?:\s+[\w'’\-]+){0,6}?\s+(?:judg(?:e)?ments?|rulings?|case[\s-]law|jurisprudence)\b",
                         re.IGNORECASE)
_CASE = re.compile(r"\b[A-Z][\w'’.\-]*(?:\s+(?:and\s+)?[A-Z][\w'’.\-]*)*\s+v\.?\s+(?:the\s+)?[A-Z][\w'’\-]+"
                   r"|\b(?:[Jj]udg(?:e)?ment|[Dd]ecision)\s+of\s+\d{1,2}\s+[A-Z][a-z]+\s+\d{4}|\b[Aa]pplication\s+[Nn]o\.\s*\d+")
# "Has the Strasbourg court ever ruled on whether ...?" asks for case law too, in yes-or-no form.
_ASKS_RULING = re.compile(r"^\W*(?:has|have|did)\s+(?:the\s+|any\s+)?(?:[\w'’\-]+\s+){0,3}(?:courts?|tribunals?|judges?)\s+"
                          r"(?:ever\s+)?(?:ruled|held|found|decided|struck)\b", re.IGNORECASE)
# "How many states have ratified the Budapest Convention?" or "Has Chile signed it?" asks for a treaty's
# status, which its own text cannot record: its clauses on entry into force ("five States") count
# something else.
_ASKS_STATUS = re.compile(r"\b(?:how\s+many|which|what)\s+(?:[\w\-]+\s+)?(?:states|countries|parties|nations)\s+(?:[\w\-]+\s+){0,3}?"
                          r"(?:have|had|has)\s+(?:\w+\s+)?(?:ratified|signed|acceded|joined)\b"
                          r"|^\W*(?:has|have|had|did)\s+(?:[\w'’\-]+\s+){1,4}?(?:ever\s+)?(?:ratified|signed|acceded|joined)\b",
                          re.IGNORECASE)
_RATIFICATION = re.compile(r"\b(?:ratifi(?:ed|cations?)|acce(?:ded|ssions?)|signed|signator(?:y|ies))\b", re.IGNORECASE)
# "Does CEDAW give women a say over how many children they have?" asks yes or no, not a number.
_YES_NO = re.compile(r"^\W*(?:does|do|did|is|are|was|were|can|could|may|might|must|shall|should|will|would|has|have|had)\b",
                     re.IGNORECASE)


def _asks(question: str):
    """What a question asking when, how many, which judgments or who has ratified is answered by:
    `_dates`, `_amounts`, `_cases` or `_status`; else None."""
    if _ASKS_RULING.search(question):
        return _cases
    if _ASKS_STATUS.search(question):
        return _status
    if _YES_NO.search(question):
        return None
    if _ASKS_DATE.search(question):
        return _dates
    if _ASKS_CASES.search(question):
        return _cases
    return _amounts if asks_at_head(_ASKS_AMOUNT, question) else None


def _status(text: str) -> set[str]:
    return {m.group(0).lower() for m in _RATIFICATION.finditer(_URL.sub(" ", text))}


def _cases(text: str) -> set[str]:
    return {m.group(0) for m in _CASE.finditer(_URL.sub(" ", text))}


def _dates(text: str) -> set[str]:
    return {m.group(0).lower() for m in _DATE.finditer(_URL.sub(" ", text))}


def _amounts(text: str) -> set[str]:
    text = _URL.sub(" ", text)
    return {m.group(1).lower() for m in _AMOUNT.finditer(text)
            if m.group(2).lower() not in _NOT_COUNTED and not _DATE.fullmatch(m.group(1))
            and not _NUMBERED.search(text[max(0, m.start() - 12):m.start()])}


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


def _relevant_missing(retrieval: Retrieval, registry: dict[str, Source]) -> list[str]:
    """Not-downloaded documents the question points at: named ones, the hosts of the articles it asks
    about, then those whose titles share the question's terms: the terms of what it asks, not the
    names of the documents it names ("Human Rights" of the European Convention on Human Rights is
    no lead to the Human Rights Committee's General Comment 16)."""
    out = list(retrieval.missing)
    # (the words of a name are not what it asks about: "Pakistan's Prevention of Electronic Crimes Act"
    # is no lead to the Inter-American Convention on the Prevention ... of Violence against Women)
    names = {t for m in _NAME_RUN.finditer(retrieval.query.topic) for t in tokenize(_LEADING_WORD.sub("", m.group(0)))}
    terms = {t for t in tokenize(retrieval.query.topic) if t not in _GENERIC and len(t) > 3 and t not in names}
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
