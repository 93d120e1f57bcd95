"""Verdicts and named documents on the real shared corpus (the session index of ../shared/corpus):
the questions issue 18 names, asked as a newcomer would."""

from __future__ import annotations

import json



def test_budapest_art_21_on_judicial_oversight_is_conditional_through_art_15_2(assistant):
    a = assistant.ask("Does Article 21 of the Budapest Convention require judicial oversight?")
    assert a.verdict.label == "conditional" and a.verdict.decisive == [1]
    assert a.citations[0].locator == "Budapest Convention, art. 15(2)"
    chain = [s.text for s in a.verdict.chain]
    assert chain[0].startswith("Art. 21(4) is subject to arts. 14 and 15")
    assert "as appropriate in view of the nature of the procedure" in chain[1]
    assert a.text.startswith("Conditional. [1]")


def test_derogating_from_iccpr_art_18_is_no_by_art_4_2(assistant):
    a = assistant.ask("Can a State derogate from Article 18 of the ICCPR in an emergency?")
    assert a.verdict.label == "no"
    assert a.citations[0].locator == "ICCPR, art. 4(2)" and a.verdict.decisive == [1]


def test_article_73_says_what_the_submission_argues_and_gives_no_verdict_on_the_cnd(assistant):
    a = assistant.ask("Does Article 73 require judicial oversight?")
    assert a.verdict.label == "not-stated" and a.verdict.decisive == [] and a.verdict.undecided_by == ["a-ac-291-19"]
    first, second = (s.text for s in a.verdict.chain)
    assert first.startswith("The submission argues") and "(article 73)" in first
    assert "`treaty corpus fetch a-ac-291-19`" in second and "CND (A/AC.291/19)" in second
    # nothing in the chain stands on another treaty's article
    assert all(a.citations[n - 1].hit.passage.role == "submission" for s in a.verdict.chain for n in s.citations)


def test_the_named_iccpr_is_cited_for_an_effective_remedy_not_the_echr_saying_the_same(assistant):
    a = assistant.ask("Does the ICCPR guarantee an effective remedy for violations of rights?")
    assert a.citations[0].hit.passage.doc_id == "iccpr" and a.citations[0].locator.startswith("ICCPR, art. 2(3)")
    assert a.verdict.label == "yes"
    hits = [h.passage.doc_id for h in assistant.search("Does the ICCPR guarantee an effective remedy?").hits]
    assert hits.index("iccpr") < hits.index("echr")


def test_a_comparison_cites_each_document_it_names(assistant):
    a = assistant.ask("How do CEDAW and the ICCPR treat equality between men and women?")
    assert {"cedaw", "iccpr"} <= {c.hit.passage.doc_id for c in a.citations}
    assert a.verdict is None


def test_the_drafts_art_42_pulls_no_other_treatys_article_42(assistant):
    for q in ("What safeguards should the conditions and safeguards article (Art. 42) contain?",
              "What does the submission's Art. 42 say about safeguards?"):
        r = assistant.search(q)
        assert not [h for h in r.hits if h.passage.article == "42"], q
        assert r.hits[0].passage.role == "submission"
    # a treaty named keeps its own article of that number
    assert any(h.passage.doc_id == "iccpr" and h.passage.article == "42" for h in assistant.search("What does ICCPR Article 42 say?").hits)


def test_json_carries_the_verdict_and_null_for_other_questions(cli):
    out = cli("ask", "--json", "Can a State derogate from Article 18 of the ICCPR in an emergency?")
    assert out.returncode == 0, out.stderr
    v = json.loads(out.stdout)["verdict"]
    assert v["label"] == "no" and v["decisive"] == [1] and all({"text", "citations"} <= set(s) for s in v["chain"])
    out = cli("ask", "--json", "What does Article 18 of the ICCPR protect?")
    assert json.loads(out.stdout)["verdict"] is None


def test_the_cli_text_opens_with_the_verdict(cli):
    out = cli("ask", "Does Article 21 of the Budapest Convention require judicial oversight?")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Conditional. [1]"
    assert "[1] Budapest Convention, art. 15(2)" in out.stdout
