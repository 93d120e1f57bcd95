"""Article references in questions and passages."""

import pytest

from assistant.records import ArticleRef
from assistant.refs import AliasMatcher, find_refs, strip_references
from assistant.retrieve import parse_query
from assistant.sources import load_registry


@pytest.fixture(scope="module")
def matcher():
    return AliasMatcher.build(load_registry())


@pytest.mark.parametrize("text, expected", [
    ("Article 17 of the ICCPR", [ArticleRef("17", None, "iccpr")]),
    ("ICCPR art. 17", [ArticleRef("17", None, "iccpr")]),
    ("art. 15 Budapest", [ArticleRef("15", None, "budapest")]),
    ("What does Article 17 of the Covenant protect?", [ArticleRef("17", None, "iccpr")]),
    ("Does Article 73 require judicial oversight?", [ArticleRef("73", None, None)]),
    ("Article 15(2) of the Budapest Convention", [ArticleRef("15", "2", "budapest")]),
    ("articles 13 and 63, paragraph 6, of the United Nations Convention against Corruption",
     [ArticleRef("13", None, "uncac"), ArticleRef("63", "6", "uncac")]),
    ("UNCAC article 13", [ArticleRef("13", None, "uncac")]),
    ("Article 8 ECHR and Article 17 ICCPR", [ArticleRef("8", None, "echr"), ArticleRef("17", None, "iccpr")]),
])
def test_find_refs(matcher, text, expected):
    assert find_refs(text, matcher) == expected


def test_single_named_document_claims_unattached_numbers(matcher):
    q = parse_query("In the Budapest Convention, what do articles 20 and 21 require?", matcher)
    assert [(r.article, r.doc_id) for r in q.refs] == [("20", "budapest"), ("21", "budapest")]


def test_topic_drops_references(matcher):
    assert strip_references("Does Article 21 of the Budapest Convention require judicial oversight?", matcher) == \
        "Does require judicial oversight?"
