"""A question as read once by the query analysis (assistant/query/)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ArticleRef:
    """An article named in a question: `doc_id` is None when no document was named."""

    article: str
    paragraph: str | None = None
    doc_id: str | None = None


@dataclass(slots=True)
class NamedDoc:
    """A document a question names, and how: by its "name", an "alias", its "symbol", its "subject"
    ("the <subject> convention"), or its "role" ("the submission", "the draft")."""

    doc_id: str
    how: str
    words: str = ""


# What a question asks for, as the answer must shape it: a "verdict" on a yes/no question of law, a
# "comparison" of the documents it names, a "quantity", a "date", a "definition", or a "lookup".
INTENTS = ("lookup", "verdict", "comparison", "quantity", "date", "definition")


@dataclass(slots=True)
class LegalAsk:
    """What a yes/no question asks of the law (assistant/query/legal.py): whether it `requires`,
    `permits` or `prohibits` something (`kind`), the safeguard tags it names, whether it asks about
    derogation or about a treaty body, and whether it asks what the submission asks for or argues."""

    kind: str = "requires"
    safeguards: list[str] = field(default_factory=list)
    derogation: bool = False
    organs: bool = False
    of_submission: bool = False


@dataclass(slots=True)
class Query:
    """The one reading of a question: retrieval, the answer, the prompt and the TUI read this, never
    the raw text again."""

    text: str
    topic: str = ""  # what is searched for: the question without references, plus what they name
    focus: str = ""  # the question without references: what an answer sentence must speak to
    refs: list[ArticleRef] = field(default_factory=list)
    named_docs: list[str] = field(default_factory=list)
    doc_filter: list[str] = field(default_factory=list)
    role_filter: list[str] = field(default_factory=list)
    intent: str = "lookup"  # one of INTENTS
    yes_no: bool = False  # asks a yes/no question ("Does ...", "Can a State ...", "Is ... mandatory")
    compares: bool = False
    named: list[NamedDoc] = field(default_factory=list)  # named_docs, with how each was named
    roles: list[str] = field(default_factory=list)  # document roles the question names
    term: str = ""  # the term a definition question asks about
    # what an answer must state to answer it: an "amount", "cases" (a judgment), "status" (who has
    # ratified), or "" for nothing in particular; and what the question itself states of that kind (a
    # passage repeating it adds nothing)
    asks: str = ""
    stated: list[str] = field(default_factory=list)
    quantity: bool = False  # asks for a quantity at the head of a clause (retrieval's wider reading)
    generic: bool = False  # names an article and nothing else to search for: asks about it as a whole
    clauses: list[str] = field(default_factory=list)  # the separate asks of a question that joins several
    legal: LegalAsk | None = None  # a yes/no question: what it asks of the law (the verdict reads it)
    names: list[str] = field(default_factory=list)  # names in the question (not of registered documents)
    numbered: list[str] = field(default_factory=list)  # of those, the ones particular by a number or a session
    name_runs: list[str] = field(default_factory=list)  # the runs of capitalised words in the question
    topic_names: list[str] = field(default_factory=list)  # the tokens of names in `topic`

    def to_json(self) -> dict:
        """What the reading says of the question, for readers of an answer's JSON (the TUI among them)."""
        return {"intent": self.intent, "yes_no": self.yes_no, "compares": self.compares, "asks": self.asks or None,
                "term": self.term or None, "roles": self.roles,
                "named": [{"doc_id": n.doc_id, "how": n.how, "words": n.words} for n in self.named],
                "articles": [{"article": r.article, "paragraph": r.paragraph, "doc_id": r.doc_id} for r in self.refs]}
