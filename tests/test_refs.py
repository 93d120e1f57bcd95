"""Article references in questions and passages."""

import pytest

from assistant.records import ArticleRef
from assistant.query.refs import AliasMatcher, find_refs, strip_references
from assistant.query import QueryReader
from assistant.sources import load_registry


@pytest.fixture(scope="module")
def matcher():
    return AliasMatcher.build(load_registry())


@pytest.fixture(scope="module")
def reader():
    return QueryReader(load_registry())


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
    # words describing the named text's provision may stand between the name and the number
    ("the draft's conditions-and-safeguards article (Art. 42)", [ArticleRef("42", None, "a-ac-291-19")]),
    ("the ICCPR's privacy provision, art. 17,", [ArticleRef("17", None, "iccpr")]),
    ("the submission's critique of Article 73", [ArticleRef("73", None, None)]),  # a critique is no provision
    ("art. 17bis ICCPR", [ArticleRef("17 bis", None, "iccpr")]),  # an article of its own, never article 17
    ("Article 6 Bis and article 7", [ArticleRef("6 bis", None, None), ArticleRef("7", None, None)]),
])
def test_find_refs(matcher, text, expected):
    assert find_refs(text, matcher) == expected


@pytest.mark.parametrize("text, docs", [
    ("What does the UN civil and political rights covenant say about expression?", ["iccpr"]),
    ("Does the women’s rights convention cover family planning?", ["cedaw"]),
    ("the anti-bribery treaty and the organised crime convention", ["uncac", "untoc"]),
    ("the European human rights convention", ["echr"]),
    ("the Women's Convention", ["cedaw"]),  # an alias, not a subject followed by "convention"
    ("must there be a remedy at home before going to Strasbourg?", ["echr"]),  # the Court's seat names it
    ("the Derechos Digitales/APC submission", ["dd-apc-ahc5"]),
    ("the corruption of the convention", []),  # a subject names a document only right before a word for one
    ("a cybercrime convention", []),  # Budapest and the UN convention both are: no subject claims it
    ("Does the 1948 Declaration cover news from abroad?", ["udhr"]),  # a year and the kind of text
    ("the 2024 convention", []),  # the approved draft and the adopted Convention are both of 2024
    ("Do the Budapest and Palermo conventions refuse on political grounds?", ["budapest", "untoc"]),  # one noun, two names
    ("the Palermo and Merida Conventions", ["untoc", "uncac"]),
    ("the Council of Europe's computer-crime treaty", ["budapest"]),
    ("Paris and London treaties", []),  # names of no registered document
    ("the organized crime and anti-corruption conventions", ["untoc", "uncac"]),  # two subjects, one noun
    ("the anti-bribery and organised crime treaties", ["uncac", "untoc"]),
])
def test_a_subject_followed_by_treaty_names_the_document(matcher, text, docs):
    assert [doc for _, _, doc in matcher.find(text)] == docs


def test_single_named_document_claims_unattached_numbers(reader):
    q = reader("In the Budapest Convention, what do articles 20 and 21 require?")
    assert [(r.article, r.doc_id) for r in q.refs] == [("20", "budapest"), ("21", "budapest")]


def test_topic_drops_references(matcher):
    assert strip_references("Does Article 21 of the Budapest Convention require judicial oversight?", matcher) == \
        "Does require judicial oversight?"


def test_role_words_name_every_submission_in_questions_only(reader):
    sources = load_registry()
    q = reader("Which safeguards do the NGOs want attached to Art. 42?")
    assert q.named_docs == ["dd-apc-ahc5"] and q.refs == [ArticleRef("42", None, "dd-apc-ahc5")]
    assert "NGOs" not in q.focus
    # passages are parsed without them: a treaty that mentions NGOs does not name the submission
    assert AliasMatcher.build(sources).find("the NGOs") == []
    assert reader("On what grounds do the two NGOs want refusals?").named_docs == ["dd-apc-ahc5"]
    assert reader("On what grounds do the two NGOs want refusals?").roles == ["submission"]


@pytest.mark.parametrize("text", ["What does UNCAC say about non-governmental organizations?",
                                  "What does UNCAC allow regarding NGO input?"])
def test_role_words_without_the_are_what_is_asked_about(reader, text):
    """Bare "NGOs" or "non-governmental organizations" is the subject of the question, not its speaker:
    dropped from the question, it left "What does say about ?" to search with."""
    q = reader(text)
    assert q.named_docs == ["uncac"] and ("non-governmental organizations" in q.focus or "NGO input" in q.focus)


def test_a_possessive_goes_with_its_name(matcher):
    assert strip_references("How does Budapest's power to intercept compare?", matcher) == "How does power to intercept compare?"
    assert strip_references("the ICCPR’s article on privacy", matcher) == "the article on privacy"


@pytest.mark.parametrize("topic, parts", [
    ("How does power to intercept message contents compare with what the submission asks for on interception?",
     ["How does power to intercept message contents", "what the submission asks for on interception"]),
    ("The submission wants states to refuse help over political offences; how do the treaties treat those grounds?",
     ["The submission wants states to refuse help over political offences", "how do the treaties treat those grounds"]),
    ("Can the authorities intercept content data in real time?", []),  # one ask: nothing to split
    ("Privacy and data protection compared with security", []),  # a part of fewer than three terms is no ask
])
def test_two_part_questions_are_split_into_their_asks(reader, topic, parts):
    assert reader.clauses(topic) == parts
