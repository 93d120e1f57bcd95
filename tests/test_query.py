"""The query analysis: one reading of a question into a typed `Query` (no index needed)."""

import re
from pathlib import Path

import pytest

from assistant.errors import UsageError
from assistant.query import QueryReader, analyse
from assistant.query.rules import names, table
from assistant.records import INTENTS, NamedDoc
from assistant.sources import load_registry


@pytest.fixture(scope="module")
def read():
    return QueryReader(load_registry())


@pytest.mark.parametrize("question", [
    "Does Article 21 of the Budapest Convention require judicial oversight?",
    "Can a State derogate from the right to privacy in an emergency?",
    "Is prior judicial authorisation mandatory before interception?",
    "Does the submission ask for Article 78 to be deleted?",
    "Must a party keep traffic data for ninety days?",
    "Would someone who builds hacking tools for testing commit an offence under the Budapest Convention?",
])
def test_a_yes_no_question_of_law_asks_for_a_verdict(read, question):
    q = read(question)
    assert q.yes_no and q.intent == "verdict"


@pytest.mark.parametrize("question, intent", [
    ("What does Article 17 of the ICCPR protect?", "lookup"),
    ("When was the Budapest Convention opened for signature?", "date"),
    ("How many members sit on the CEDAW Committee?", "quantity"),
    ("How does CEDAW define discrimination against women?", "definition"),
    ("How does the ICCPR's privacy article compare with the ECHR's?", "comparison"),
    ("What do UNCAC and UNTOC say about witness protection?", "comparison"),
])
def test_other_questions_have_their_intent_and_ask_no_verdict(read, question, intent):
    q = read(question)
    assert q.intent == intent and q.intent in INTENTS and not q.yes_no


@pytest.mark.parametrize("question", [
    "Has the Strasbourg court ever ruled on whether a preservation order breached Article 8?",
    "Has Chile ever ratified the Budapest Convention?",
])
def test_a_yes_no_question_of_fact_about_rulings_or_ratification_is_no_verdict(read, question):
    q = read(question)
    assert not q.yes_no and q.intent != "verdict" and q.asks in ("cases", "status")


def test_documents_are_named_with_how(read):
    q = read("Does Article 17 of the ICCPR go further than A/AC.291/19 and what the NGOs ask for?")
    assert q.named == [NamedDoc("iccpr", "alias", "ICCPR"), NamedDoc("a-ac-291-19", "alias", "A/AC.291/19"),
                       NamedDoc("dd-apc-ahc5", "role", "the NGOs")]
    assert q.named_docs == ["iccpr", "a-ac-291-19", "dd-apc-ahc5"] and q.roles == ["submission"]
    assert read("What does the UN women's rights convention say about marriage?").named[0].how == "subject"


def test_the_term_and_what_the_question_states_are_read_once(read):
    assert read("What does the submission mean by gender?").term == "gender"
    q = read("What prison term did the 2016 law set?")
    assert q.asks == "amount" and q.stated == []


def test_analyse_reads_one_question_without_an_index():
    q = analyse("Can a State derogate from Article 17 of the ICCPR?", load_registry())
    assert q.yes_no and q.refs[0].article == "17" and q.refs[0].doc_id == "iccpr"


def test_a_rule_switched_off_reads_nothing():
    sources = load_registry()
    question = "Does Article 21 of the Budapest Convention require judicial oversight?"
    assert QueryReader(sources)(question).yes_no
    assert not QueryReader(sources, rules_off=["yes_no"])(question).yes_no
    assert QueryReader(sources, rules_off=["role_names"])("What do the NGOs want?").named_docs == []
    with pytest.raises(UsageError, match="names no rule no-such-rule"):
        QueryReader(sources, rules_off=["no-such-rule"])


def test_every_rule_says_what_it_does_and_compiles():
    for name in names():
        rule = table()[name]
        assert rule["what"].strip(), name
        if "pattern" in rule:
            re.compile(rule["pattern"])


def test_nothing_downstream_reads_the_question_with_a_pattern():
    """Retrieval, the answer and the TUI read the `Query`; no regular expression is applied to the
    question's text outside the query analysis."""
    root = Path(__file__).resolve().parents[1] / "assistant"
    applied = re.compile(r"\.(?:search|match|fullmatch|finditer|findall|split|sub)\((?:[^()]*,\s*)?(?:question|query\.text|q\.text)\b")
    offenders = [f"{path.relative_to(root)}:{n}" for folder in ("retrieve", "answer", "tui", "cli")
                 for path in (root / folder).rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if applied.search(line)]
    assert offenders == []
