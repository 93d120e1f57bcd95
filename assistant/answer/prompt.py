"""Prompt templates, read from prompts/<name>-v<N>.{system,user}.txt: the version travels with the
answer. Passages go in as numbered, fenced data with their locators, the question in a fence of its
own.

Every field that enters a fence is escaped as XML escapes it: the locator and role as attribute
values (`&`, `<`, `>`, `"`, `'`), the passage text and the question as element content (`&`, `<`,
`>`). So no passage, heading, footnote, title or question can close its fence, open another or forge
a source, whatever tags it spells out. The locator is the one the parser built from the registry's
document name and the numbers it parsed; a section heading inside it is the document's text, escaped
like the rest."""

from __future__ import annotations

import html
import re

from ..errors import UsageError
from ..locations import PROMPTS_DIR
from ..records import Hit, Query

PROMPT = "answer-v2"
# A yes/no question with a verdict read from the provisions: the model is given the verdict and its chain.
VERDICT_PROMPT = "answer-v3"
_FIELDS = ("question", "passages", "verdict")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#x27|#39);")
_CHARS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "#x27": "'", "#39": "'"}


def template(version: str = PROMPT):
    from langchain_core.prompts import ChatPromptTemplate

    try:
        system = (PROMPTS_DIR / f"{version}.system.txt").read_text(encoding="utf-8")
        user = (PROMPTS_DIR / f"{version}.user.txt").read_text(encoding="utf-8")
    except OSError:
        raise UsageError(f"prompt '{version}' not found in {PROMPTS_DIR}: expected {version}.system.txt and {version}.user.txt") from None
    # The files are plain text: only {question}, {passages} and {verdict} are fields, any other brace is literal.
    return ChatPromptTemplate.from_messages([("system", _escape(system)), ("human", _escape(user))])


def _escape(text: str) -> str:
    text = text.replace("{", "{{").replace("}", "}}")
    for name in _FIELDS:
        text = text.replace("{{" + name + "}}", "{" + name + "}")
    return text


def fence(n: int, hit: Hit) -> str:
    """One passage as data, every field escaped: whatever it says stays inside."""
    p = hit.passage
    return (f'<passage n="{n}" source="{html.escape(p.locator)}" role="{html.escape(p.role)}">\n'
            f"{html.escape(p.text, quote=False)}\n</passage>")


def messages(query: Query | str, hits: list[Hit], version: str = PROMPT, verdict: str = "") -> list:
    """The prompt for a question (its `Query` as analysed, or its text) and the passages given;
    `verdict` (escaped like a passage) fills the prompt versions that ask for it."""
    question = query.text if isinstance(query, Query) else query
    passages = "\n\n".join(fence(n, h) for n, h in enumerate(hits, 1))
    fields = {"question": html.escape(question, quote=False), "passages": passages, "verdict": html.escape(verdict, quote=False)}
    chat = template(version)
    return chat.format_messages(**{k: v for k, v in fields.items() if k in chat.input_variables})


def unescape(text: str) -> str:
    """A model's answer with the escapes it copied from the fences written as characters again
    ("Derechos Digitales &amp; APC"); no other entity is decoded (`&#27;` would be ESC)."""
    return _ENTITY.sub(lambda m: _CHARS[m.group(1)], text)
