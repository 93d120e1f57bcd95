"""Compares two `treaty ask --batch` outputs question by question: the fields a change to how answers
are built must leave as they were (`answer`, `citations`, `notes`, `abstained`). With `--sections`,
also checks that every answer of the second file has records consistent with its text.

    python bench/compare_answers.py before.jsonl after.jsonl [--sections]"""

from __future__ import annotations

import json
import sys

FIELDS = ("answer", "citations", "notes", "abstained")


def main(before: str, after: str, sections: bool) -> int:
    old = [json.loads(line) for line in open(before, encoding="utf-8")]
    new = [json.loads(line) for line in open(after, encoding="utf-8")]
    if len(old) != len(new):
        print(f"{len(old)} answers before, {len(new)} after")
        return 1
    same = 0
    for a, b in zip(old, new):
        differ = [f for f in FIELDS if a.get(f) != b.get(f)]
        if differ:
            print(f"differs ({', '.join(differ)}): {a['question'][:80]}")
        else:
            same += 1
    print(f"{same} of {len(old)} answers identical in {', '.join(FIELDS)}")
    bad = [b["question"] for b in new if sections and not _consistent(b)]
    for q in bad:
        print(f"sections inconsistent with the answer: {q[:80]}")
    return 0 if same == len(old) and not bad else 1


def _consistent(d: dict) -> bool:
    """Every sentence and its [n] appear in the answer text, and cite numbers the citations hold."""
    numbers = {c["n"] for c in d["citations"]}
    sentences = [s for x in d.get("sections", []) for s in x["sentences"]]
    return bool(sentences) and all(set(s["citations"]) <= numbers and s["text"] in d["answer"] for s in sentences)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--sections"]
    sys.exit(main(args[0], args[1], "--sections" in sys.argv))
