"""Calibrate the verifier's support score (assistant/answer/verify.py) without a language model.

Usage: python evals/calibrate_support.py [--data-dir D] [--corpus-dir C] [--questions Q]

Needs an index (`treaty index`); --data-dir and --corpus-dir default to the settings (TREATY_DATA_DIR,
TREATY_CORPUS_DIR, treaty.toml). Labelled (sentence, cited passage) pairs are built from the extractive
answers to the evaluation set's answerable questions:

positives
  verbatim   each answer sentence with the passage it cites;
  drop       the sentence with 30 % of its non-content words dropped;
  reorder    the clauses either side of its first comma swapped;
  truncate   its first 60 % of words;
  plain      its legal phrasing put plainly ("Each Party shall ensure that" -> "Every state must make sure
             that", "offences" -> "crimes", "preserve" -> "keep"), from a fixed table;
  framed     the sentence said of its document ("The Convention provides that each Party ...");
negatives
  other      the sentence with a passage cited for a different question, from a different document;
  swap       the sentence with its key noun phrase (its rarest run of content words) replaced by the key
             phrase of a sentence answering another question from another document, with its own passage.

A second, small set is written by hand (HAND below): statements about passages of the shared corpus in
the words an answer would use, faithful paraphrases and plausible claims the passage does not make. The
automatic positives keep the passage's own words, so on them alone lexical coverage always wins; the
hand-written ones show what that costs on real paraphrase.

For a grid of lexical weights, dense floors and thresholds it prints accuracy, precision, recall, F1 (on
"supported") and balanced accuracy on the automatic pairs, picks the weights and threshold with the best
balanced accuracy on them (the lowest threshold among ties), then the values with the best mean of the
two sets' balanced accuracies, averaged over the threshold +-0.02 (recommended, and what verify.py
uses), with figures on both sets and pass rates by kind of pair. It writes nothing."""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

WEIGHTS = [round(0.1 * i, 1) for i in range(11)]  # lexical weight; the dense similarity takes the rest
FLOORS = [0.0, 0.1, 0.2, 0.3]
THRESHOLDS = [round(0.01 * i, 2) for i in range(5, 96)]
SMOOTH = 0.02
# Words every treaty sentence shares: never a key phrase.
GENERIC = {
    "article", "articles", "convention", "treaty", "document", "provision", "provisions", "state", "states",
    "party", "parties", "shall", "may", "must", "require", "requires", "required", "adopt", "ensure",
    "measure", "measures", "necessary", "such", "other", "each",
}
_WORD = re.compile(r"^[A-Za-z][A-Za-z\-]*$")


@dataclass
class Pair:
    qid: str
    kind: str
    label: bool
    sentence: str
    passage: object


def _bare(word: str) -> str:
    return word.strip(".,;:()\"'“”‘’[]").lower()


def drop_words(s: str) -> str:
    """Drop 30 % of the non-content words, spread over the sentence (every j with 3j mod 10 < 3)."""
    from assistant.index.lexical import STOPWORDS

    words, out, j = s.split(), [], 0
    for w in words:
        if _bare(w) in STOPWORDS and _bare(w) == w.lower():
            j += 1
            if (3 * (j - 1)) % 10 < 3:
                continue
        out.append(w)
    return " ".join(out)


def reorder(s: str) -> str:
    """'A, B.' -> 'B, a.' around the first comma outside brackets, both sides three words or more."""
    depth = 0
    for i, ch in enumerate(s):
        depth += ch in "([" and 1 or 0
        depth -= ch in ")]" and 1 or 0
        if ch == "," and depth == 0:
            a, b = s[:i].strip(), s[i + 1:].strip().rstrip(".;:")
            if len(a.split()) < 3 or len(b.split()) < 3:
                return s
            a = a if a[:2].isupper() or (len(a) > 1 and a[1].isupper()) else a[0].lower() + a[1:]
            return f"{b[0].upper()}{b[1:]}, {a}."
    return s


def truncate(s: str) -> str:
    words = s.split()
    return " ".join(words[:max(1, math.ceil(0.6 * len(words)))])


# Legal phrasing and the plain words an answer puts for it (applied in order, first letter's case kept).
PLAIN = [
    (r"adopt such legislative and other measures as may be necessary to", "take the steps needed to"),
    (r"each state party", "every state"), (r"each party", "every state"), (r"states parties", "the states"),
    (r"shall have the right to", "is entitled to"), (r"shall not", "must not"), (r"shall", "must"),
    (r"ensure that", "make sure that"), (r"in accordance with", "under"), (r"pursuant to", "under"),
    (r"prior to", "before"), (r"no one", "nobody"), (r"everyone", "every person"), (r"provided for", "set out"),
    (r"with a view to", "in order to"), (r"in particular", "especially"), (r"as appropriate", "where suitable"),
    (r"expeditious(ly)?", "quick\\1"), (r"obtain", "get"), (r"establish", "set up"), (r"criminal offences?", "crimes"),
    (r"competent authorities", "responsible authorities"), (r"in order to", "to"),
    (r"in respect of", "for"), (r"relating to", "about"), (r"referred to in", "mentioned in"), (r"persons", "people"),
    (r"domestic law", "national law"), (r"legislation", "law"), (r"undertakes? to", "commits to"),
    (r"offences", "crimes"), (r"offence", "crime"), (r"assistance", "help"), (r"preserve", "keep"), (r"disclose", "reveal"),
    (r"confidential", "secret"), (r"supervision", "oversight"), (r"oblige", "require"), (r"subjected to", "exposed to"),
    (r"individuals", "people"), (r"communications", "messages"), (r"deprived of", "denied"), (r"procedures", "steps"),
]
ENUMERATOR = re.compile(r"^\s*(?:\d+\.|\(?[a-z]{1,4}\)|\(\d+\))\s+")
FRAMES = {"submission": "The submission argues that", "negotiating-text": "The draft text provides that"}
FRAME = "The {doc} provides that"


def plain(s: str) -> str:
    out = s
    for pattern, repl in PLAIN:
        def sub(m, repl=repl):
            new = m.expand(repl)
            return new[0].upper() + new[1:] if m.group()[0].isupper() else new
        out = re.sub(rf"\b{pattern}\b", sub, out, flags=re.IGNORECASE)
    return out


def framed(s: str, passage) -> str:
    """The sentence said of its document: "The Convention provides that each Party ..."."""
    words = (passage.title or "text").split()
    kind = next((w for w in words if w.lower() in {"convention", "covenant", "declaration", "submission"}), "text")
    frame = FRAMES.get(passage.role) or FRAME.format(doc=kind)
    first = s.split(" ", 1)[0]
    lowered = s if first[1:2].isupper() or first.isupper() else s[0].lower() + s[1:]
    return f"{frame} {lowered}"


def key_phrase(s: str, idf) -> tuple[int, int] | None:
    """Word span (i, j) of the run of content words (at most 4) with the largest summed idf."""
    from assistant.index.lexical import STOPWORDS, tokenize

    words = s.split()
    best, best_score = None, 0.0
    i = 0
    while i < len(words):
        if not _WORD.match(_bare(words[i]) or "-") or _bare(words[i]) in STOPWORDS or _bare(words[i]) in GENERIC:
            i += 1
            continue
        j = i
        while j < len(words) and j - i < 4 and _WORD.match(_bare(words[j]) or "-") and _bare(words[j]) not in STOPWORDS \
                and _bare(words[j]) not in GENERIC:
            j += 1
            if words[j - 1][-1] in ".,;:)":
                break
        score = sum(idf(t) for w in words[i:j] for t in tokenize(w))
        if score > best_score:
            best, best_score = (i, j), score
        i = j
    return best


def swap(s: str, other: str, idf) -> str | None:
    """`s` with its key phrase replaced by `other`'s key phrase."""
    mine, theirs = key_phrase(s, idf), key_phrase(other, idf)
    if not mine or not theirs:
        return None
    words, owords = s.split(), other.split()
    tail = re.search(r"[.,;:)\"”]*$", words[mine[1] - 1]).group()
    phrase = " ".join(_bare(w) if k else w.strip(".,;:()\"“”") for k, w in enumerate(owords[theirs[0]:theirs[1]]))
    if mine[0]:
        phrase = phrase[0].lower() + phrase[1:] if not phrase[:2].isupper() else phrase
    else:
        phrase = phrase[0].upper() + phrase[1:]
    return " ".join(words[:mine[0]] + [phrase + tail] + words[mine[1]:])


def build_pairs(assistant, questions) -> tuple[list[Pair], int, int]:
    """(pairs, questions answered, answer sentences)."""
    from assistant.answer.verify import _passage_tokens
    from assistant.ingest.clean import fold
    from assistant.index.lexical import tokenize

    lex = assistant.retriever.snapshot.lexical

    def idf(term: str) -> float:
        col = lex.vocab.get(term)
        df = 0 if col is None else int(lex.indptr[col + 1] - lex.indptr[col])
        return math.log(1 + (lex.num_docs - df + 0.5) / (df + 0.5))

    answers = []  # (qid, [(sentence, passage)])
    for q in questions:
        if not q.answerable:
            continue
        a = assistant.ask(q.question)
        if a.abstained:
            continue
        by_n = {c.n: c.hit.passage for c in a.citations}
        rows = [(s.text, by_n[n]) for section in a.sections for s in section.sentences for n in s.citations]
        if rows:
            answers.append((q.id, rows))
    pairs: list[Pair] = []
    for qi, (qid, rows) in enumerate(answers):
        cited_here = {p.id for _, p in rows}
        for j, (s, p) in enumerate(rows):
            pairs.append(Pair(qid, "verbatim", True, s, p))
            base = ENUMERATOR.sub("", s)  # "3. Each Party" -> "Each Party": what an answer would write
            seen = {s, base}
            for kind, variant in (("drop", drop_words(base)), ("reorder", reorder(base)), ("truncate", truncate(base)),
                                  ("plain", plain(base)), ("framed", framed(base, p))):
                if variant not in seen and len(variant.split()) >= 4:
                    seen.add(variant)
                    pairs.append(Pair(qid, kind, True, variant, p))
            # the next answers in turn (cyclic; the j-th sentence starts j answers further on): the first
            # passage of another document that does not happen to hold the sentence itself
            other_p = other_s = None
            for k in range(1 + j, len(answers) + j):
                if (qi + k) % len(answers) == qi:
                    continue
                _, others = answers[(qi + k) % len(answers)]
                for os_, op in others:
                    if op.doc_id != p.doc_id and op.id not in cited_here and fold(s) not in fold(op.text):
                        other_p = other_p or op
                        if other_s is None:
                            swapped = swap(s, os_, idf)
                            if swapped and swapped != s:
                                new = set(tokenize(swapped)) - set(tokenize(s))
                                if new and not new <= _passage_tokens(p):
                                    other_s = swapped
                if other_p is not None and other_s is not None:
                    break
            if other_p is not None:
                pairs.append(Pair(qid, "other", False, s, other_p))
            if other_s is not None:
                pairs.append(Pair(qid, "swap", False, other_s, p))
    return pairs, len(answers), sum(len(r) for _, r in answers)


def figures(labels, predicted) -> dict:
    """Accuracy, precision, recall, F1 (on "supported"), specificity and balanced accuracy (the mean
    of recall and specificity)."""
    import numpy as np

    labels, predicted = np.asarray(labels, bool), np.asarray(predicted, bool)
    tp, fn = int(np.sum(labels & predicted)), int(np.sum(labels & ~predicted))
    tn, fp = int(np.sum(~labels & ~predicted)), int(np.sum(~labels & predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    return {"accuracy": (tp + tn) / max(1, tp + tn + fp + fn), "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "balanced": (recall + specificity) / 2, "specificity": specificity}


def _line(f: dict) -> str:
    return (f"accuracy {f['accuracy']:.3f}  precision {f['precision']:.3f}  recall {f['recall']:.3f}  F1 {f['f1']:.3f}  "
            f"balanced accuracy {f['balanced']:.3f}")


# Statements written by hand about passages of the shared corpus (by passage id) in the words an answer
# would use: faithful paraphrases (True) and plausible claims the passage does not make (False), some of
# them contradictions in the passage's own words, which no similarity score can catch.
HAND = [
    ("budapest:art16.2", True, "Under the Budapest Convention, a person ordered to preserve stored computer data can be required to keep it intact for up to ninety days so that the authorities can seek its disclosure."),
    ("budapest:art16.2", True, "A preservation order may oblige the holder of the data to maintain its integrity for at most ninety days, and the order may be renewed."),
    ("iccpr:art17.1", True, "The ICCPR protects everyone against arbitrary or unlawful interference with their privacy, family, home or correspondence."),
    ("iccpr:art17.1", True, "Article 17 of the Covenant also bars unlawful attacks on a person's honour and reputation."),
    ("echr:art8.2", True, "Under Article 8(2) ECHR, a public authority may interfere with private life only where the interference is lawful and necessary in a democratic society for aims such as national security or the prevention of crime."),
    ("udhr:art12", True, "The Universal Declaration gives everyone the right to the law's protection against arbitrary interference with their privacy."),
    ("untoc:art18.1", True, "UNTOC requires States Parties to give each other the widest possible mutual legal assistance in investigations, prosecutions and judicial proceedings concerning the offences it covers."),
    ("budapest:art15.1", True, "Article 15 makes the investigative powers subject to conditions and safeguards in domestic law that adequately protect human rights."),
    ("budapest:art29.7", True, "Data preserved at another Party's request must be kept for at least sixty days so that a request for search, seizure or disclosure can be submitted."),
    ("iccpr:art19.2", True, "The right to free expression covers seeking and sharing information across borders in any medium."),
    ("cedaw:art2", True, "States Parties to CEDAW condemn discrimination against women and agree to pursue a policy of eliminating it without delay."),
    ("echr:art10.1", True, "The ECHR guarantees freedom of expression, including the freedom to hold opinions and to receive and impart information without interference by public authorities."),
    ("echr:art10.1", True, "States may still require broadcasting, television and cinema enterprises to be licensed."),
    ("budapest:art2", True, "The Budapest Convention requires Parties to make intentional access to a computer system without right a criminal offence."),
    ("budapest:art2", True, "A Party may limit the offence to access that infringes security measures or is committed with dishonest intent."),
    ("budapest:art19.1", True, "Parties must give their competent authorities power to search computer systems and the data stored in them, as well as storage media on their territory."),
    ("untoc:art16.10", True, "A State that refuses to extradite an offender only because he is its national must, when asked, submit the case to its own authorities for prosecution without undue delay."),
    ("uncac:art33", True, "UNCAC asks States Parties to consider protecting people who report corruption offences in good faith from unjustified treatment."),
    ("uncac:art13.1", True, "UNCAC calls on each State Party to promote the active participation of civil society and non-governmental organizations in preventing and fighting corruption."),
    ("dd-apc-ahc5:introduction.1", True, "Derechos Digitales is a non-governmental organisation founded in 2005 that defends human rights in the digital environment, such as privacy and freedom of expression."),
    ("dd-apc-ahc5:multiple-investigatory-powers.11", True, "The submission warns that the convention must not enable surveillance practices that harm fundamental rights and affect women and vulnerable groups differently."),
    ("dd-apc-ahc5:the-need-to-strengthen-gender-considerat.5", True, "According to the submission, the CEDAW Committee has addressed ICT-facilitated violence against women in its general recommendations."),
    ("budapest:art16.2", False, "Under the Budapest Convention, preserved data must be kept for at least one hundred and eighty days."),
    ("budapest:art16.2", False, "A preservation order requires prior approval by a judge."),
    ("iccpr:art17.1", False, "The ICCPR allows states to interfere with privacy whenever national security requires it."),
    ("iccpr:art17.1", False, "The ICCPR requires telecommunications providers to retain data for twelve months."),
    ("echr:art8.2", False, "Under Article 8(2) ECHR, interference with private life is never permitted."),
    ("echr:art8.2", False, "Article 8(2) ECHR requires states to notify individuals after surveillance ends."),
    ("udhr:art12", False, "The Universal Declaration requires states to criminalise online harassment."),
    ("udhr:art12", False, "The Universal Declaration protects the right to own property."),
    ("untoc:art18.1", False, "UNTOC obliges States Parties to extradite their own nationals."),
    ("budapest:art15.1", False, "Article 15 requires independent judicial oversight of every interception."),
    ("budapest:art29.7", False, "Data preserved at another Party's request must be deleted after thirty days."),
    ("iccpr:art19.2", False, "The ICCPR guarantees a right to internet access."),
    ("cedaw:art2", False, "CEDAW requires states to set quotas for women in parliament."),
    ("echr:art10.1", False, "The ECHR prohibits states from licensing broadcasters."),
    ("budapest:art2", False, "The Budapest Convention makes it a crime to own hacking tools for security research."),
    ("budapest:art19.1", False, "Parties must allow foreign police to search computers on their territory without a warrant."),
    ("untoc:art16.10", False, "UNTOC forbids any State from extraditing its own nationals."),
    ("uncac:art33", False, "UNCAC requires whistleblowers to be paid a reward for reporting corruption."),
    ("uncac:art13.1", False, "UNCAC requires States Parties to fund non-governmental organizations."),
    ("dd-apc-ahc5:introduction.1", False, "Derechos Digitales was founded in 1995 as a government agency."),
    ("dd-apc-ahc5:multiple-investigatory-powers.11", False, "The submission supports expanding real-time surveillance powers to fight cybercrime."),
    ("dd-apc-ahc5:the-need-to-strengthen-gender-considerat.5", False, "According to the submission, the CEDAW Committee has found that the Convention does not apply to online violence."),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, help="index folder (default: TREATY_DATA_DIR or the settings)")
    ap.add_argument("--corpus-dir", type=Path, help="local copies of the documents (default: TREATY_CORPUS_DIR)")
    ap.add_argument("--questions", type=Path, help="question set (default: evals/questions.jsonl)")
    args = ap.parse_args(argv)

    import numpy as np

    from assistant.answer import verify
    from assistant.errors import AssistantError
    from assistant.evaluate.harness import load_questions
    from assistant.facade import Assistant
    from assistant.settings import Settings

    overrides = {k: v for k, v in (("data_dir", args.data_dir), ("corpus_dir", args.corpus_dir)) if v is not None}
    try:
        assistant = Assistant.open(Settings(**overrides))
        questions = load_questions(args.questions)
        pairs, answered, n_sentences = build_pairs(assistant, questions)
    except AssistantError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if not pairs:
        print("error: no answer sentences to calibrate on: is the index built from the evaluation corpus?", file=sys.stderr)
        return 1
    by_id = {p.id: p for p in assistant.retriever.snapshot.passages}
    hand = [Pair(pid, "hand", label, text, by_id[pid]) for pid, label, text in HAND if pid in by_id]
    everything = pairs + hand
    parts = np.asarray(verify.components([(p.sentence, [p.passage]) for p in everything], assistant.retriever.embedder))
    cov, cos = parts[:, 0], parts[:, 1]
    auto, manual = np.arange(len(pairs)), np.arange(len(pairs), len(everything))
    labels = np.array([p.label for p in everything])
    kinds = list(dict.fromkeys(p.kind for p in pairs))
    counts = {k: sum(p.kind == k for p in pairs) for k in kinds}
    print(f"{len(questions)} questions, {sum(q.answerable for q in questions)} answerable, {answered} answered; "
          f"{n_sentences} answer sentences")
    print(f"automatic pairs: {len(pairs)}, {int(labels[auto].sum())} positive, {len(pairs) - int(labels[auto].sum())} negative: "
          + ", ".join(f"{k} {n}" for k, n in counts.items()))
    print(f"hand-written pairs: {len(hand)}, {int(labels[manual].sum())} positive, {len(hand) - int(labels[manual].sum())} negative"
          + (f" ({len(HAND) - len(hand)} name passages this index lacks)" if len(hand) < len(HAND) else ""))

    grid = {}  # (weight, floor) -> (auto figures by threshold, hand figures by threshold)
    for w in WEIGHTS:
        for floor in FLOORS:
            if w == 1.0 and floor != FLOORS[0]:
                continue  # the floor only shapes the dense part
            score = np.array([verify.combine(c, s, w, floor) for c, s in zip(cov, cos)])
            grid[w, floor] = ({t: figures(labels[auto], score[auto] >= t) for t in THRESHOLDS},
                              {t: figures(labels[manual], score[manual] >= t) for t in THRESHOLDS} if len(hand) else {})

    def best(key) -> tuple:
        return max(((w, floor, t) for (w, floor) in grid for t in THRESHOLDS), key=lambda x: (round(key(*x), 4), -x[2]))

    def auto_ba(w, floor, t):
        return grid[w, floor][0][t]["balanced"]

    def hand_ba(w, floor, t):
        return grid[w, floor][1][t]["balanced"] if hand else 0.0

    print()
    print("automatic pairs: best threshold for each lexical weight and dense floor (balanced accuracy on the")
    print("hand-written pairs at that threshold in the last column)")
    print("lexical  floor  threshold  accuracy  precision  recall   F1     balanced  hand")
    for (w, floor), (by_t, _) in grid.items():
        t = max(THRESHOLDS, key=lambda t: (round(by_t[t]["balanced"], 4), -t))
        f = by_t[t]
        print(f"{w:7.1f}  {floor:5.1f}  {t:9.2f}  {f['accuracy']:8.3f}  {f['precision']:9.3f}  {f['recall']:6.3f}  "
              f"{f['f1']:5.3f}  {f['balanced']:8.3f}  {hand_ba(w, floor, t):5.3f}")

    def report(title, w, floor, t):
        score = np.array([verify.combine(c, s, w, floor) for c, s in zip(cov, cos)])
        print()
        print(f"{title}: lexical weight {w}, dense weight {round(1 - w, 1)}, dense floor {floor}, threshold {t}")
        print(f"  automatic pairs ({len(pairs)}): {_line(grid[w, floor][0][t])}")
        if hand:
            print(f"  hand-written pairs ({len(hand)}): {_line(grid[w, floor][1][t])}")
        print("  by kind (share judged supported; mean score, coverage and cosine):")
        for k in [*kinds, "hand"]:
            for label in (True, False):
                idx = [i for i, p in enumerate(everything) if p.kind == k and p.label == label]
                if idx:
                    print(f"    {k:9s} {'positive' if label else 'negative'}  {len(idx):5d} pairs  supported "
                          f"{np.mean(score[idx] >= t):.3f}  score {np.mean(score[idx]):.3f}  coverage {np.mean(cov[idx]):.3f}  "
                          f"cosine {np.mean(cos[idx]):.3f}")

    report("chosen on the automatic pairs", *best(auto_ba))
    if hand:
        def both(w, floor, t):
            # averaged over the threshold +-0.02: the hand-written set is small, and a lone peak of it
            # should not decide
            near = [x for x in THRESHOLDS if abs(x - t) <= SMOOTH + 1e-9]
            return sum(auto_ba(w, floor, x) + hand_ba(w, floor, x) for x in near) / (2 * len(near))

        report("chosen on both (mean of the two balanced accuracies, averaged over the threshold +-0.02; "
               "recommended)", *best(both))
    print()
    print(f"verify.py now: lexical weight {verify.LEXICAL_WEIGHT}, dense floor {verify.DENSE_FLOOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
