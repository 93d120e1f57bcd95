"""The verifier of generated answers: every sentence must cite given passages, quote them exactly and
be supported by what they say.

A language model writes an answer from numbered passages [1]..[k]. The answer is split into sentences
(`sentences.split`, line by line); each one is checked:

- it carries at least one citation marker ([1], [1, 3], [1][2], [1-3]); a marker group standing at
  the start of a sentence, after the previous one's full stop, belongs to the previous sentence;
- every number it cites is a passage that was given;
- a quotation in double quotes ("..." or “...”) of three or more words appears verbatim (case,
  whitespace and quote style folded) in one of the cited passages;
- its support from the cited passages (`support`) is at least the threshold.

Heading-like lines (short, no closing punctuation, no citation: "What the treaty text says") and
fragments without letters are not statements and are not checked.

Support is a weighted mean of lexical coverage (the share of the sentence's content tokens found in
the cited passages, a thesaurus near-synonym counting as found) and meaning similarity (the best
cosine between the sentence and any sentence of the cited passages, rescaled so that the similarity
unrelated legal sentences share counts as none), weighted 0.8 and 0.2: see LEXICAL_WEIGHT below.

It measures overlap of words and meaning, not entailment: a sentence that negates its passage in the
passage's own words ("interference is never permitted"), or changes one phrase of a long quoted
sentence, can still score high."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..ingest.clean import fold
from ..index.lexical import concepts, tokenize
from ..records import AnswerSection, AnswerSentence, Passage
from . import sentences
from .contradicts import contradicts

# Calibrated by evals/calibrate_support.py: the best mean balanced accuracy over the automatic pairs
# (extractive answer sentences and light rewordings of them, other passages, swapped key phrases: 2506
# pairs; 0.77) and 44 hand-written paraphrases and false claims (0.93). Support >= 0.71 is the
# recommended threshold (settings.answer.support_threshold). On the automatic pairs alone lexical
# coverage wins (weight 1.0, threshold 0.95) because their positives keep the passage's words; that
# rule passes 2 of the 22 hand-written paraphrases.
LEXICAL_WEIGHT = 0.8  # weight of lexical coverage; meaning similarity takes the rest
DENSE_FLOOR = 0.3  # the cosine counted as no similarity (unrelated sentences of legal text score ~0.1-0.4)
_RANGE_CAP = 50
_PREFIX = 6  # tokens this long that share their first letters count as the same word
_NUM = r"\d+(?:\s*[-–]\s*\d+)?"
_GROUP = rf"\[\s*{_NUM}(?:\s*,\s*{_NUM})*\s*\]"  # one marker: [1], [1, 3], [1-3]; the one definition of [n]
_MARKER = re.compile(_GROUP)
_MARKER_RUN = re.compile(rf"{_GROUP}(?:\s*{_GROUP})*")
_MARKERS_AT_START = re.compile(rf"^\s*(?:{_GROUP}\s*)+")
_ENDED = re.compile(r"[.!?;…][”\"')\]]*\s*$")  # text that ends a sentence, before a marker group
_STARTS = re.compile(r"\s+[“\"(]?[A-Z0-9]")  # text that starts one, after a marker group
_QUOTE = re.compile(r"[\"“]([^\"“”]+)[\"”]")
_QUOTE_FRAGMENTS = re.compile(r"\s*(?:\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)\s*")  # an ellipsis joins two quoted pieces
_BULLET = re.compile(r"^\s*(?:[-*•]\s+|#{1,6}\s+|>\s*)")
_EMPH = re.compile(r"\*\*|__")
_HEADING_MAX_WORDS = 8
_CLOSING = ".!?;\"”’')]"
# Words that say where a statement comes from ("The Convention provides that ...", "the submission
# argues ..."), and modal verbs ("shall" in the text, "must" in the answer): coverage leaves them out.
_FRAMING = frozenset(tokenize(
    "provide provides provided argue argues argued state states stated note notes noted stress stresses stressed "
    "recommend recommends recommended call calls according accordance text passage passages convention covenant "
    "declaration treaty submission document article articles paragraph also further therefore however thus "
    "require requires required set sets shall must may can cannot might"))
_SINGLE_QUOTES = str.maketrans({"‘": "'", "’": "'", "`": "'", "–": "-", "—": "-", "\u00a0": " "})


@dataclass
class SentenceCheck:
    text: str  # the sentence without its [n] markers
    cites: list[int]
    score: float  # support from the cited passages, 0..1 (0 when nothing valid is cited)
    supported: bool
    issues: list[str]
    span: tuple[int, int] = (0, 0)  # characters of the answer the sentence and its markers take


@dataclass
class Verification:
    sentences: list[SentenceCheck]
    answer: str = field(default="", repr=False)
    headings: list[tuple[int, int]] = field(default_factory=list, repr=False)  # skipped heading lines

    def summary(self) -> dict:
        """{"sentences": n, "supported": k, "issues": [{"sentence": i (1-based), "text", "issue"}, ...]}"""
        return {
            "sentences": len(self.sentences),
            "supported": sum(s.supported for s in self.sentences),
            "issues": [{"sentence": i, "text": s.text, "issue": issue}
                       for i, s in enumerate(self.sentences, 1) for issue in s.issues],
        }

    def supported_text(self) -> str:
        """The answer with its unsupported sentences (and their markers) removed; a heading whose
        statements were all removed goes too."""
        text = self.answer
        cuts = [s.span for s in self.sentences if not s.supported]
        for i, (a, b) in enumerate(self.headings):
            end = self.headings[i + 1][0] if i + 1 < len(self.headings) else len(text) + 1
            under = [s for s in self.sentences if a < s.span[0] < end]
            if under and not any(s.supported for s in under):
                cuts.append((a, b))
        out, last = [], 0
        for a, b in sorted(cuts):
            out.append(text[last:a])
            last = max(last, b)
        out.append(text[last:])
        lines = [re.sub(r"[ \t]{2,}", " ", line).strip() for line in "".join(out).splitlines()]
        return "\n".join(line for line in lines if line)


    def sections(self, given: set[int], strict: bool = False) -> list[AnswerSection]:
        """The answer as records: a section ("answer") under each heading line the model wrote, holding
        its sentences with the numbers they cite of the `given` passages (all sentences, or with
        `strict` the supported ones, as the text shown has them). A heading left with no sentence goes."""
        out = [AnswerSection("answer", "")]
        marks = sorted([(a, "heading") for a, _ in self.headings] + [(s.span[0], i) for i, s in enumerate(self.sentences)],
                       key=lambda m: m[0])
        ends = dict(self.headings)
        for at, what in marks:
            if what == "heading":
                out.append(AnswerSection("answer", _heading_text(self.answer[at:ends[at]])))
                continue
            s = self.sentences[what]
            if s.supported or not strict:
                out[-1].sentences.append(AnswerSentence(s.text, [n for n in s.cites if n in given]))
        return [x for x in out if x.sentences]


def _heading_text(line: str) -> str:
    """A heading line as its words: "## **What the treaty says:**" -> "What the treaty says"."""
    body = re.sub(r"^#{1,6}\s+", "", _EMPH.sub("", line).strip())
    return _BULLET.sub("", body).strip().rstrip(":").strip()


# --- splitting --------------------------------------------------------------------------------------


def parse_markers(group: str) -> list[int]:
    """Numbers of one marker text: "[1, 3]" -> [1, 3], "[1-3]" -> [1, 2, 3]."""
    out: list[int] = []
    for m in _MARKER.finditer(group):
        for part in m.group(0)[1:-1].split(","):
            bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part.strip())]
            if len(bounds) == 2 and bounds[0] <= bounds[1] and bounds[1] - bounds[0] <= _RANGE_CAP:
                out += range(bounds[0], bounds[1] + 1)
            else:
                out += bounds
    return list(dict.fromkeys(out))


def marker_numbers(text: str) -> list[int]:
    """Every number of every marker in `text`, in order, repeats kept."""
    return [n for m in _MARKER.finditer(text) for n in parse_markers(m.group(0))]


def strip_markers(text: str) -> str:
    s = _MARKER.sub(" ", text)
    s = re.sub(r"\s+([.,;:!?])", r"\1", s)
    return " ".join(s.split())


def _clean(text: str) -> str:
    return strip_markers(_EMPH.sub("", _BULLET.sub("", text)))


def _is_heading(line: str) -> bool:
    body = _EMPH.sub("", line).strip()
    if re.match(r"^#{1,6}\s", body):
        return True
    body = _BULLET.sub("", body).strip().rstrip(":").strip()
    if not body or _MARKER.search(body) or body[-1] in _CLOSING:
        return False
    return len(body.split()) < _HEADING_MAX_WORDS


def _pieces(body: str) -> list[tuple[int, int]]:
    """Sentence spans of one line, each with the markers that follow it.

    Markers are blanked before splitting, so that "oversight.[1] The next" splits like "oversight.
    The next"; markers between two sentences then belong to the one before. A marker group after a
    sentence's closing punctuation ("... the computer system; [3] Taking into account", "...
    disclosure. [2] d) any"), or before a capital ("... available at https://x.org [1] The"), ends
    a sentence too."""
    masked = _MARKER.sub(lambda m: " " * len(m.group()), body)
    spans = sentences.split(masked)
    pieces = []
    for i, (a, b) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(body)
        gap = [m.end() for m in _MARKER.finditer(body, b, nxt)]
        pieces.append((a, gap[-1] if gap else b))
    cuts = [m.end() for m in _MARKER_RUN.finditer(body)
            if body[m.end():].strip() and (_ENDED.search(body, 0, m.start()) or _STARTS.match(body, m.end()))]
    out = []
    for a, b in pieces:
        for c in (c for c in cuts if a < c < b):
            out.append((a, c))
            a = c
        out.append((a, b))
    return out


def _units(answer: str) -> tuple[list[tuple[int, int, str]], list[tuple[int, int]]]:
    """(start, end, raw text) of each statement, markers included, and the heading lines skipped."""
    units: list[list[int]] = []
    headings: list[tuple[int, int]] = []
    offset = 0
    after_heading = True
    for line in answer.splitlines(keepends=True):
        start, body = offset, line.rstrip("\r\n")
        offset += len(line)
        if not body.strip():
            continue
        if _is_heading(body):
            headings.append((start, start + len(body)))
            after_heading = True
            continue
        lead = _MARKERS_AT_START.match(body)
        attach = bool(lead) and bool(units) and not after_heading
        if attach:
            # a line that opens with markers: they close the previous line's last sentence
            units[-1][1] = start + len(lead.group().rstrip())
        for a, b in _pieces(body):
            if attach:
                a = max(a, lead.end())
            piece = body[a:b]
            if not re.search(r"[^\W\d_]", strip_markers(piece)):
                continue
            a += len(piece) - len(piece.lstrip())
            b -= len(piece) - len(piece.rstrip())
            units.append([start + a, start + b])
        after_heading = False
    return [(a, b, answer[a:b]) for a, b in units], headings


# --- support ----------------------------------------------------------------------------------------


def _passage_tokens(p: Passage) -> set[str]:
    """What a sentence may draw on: the passage's words, and the words that name it (its document,
    article, heading), which an answer uses to say where a rule is."""
    where = " ".join([p.title, p.locator, p.context, *p.heading_path,
                      "article" if p.article else "", "paragraph" if p.paragraph else "",
                      "footnote" if p.footnote is not None else ""])
    return set(tokenize(p.text)) | set(tokenize(where))


def coverage(sentence: str, cited: list[Passage]) -> float:
    """Share of the sentence's content tokens found in the cited passages (a near-synonym, or a word
    of the same first six letters, counts); words of attribution ("provides", "argues") and modal
    verbs are left out."""
    have: set[str] = set()
    for p in cited:
        have |= _passage_tokens(p)
    terms = {t: syn for t, syn in concepts(strip_markers(sentence)).items() if t not in _FRAMING}
    if not terms:
        return 0.0
    # The stemmer is light: "intercepted" and "interception" meet on their first letters.
    prefixes = {t[:_PREFIX] for t in have if len(t) >= _PREFIX}
    found = sum(1 for tok, syn in terms.items()
                if tok in have or any(s in have for s in syn) or (len(tok) >= _PREFIX and tok[:_PREFIX] in prefixes))
    return found / len(terms)


def combine(cov: float, cosine: float, lexical_weight: float = LEXICAL_WEIGHT, floor: float = DENSE_FLOOR) -> float:
    """The support score from its two parts, clipped to 0..1."""
    dense = (cosine - floor) / (1.0 - floor) if floor < 1.0 else cosine
    dense = min(max(dense, 0.0), 1.0)
    return float(min(max(lexical_weight * cov + (1.0 - lexical_weight) * dense, 0.0), 1.0))


def _passage_sentences(p: Passage) -> list[str]:
    return [" ".join(p.text[a:b].split()) for a, b in sentences.split(p.text)] or [p.text]


def components(pairs: list[tuple[str, list[Passage]]], embedder) -> list[tuple[float, float]]:
    """(lexical coverage, best cosine) of each (sentence, cited passages) pair, with one embed call
    for all sentences and all the passages' sentences."""
    texts: dict[str, int] = {}

    def slot(t: str) -> int:
        return texts.setdefault(t, len(texts))

    rows = []
    for sentence, cited in pairs:
        s = slot(strip_markers(sentence))
        rows.append((s, [slot(t) for p in cited for t in _passage_sentences(p)]))
    vectors = np.asarray(embedder.embed(list(texts))) if texts else np.zeros((0, 1))
    out = []
    for (sentence, cited), (s, targets) in zip(pairs, rows):
        if not cited or not targets:
            out.append((0.0, 0.0))
            continue
        cosine = float(np.max(vectors[targets] @ vectors[s]))
        out.append((coverage(sentence, cited), cosine))
    return out


def support(sentence: str, cited: list[Passage], embedder) -> float:
    """How well the cited passages support the sentence, 0..1: ≈1 for a sentence quoted from one
    of them, low for a sentence about something else; 0 when nothing is cited."""
    if not cited:
        return 0.0
    (cov, cosine), = components([(sentence, cited)], embedder)
    return combine(cov, cosine)


# --- checks -----------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return fold(text.translate(_SINGLE_QUOTES))


def _quotes(text: str) -> list[str]:
    """Quotations of three words or more."""
    return [q for q in (m.group(1).strip() for m in _QUOTE.finditer(text)) if len(q.split()) >= 3]


def _quoted_in(quote: str, passage: Passage) -> bool:
    hay = _norm(passage.text.replace("“", '"').replace("”", '"'))
    fragments = [f.strip(" ,.;:") for f in _QUOTE_FRAGMENTS.split(quote)]
    pos = 0
    for f in (_norm(f) for f in fragments if f.strip(" ,.;:")):
        at = hay.find(f, pos)
        if at < 0:
            return False
        pos = at + len(f)
    return True


def _refs(ns: list[int]) -> str:
    return ", ".join(f"[{n}]" for n in ns)


def verify(answer: str, passages: dict[int, Passage], embedder, threshold: float, verdict: str | None = None) -> Verification:
    """Check each statement of `answer` against the numbered `passages` it was written from (one
    embed call for the whole answer); a sentence is supported when it has no issue. Given the
    `verdict` label read from the provisions, a sentence contradicting it is an issue too."""
    units, headings = _units(answer)
    checks: list[SentenceCheck] = []
    pairs: list[tuple[str, list[Passage]]] = []
    for a, b, raw in units:
        cites = parse_markers(raw)
        text = _clean(raw)
        issues = []
        valid = [n for n in cites if n in passages]
        if not cites:
            issues.append("no citation")
        for n in cites:
            if n not in passages:
                issues.append(f"cites [{n}], which was not given")
        cited = [passages[n] for n in valid]
        if cited:
            for q in _quotes(text):
                if not any(_quoted_in(q, p) for p in cited):
                    issues.append(f"quoted text not in {_refs(valid)}: \"{q}\"")
        if against := contradicts(text, verdict):
            issues.append(against)
        checks.append(SentenceCheck(text, cites, 0.0, False, issues, (a, b)))
        pairs.append((text, cited))
    scored = [i for i, (_, cited) in enumerate(pairs) if cited]
    parts = components([pairs[i] for i in scored], embedder) if scored else []
    for i, (cov, cosine) in zip(scored, parts):
        c = checks[i]
        c.score = combine(cov, cosine)
        if c.score < threshold:
            valid = [n for n in c.cites if n in passages]
            c.issues.append(f"not supported by {_refs(valid)} (support {c.score:.2f})")
    for c in checks:
        c.supported = not c.issues
    return Verification(checks, answer, headings)
