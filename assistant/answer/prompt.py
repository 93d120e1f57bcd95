"""Prompt templates, read from prompts/<name>-v<N>.{system,user}.txt: the version travels with the
answer. Passages go in as numbered, fenced data with their locators."""

from __future__ import annotations

import re

from ..errors import UsageError
from ..locations import PROMPTS_DIR
from ..records import Hit

PROMPT = "answer-v1"
_CLOSE = re.compile(r"</\s*passage", re.IGNORECASE)


def template(version: str = PROMPT):
    from langchain_core.prompts import ChatPromptTemplate

    try:
        system = (PROMPTS_DIR / f"{version}.system.txt").read_text(encoding="utf-8")
        user = (PROMPTS_DIR / f"{version}.user.txt").read_text(encoding="utf-8")
    except OSError:
        raise UsageError(f"prompt '{version}' not found in {PROMPTS_DIR}: expected {version}.system.txt and {version}.user.txt") from None
    # The files are plain text: only {question} and {passages} are fields, any other brace is literal.
    escape = lambda t: t.replace("{", "{{").replace("}", "}}").replace("{{question}}", "{question}").replace("{{passages}}", "{passages}")  # noqa: E731
    return ChatPromptTemplate.from_messages([("system", escape(system)), ("human", escape(user))])


def fence(n: int, hit: Hit) -> str:
    """One passage as data. A passage cannot close its own fence: a literal closing tag inside it is
    broken up, so whatever it says stays inside."""
    p = hit.passage
    text = _CLOSE.sub("< /passage", p.text)
    return f'<passage n="{n}" source="{p.locator}" role="{p.role}">\n{text}\n</passage>'


def messages(question: str, hits: list[Hit], version: str = PROMPT) -> list:
    passages = "\n\n".join(fence(n, h) for n, h in enumerate(hits, 1))
    return template(version).format_messages(question=question, passages=passages)
