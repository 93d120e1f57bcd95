"""What a yes/no question asks of the law, read once with the other readings of the question: whether
the law requires, permits or prohibits something, which safeguards of the provision reader's
vocabulary it names, whether it asks about derogation, a treaty body, or what the submission asks
for. The verdict (answer/verdict.py) reads this record, never the question's text."""

from __future__ import annotations

from ..records import LegalAsk, Query, Source
from .rules import Rules


def read_legal(q: Query, rules: Rules, sources: dict[str, Source]) -> LegalAsk:
    text, focus = q.text, q.focus or q.text
    derogation = bool(rules.pattern("law_derogation").search(text))
    kind = "permits" if derogation else "prohibits" if rules.pattern("law_prohibits").search(focus) else \
        "permits" if rules.pattern("law_permits").search(text) else "requires"
    tags = ["non-derogable"] if derogation else \
        list(dict.fromkeys(m.lastgroup.replace("_", "-") for m in rules.pattern("asks_safeguard").finditer(focus)))
    submission = "submission" in q.roles or any(sources[d].role == "submission" for d in q.named_docs if d in sources)
    return LegalAsk(kind, tags, derogation, bool(rules.pattern("treaty_body").search(text)),
                    submission and bool(rules.pattern("asks_of_submission").search(text)))
