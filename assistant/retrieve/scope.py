"""Which document a bare article number belongs to. "Art. 42" in a question about the submission or
the draft is the draft's article, numbered as the submission numbers it: it must not pull in the
ICCPR's, the ECHR's or UNCAC's articles 42, which only share the number. The question is about the
submission or the draft when it names one of them (and no other treaty), or when it describes the
article as the submission does ("the conditions and safeguards article (Art. 42)": the submission's
"Art. 42 on conditions and safeguards") and as no indexed article of that number is titled."""

from __future__ import annotations

from ..index.lexical import tokenize
from ..records import ArticleRef, Query
from ..query.refs import describe_mention
from .stages import Corpus

# Roles whose mention of an article number follows the draft's numbering, and the drafts themselves.
ABOUT_DRAFT = ("submission", "negotiating-text")


def scope_draft_numbers(query: Query, corpus: Corpus) -> None:
    """Give each bare article number that the question asks of the submission or the draft the
    registered draft that numbers it (the document the submission's mentions link it to)."""
    roles = {corpus.sources[d].role for d in query.named_docs if d in corpus.sources} | set(query.roles)
    if roles - set(ABOUT_DRAFT):  # a treaty named: its own article of that number is meant
        return
    for n, ref in enumerate(query.refs):
        if ref.doc_id is not None and corpus.sources.get(ref.doc_id, None) and corpus.sources[ref.doc_id].role != "submission":
            continue
        host = _draft_host(ref.article, corpus)
        if host and (roles & set(ABOUT_DRAFT) or _described_as_submission_does(query, ref.article, corpus)):
            query.refs[n] = ArticleRef(ref.article, ref.paragraph, host)


def _draft_host(article: str, corpus: Corpus) -> str | None:
    """The registered draft a submission's mention of `article` is linked to."""
    for p in corpus.passages:
        if p.role == "submission":
            for m in p.mentions:
                doc, _, art = m.partition(":")
                if art == article and doc in corpus.sources and corpus.sources[doc].role == "negotiating-text":
                    return doc
    return None


def _described_as_submission_does(query: Query, article: str, corpus: Corpus) -> bool:
    words = set(tokenize(query.focus or query.text))
    if not words:
        return False
    said = {t for p in corpus.passages if p.role == "submission" and any(m.endswith(f":{article}") for m in p.mentions)
            for t in tokenize(describe_mention(p.text, article))}
    # an article's title follows its number in its heading: "Article 42 – Reservations"
    titled = {t for (doc, art), rows in corpus.by_article.items() if art == article and corpus.passages[rows[0]].heading_path
              for t in tokenize(corpus.passages[rows[0]].heading_path[-1].partition(" – ")[2])}
    return bool(words & said) and not words & titled
