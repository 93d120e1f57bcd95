"""Whether a written sentence contradicts the verdict read from the provisions: prose that says a
provision "requires" what the verdict finds conditional, or that something is required or allowed
where the verdict is no. A check of wording, not of meaning: it catches the flat statement, and a
sentence that hedges ("only as appropriate", "subject to domestic law", "does not require") passes."""

from __future__ import annotations

import re

# A flat statement that the law requires, or allows, something.
_REQUIRES = re.compile(r"\b(?:requires?|required|must|mandatory|obliges?|obligated|obliged|compels?|guarantees?|always)\b",
                       re.IGNORECASE)
_ALLOWS = re.compile(r"\b(?:may|can|allows?|allowed|permits?|permitted|free\s+to)\b", re.IGNORECASE)
# A negation: the sentence says the law does not require (allow) it.
_NEGATED = re.compile(r"\b(?:not|no|never|cannot|can't|neither|nor|without|nothing|none)\b|n't\b", re.IGNORECASE)
# A hedge: the sentence says on what the requirement depends.
# ("conditions and safeguards" names what is required, and hedges nothing)
_HEDGED = re.compile(r"\b(?:appropriate|subject\s+to|depend\w*|domestic\s+law|conditional(?:ly)?|only|discretion\w*"
                     r"|unless|provided\s+that|to\s+the\s+extent|may|where|if)\b", re.IGNORECASE)


def contradicts(sentence: str, label: str | None) -> str:
    """Why `sentence` contradicts a verdict `label` (one of VERDICTS), or ""."""
    flat = not _NEGATED.search(sentence)
    if label == "conditional" and flat and _REQUIRES.search(sentence) and not _HEDGED.search(sentence):
        return "contradicts the verdict (conditional): states a plain requirement"
    if label == "no" and flat and (_REQUIRES.search(sentence) or _ALLOWS.search(sentence)):
        return "contradicts the verdict (no): states that it is required or allowed"
    if label == "yes" and not flat and _REQUIRES.search(sentence):
        return "contradicts the verdict (yes): states that it is not required"
    return ""
