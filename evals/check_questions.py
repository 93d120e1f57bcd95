#!/usr/bin/env python3
"""Validate evals/questions.jsonl against the corpus.

Usage: python3 evals/check_questions.py [CORPUS_DIR] [--questions FILE]

CORPUS_DIR defaults to ../shared/corpus relative to the repository root
(i.e. /work/shared/corpus when the repository is /work/main).

Checks:
  * schema of every question and gold entry;
  * minimum counts per kind (and a few derived counts);
  * every gold phrase occurs verbatim (after normalization) inside the
    passage it names: the article (and numbered paragraph) of a treaty,
    a footnote of the submission, or a body paragraph of the submission
    (never across a footnote block);
  * ambiguous-number questions name no document and list the article in
    every treaty of the corpus that has that number;
  * questions do not copy long runs of words from the corpus.

Prints a summary; exits 1 on any failure. Standard library only.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
QUESTIONS = HERE / "questions.jsonl"

SUBMISSION = "dd-apc-ahc5"
DOCS = {
    SUBMISSION: "derechos-digitales-apc-ahc5-submission.md",
    "iccpr": "iccpr-1966.md",
    "cedaw": "cedaw-1979.md",
    "uncac": "uncac-2003.md",
    "untoc": "untoc-2000.md",
    "budapest": "budapest-convention-2001.md",
    "echr": "echr-1950.md",
    "udhr": "udhr-1948.md",
}
TREATIES = [d for d in DOCS if d != SUBMISSION]

KINDS = ["fact", "paraphrase", "article-ref", "ambiguous-number", "multi-doc", "unanswerable"]
MIN_COUNTS = {
    "fact": 20,
    "paraphrase": 15,
    "article-ref": 15,
    "ambiguous-number": 6,
    "multi-doc": 12,
    "unanswerable": 14,
}
MIN_TOTAL = 90
MIN_SUBMISSION_ARTICLE_REFS = 4   # article-ref questions on the submission's numbering
MIN_FOOTNOTE_QUESTIONS = 8        # questions answered by a footnote of the submission
PHRASE_WORDS = (3, 10)
MAX_COPIED_RUN = 7                # a question may share at most this many consecutive words with a document

# Words that name a document; an ambiguous-number question must contain none of them.
DOC_NAME_RE = re.compile(
    r"\b(iccpr|covenant|cedaw|uncac|untoc|budapest|echr|udhr|declaration|convention|"
    r"treaty|protocol|submission|derechos|apc|palermo|merida|council of europe|"
    r"european|universal|corruption|organi[sz]ed crime|cybercrime|women|civil and political)\b",
    re.I,
)
ARTICLE_REF_RE = re.compile(r"\b(art\.?|articles?)\s*\d+", re.I)


# --------------------------------------------------------------------------- normalization

LINK_RE = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")
SUP_RE = re.compile(r"<sup>\s*\d+\s*</sup>")


def normalize(text: str) -> str:
    text = SUP_RE.sub("", text)
    text = LINK_RE.sub(r"\1", text)
    text = text.replace("**", "").replace("*", "").replace("\\", "")
    return re.sub(r"\s+", " ", text).strip().lower()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


# --------------------------------------------------------------------------- corpus parsing

ARTICLE_HEAD_RE = re.compile(r"^###\s*Article\s+(\S+)")
ANY_HEAD_RE = re.compile(r"^###(?!#)")
PARA_RE = re.compile(r"^\s*(\d+)\.(?:\s|$)")


SUB_RE = re.compile(r"^\s*\(?([a-z])\)")


def lettered(lines: list[str]) -> dict[str, str]:
    """Lettered sub-paragraphs "a)", "(a)" of a paragraph, each running to the next letter.

    A letter opens a sub-paragraph only when it follows the previous one in the alphabet,
    so that roman numerals "(i)", "(ii)" inside (b) or (c) stay in their sub-paragraph.
    """
    subs: dict[str, list[str]] = {}
    current = None
    for line in lines:
        m = SUB_RE.match(line)
        if m:
            letter = m.group(1)
            expected = "a" if current is None else chr(ord(current) + 1)
            if letter == expected:
                current = letter
                subs[current] = []
        if current is not None:
            subs[current].append(line)
    return {k: normalize("\n".join(v)) for k, v in subs.items()}


class Treaty:
    def __init__(self, path: Path):
        self.articles: dict[str, str] = {}
        self.paragraphs: dict[str, dict[str, str]] = {}
        # (article, paragraph or None) -> letter -> normalized text of that lettered sub-paragraph
        self.subparagraphs: dict[tuple[str, str | None], dict[str, str]] = {}
        current = None
        lines_by_article: dict[str, list[str]] = {}
        for line in path.read_text(encoding="utf-8").split("\n"):
            m = ARTICLE_HEAD_RE.match(line)
            if m:
                current = m.group(1)
                if current in lines_by_article:
                    raise ValueError(f"{path.name}: duplicate Article {current}")
                lines_by_article[current] = []
                continue
            if ANY_HEAD_RE.match(line):
                current = None
                continue
            if current is not None:
                lines_by_article[current].append(line)
        for art, lines in lines_by_article.items():
            self.articles[art] = normalize("\n".join(lines))
            paras: dict[str, list[str]] = {}
            para = None
            for line in lines:
                m = PARA_RE.match(line)
                if m:
                    para = m.group(1)
                    paras.setdefault(para, [])
                if para is not None:
                    paras[para].append(line)
            self.paragraphs[art] = {p: normalize("\n".join(ls)) for p, ls in paras.items()}
            self.subparagraphs[(art, None)] = lettered(lines)
            for p, ls in paras.items():
                self.subparagraphs[(art, p)] = lettered(ls)


class Submission:
    """Body paragraphs and footnotes of the submission.

    A line '---' opens a footnote block; inside it, '<sup>n</sup>' at the start of a
    line opens footnote n; two consecutive blank lines close the block and the body
    resumes. Body paragraphs are runs of non-blank body lines.
    """

    def __init__(self, path: Path):
        self.footnotes: dict[int, str] = {}
        self.body: list[str] = []
        fn_lines: dict[int, list[str]] = {}
        state = "body"
        blank = 0
        fn = None
        para: list[str] = []

        def flush():
            if para:
                self.body.append(normalize("\n".join(para)))
                para.clear()

        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip() == "---":
                flush()
                state, blank, fn = "fn", 0, None
                continue
            if state == "fn":
                if not line.strip():
                    blank += 1
                    if blank >= 2:
                        state = "body"
                    continue
                blank = 0
                m = re.match(r"^<sup>(\d+)</sup>", line)
                if m:
                    fn = int(m.group(1))
                    if fn in fn_lines:
                        raise ValueError(f"duplicate footnote {fn}")
                    fn_lines[fn] = []
                if fn is not None:
                    fn_lines[fn].append(line)
                continue
            if not line.strip():
                flush()
            else:
                para.append(line)
        flush()
        self.footnotes = {n: normalize("\n".join(ls)) for n, ls in fn_lines.items()}


# --------------------------------------------------------------------------- checks

def corpus_ngrams(corpus: Path, n: int = MAX_COPIED_RUN + 1) -> set[tuple[str, ...]]:
    """Every run of n words in the corpus, to catch questions that copy a passage."""
    grams: set[tuple[str, ...]] = set()
    for fname in DOCS.values():
        w = words(normalize((corpus / fname).read_text(encoding="utf-8")))
        grams.update(tuple(w[i:i + n]) for i in range(len(w) - n + 1))
    return grams


def copied_run(text: str, grams: set[tuple[str, ...]], n: int = MAX_COPIED_RUN + 1) -> str | None:
    """The first run of n words of text that the corpus contains, if any."""
    qw = words(text)
    for i in range(len(qw) - n + 1):
        if tuple(qw[i:i + n]) in grams:
            return " ".join(qw[i:i + n])
    return None


def check(corpus: Path, questions_path: Path = QUESTIONS, minimums: bool = True) -> int:
    """Check a question file; minimums=False for a supplementary file checked on its own."""
    errors: list[str] = []
    warnings: list[str] = []

    def err(qid, msg):
        errors.append(f"{qid}: {msg}")

    for doc, fname in DOCS.items():
        if not (corpus / fname).is_file():
            print(f"FAIL: corpus file missing: {corpus / fname}")
            return 1
    sub = Submission(corpus / DOCS[SUBMISSION])
    treaties = {d: Treaty(corpus / DOCS[d]) for d in TREATIES}
    grams = corpus_ngrams(corpus)
    n = MAX_COPIED_RUN + 1

    if not questions_path.is_file():
        print(f"FAIL: {questions_path} not found")
        return 1

    questions = []
    for lineno, raw in enumerate(questions_path.read_text(encoding="utf-8").split("\n"), 1):
        if not raw.strip():
            continue
        try:
            q = json.loads(raw)
        except json.JSONDecodeError as e:
            errors.append(f"line {lineno}: invalid JSON: {e}")
            continue
        if not isinstance(q, dict):
            errors.append(f"line {lineno}: not a JSON object")
            continue
        questions.append(q)

    ids = Counter()
    kinds = Counter()
    submission_article_refs = 0
    footnote_questions = 0
    gold_total = 0
    seen_questions = set()

    for q in questions:
        qid = q.get("id", "?")
        expected = {"id", "question", "kind", "answerable", "gold"}
        if set(q) != expected:
            err(qid, f"keys must be exactly {sorted(expected)}, got {sorted(q)}")
            continue
        if not isinstance(qid, str) or not re.fullmatch(r"q\d{3}", qid):
            err(qid, "id must look like q001")
        ids[qid] += 1
        text, kind, answerable, gold = q["question"], q["kind"], q["answerable"], q["gold"]
        if not isinstance(text, str) or len(text.strip()) < 10:
            err(qid, "question must be a non-trivial string")
            continue
        if text.strip().lower() in seen_questions:
            err(qid, "duplicate question text")
        seen_questions.add(text.strip().lower())
        if kind not in KINDS:
            err(qid, f"unknown kind {kind!r}")
            continue
        kinds[kind] += 1
        if not isinstance(answerable, bool):
            err(qid, "answerable must be a boolean")
        if not isinstance(gold, list):
            err(qid, "gold must be a list")
            continue

        # rule 1: no long passage copied into the question
        qw = words(text)
        run = copied_run(text, grams)
        if run:
            err(qid, f"question copies {n}+ consecutive words from the corpus: {run!r}")

        if kind == "unanswerable":
            if answerable is not False or gold != []:
                err(qid, "unanswerable questions need answerable=false and gold=[]")
            continue
        if answerable is not True:
            err(qid, "answerable must be true for this kind")
        if not gold:
            err(qid, "gold must not be empty")
            continue

        has_footnote = False
        for j, g in enumerate(gold):
            where = f"gold[{j}]"
            if not isinstance(g, dict):
                err(qid, f"{where} is not an object")
                continue
            allowed = {"doc", "article", "paragraph", "footnote", "phrase"}
            extra = set(g) - allowed
            if extra:
                err(qid, f"{where}: unknown keys {sorted(extra)}")
            doc = g.get("doc")
            phrase = g.get("phrase")
            if doc not in DOCS:
                err(qid, f"{where}: unknown doc {doc!r}")
                continue
            if not isinstance(phrase, str):
                err(qid, f"{where}: phrase missing")
                continue
            nw = len(phrase.split())
            if not PHRASE_WORDS[0] <= nw <= PHRASE_WORDS[1]:
                err(qid, f"{where}: phrase has {nw} words (want {PHRASE_WORDS[0]}-{PHRASE_WORDS[1]})")
            if re.search(r"<sup>|https?:|www\.|[\"“”]|\]\(", phrase):
                err(qid, f"{where}: phrase contains a footnote marker, URL or quote character")
            nphrase = normalize(phrase)
            gold_total += 1

            if doc == SUBMISSION:
                if "article" in g or "paragraph" in g:
                    err(qid, f"{where}: article/paragraph are for treaty passages, not the submission")
                if "footnote" in g:
                    fn = g["footnote"]
                    if not isinstance(fn, int) or isinstance(fn, bool):
                        err(qid, f"{where}: footnote must be an integer")
                        continue
                    if fn not in sub.footnotes:
                        err(qid, f"{where}: no footnote {fn} in the submission")
                        continue
                    has_footnote = True
                    if nphrase not in sub.footnotes[fn]:
                        err(qid, f"{where}: phrase {phrase!r} not in footnote {fn}")
                else:
                    if not any(nphrase in p for p in sub.body):
                        hint = [k for k, t in sub.footnotes.items() if nphrase in t]
                        extra_msg = f" (found in footnote(s) {hint}; add 'footnote')" if hint else ""
                        err(qid, f"{where}: phrase {phrase!r} not in any body paragraph of the submission{extra_msg}")
                continue

            # treaty passage
            if "footnote" in g:
                err(qid, f"{where}: footnote is only for the submission")
            art = g.get("article")
            if not isinstance(art, str):
                err(qid, f"{where}: treaty gold needs article as a string")
                continue
            t = treaties[doc]
            if art not in t.articles:
                err(qid, f"{where}: {doc} has no Article {art}")
                continue
            if "paragraph" in g:
                para = g["paragraph"]
                if not isinstance(para, str) or not para.isdigit():
                    err(qid, f"{where}: paragraph must be a digit string")
                    continue
                if para not in t.paragraphs[art]:
                    err(qid, f"{where}: {doc} Article {art} has no numbered paragraph {para}")
                    continue
                if nphrase not in t.paragraphs[art][para]:
                    err(qid, f"{where}: phrase {phrase!r} not in {doc} art. {art} para. {para}")
            elif nphrase not in t.articles[art]:
                err(qid, f"{where}: phrase {phrase!r} not in {doc} art. {art}")

        if has_footnote:
            footnote_questions += 1

        docs = [g.get("doc") for g in gold if isinstance(g, dict)]
        if kind == "multi-doc" and len(set(docs)) < 2:
            err(qid, "multi-doc needs gold from at least 2 different documents")
        if kind == "article-ref":
            if not ARTICLE_REF_RE.search(text):
                err(qid, "article-ref question must name an article (e.g. 'Article 17', 'art. 15')")
            if SUBMISSION in docs:
                submission_article_refs += 1
        if kind == "ambiguous-number":
            m = ARTICLE_REF_RE.search(text)
            named = DOC_NAME_RE.search(text)
            if not m:
                err(qid, "ambiguous-number question must name an article number")
                continue
            if named:
                err(qid, f"ambiguous-number question names a document ({named.group(0)!r})")
            number = re.search(r"\d+", m.group(0)).group(0)
            if any(g.get("doc") == SUBMISSION for g in gold):
                err(qid, "ambiguous-number gold must be treaty articles")
            arts = {g.get("article") for g in gold}
            if arts != {number}:
                err(qid, f"gold articles {sorted(a for a in arts if a)} do not match Article {number}")
            have = {d for d in TREATIES if number in treaties[d].articles}
            listed = set(docs)
            if len(listed) < 2:
                err(qid, "ambiguous-number needs at least 2 gold entries from different treaties")
            if listed != have:
                err(qid, f"Article {number} exists in {sorted(have)}, gold lists {sorted(listed)}")

        if kind == "paraphrase":
            stop = set("the a an of and or to in on for by with as at be is are any its their this that such from".split())
            pw = [w for g in gold if isinstance(g, dict) for w in words(g.get("phrase", "")) if w not in stop]
            if pw:
                share = sum(1 for w in pw if w in set(qw)) / len(pw)
                if share > 0.5:
                    err(qid, f"paraphrase question shares {share:.0%} of the gold phrase's content words")

    for qid, c in ids.items():
        if c > 1:
            errors.append(f"{qid}: duplicate id ({c} times)")

    total = len(questions)
    if minimums:
        if total < MIN_TOTAL:
            errors.append(f"only {total} questions (want >= {MIN_TOTAL})")
        for kind, minimum in MIN_COUNTS.items():
            if kinds[kind] < minimum:
                errors.append(f"kind {kind}: {kinds[kind]} questions (want >= {minimum})")
        if submission_article_refs < MIN_SUBMISSION_ARTICLE_REFS:
            errors.append(f"only {submission_article_refs} article-ref questions on the submission's numbering "
                          f"(want >= {MIN_SUBMISSION_ARTICLE_REFS})")
        if footnote_questions < MIN_FOOTNOTE_QUESTIONS:
            errors.append(f"only {footnote_questions} questions with footnote gold (want >= {MIN_FOOTNOTE_QUESTIONS})")

    print(f"corpus: {corpus}  file: {questions_path.name}")
    print(f"questions: {total}  gold passages: {gold_total}")
    for kind in KINDS:
        print(f"  {kind:17s} {kinds[kind]:3d}" + (f"  (min {MIN_COUNTS[kind]})" if minimums else ""))
    print(f"  article-ref on the submission's numbering: {submission_article_refs}")
    print(f"  questions with footnote gold: {footnote_questions}")
    for w in warnings:
        print(f"WARN {w}")
    if errors:
        for e in errors:
            print(f"FAIL {e}")
        print(f"{len(errors)} failure(s)")
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Validate a question file against the corpus.")
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--questions", type=Path, default=None,
                    help="a supplementary question file, checked without the per-kind minimums")
    args = ap.parse_args()
    if args.questions is None:
        sys.exit(check(args.corpus))
    sys.exit(check(args.corpus, args.questions, minimums=False))
