"""Verdicts of yes/no questions (answer/verdict.py, answer/cite.py), read from provisions built by
hand over a synthetic treaty ("Synthetic Widget Convention", no real treaty's words) and a synthetic
submission: which clause decides, the label its force gives, the chain, and how the verdict is
numbered into an answer."""

from __future__ import annotations

from assistant.answer.cite import cite
from assistant.answer.reading import read_ask
from assistant.answer.verdict import decide
from assistant.query.legal import read_legal
from assistant.query.rules import Rules
from assistant.records import (
    Answer, AnswerSection, AnswerSentence, ArticleRef, Citation, CrossRef, Hit, Part, Passage, Provision, Query,
    SafeguardTag, Source, answer_text,
)

DOC = "synthetic-widgets"
SUB = "synthetic-ngo"


def _article(article: str, paragraphs: list[str]) -> Passage:
    """A whole-article passage of the synthetic treaty, its numbered paragraphs as parts."""
    text, parts = "", []
    for n, words in enumerate(paragraphs, 1):
        start = len(text)
        text += f"{n}. {words} "
        parts.append(Part(str(n), start, len(text) - 1, f"Synthetic Widget Convention, art. {article}({n})"))
    return Passage(f"{DOC}:{article}", DOC, "comparator", "Synthetic Widget Convention", "article", text.strip(),
                   f"Synthetic Widget Convention, art. {article}", [(0, len(text))], article=article, parts=parts)


ART5 = _article("5", ["Each Party shall empower its authorities to inspect widgets.",
                      "The powers referred to in this article shall be subject to Article 9."])
ART9 = _article("9", ["Each Party shall ensure that the powers are subject to safeguards under its domestic law.",
                      "Such safeguards shall, as appropriate, include independent supervision of the inspection."])
ART3 = _article("3", ["Everyone shall have the right to repair widgets."])
ART2 = _article("2", ["In an emergency the Parties may take measures derogating from this Convention to the extent strictly "
                      "required.", "No derogation from article 3 may be made under this provision."])
ART6 = _article("6", ["Each Party shall require a warrant issued by a judge before any inspection of a dwelling."])


def _prov(p: Passage, paragraph: str, force: str, words: str = "", tags=(), refs=()) -> Provision:
    return Provision(p.id, DOC, f"Synthetic Widget Convention, art. {p.article}({paragraph})", p.article, paragraph,
                     force=force, force_words=words, safeguards=[SafeguardTag(t, t) for t in tags], crossrefs=list(refs))


PROVISIONS = {
    ART5.id: [_prov(ART5, "1", "obligation", "shall"),
              _prov(ART5, "2", "obligation", "shall", refs=[CrossRef("subject to Article 9", "subject-to", ["art. 9"], [ART9.id])])],
    ART9.id: [_prov(ART9, "1", "obligation", "shall ensure", ["prescribed-by-law"]),
              _prov(ART9, "2", "discretionary", "as appropriate", ["independent-supervision"])],
    ART3.id: [_prov(ART3, "1", "obligation", "shall have")],
    ART2.id: [_prov(ART2, "1", "permission", "may", ["necessity"]),
              _prov(ART2, "2", "prohibition", "No derogation", ["non-derogable"],
                    [CrossRef("from article 3", "other", ["art. 3"], [ART3.id])])],
    ART6.id: [_prov(ART6, "1", "obligation", "shall require", ["prior-judicial-authorisation"])],
}
SUBMISSION = Passage(f"{SUB}:p4", SUB, "submission", "Synthetic NGO submission", "paragraph",
                     "Article 78 of the draft gives police a blank cheque. We ask the Committee to delete Article 78 "
                     "entirely. Article 12 is welcome.",
                     "Synthetic NGO submission, 'Powers', p. 4", [(0, 120)], mentions=["cnd:78", "cnd:12"])
SUBMISSION_73 = Passage(f"{SUB}:p5", SUB, "submission", "Synthetic NGO submission", "paragraph",
                        "Real-time collection under article 73 must require prior judicial authorisation. Other text.",
                        "Synthetic NGO submission, 'Powers', p. 5", [(0, 90)], mentions=["cnd:73"])
REGISTRY = {DOC: Source(DOC, "Synthetic Widget Convention", "Widgets", "comparator", "md"),
            SUB: Source(SUB, "Synthetic NGO submission", "NGO", "submission", "md"),
            "cnd": Source("cnd", "Synthetic draft convention", "CND", "negotiating-text", "pdf", symbol="A/SYN/1")}
INDEXED = {DOC, SUB}


class Library:
    def provisions(self, passage_id: str) -> list[Provision]:
        return PROVISIONS.get(passage_id, [])

    def passage(self, passage_id: str) -> Passage | None:
        return {p.id: p for p in (ART2, ART3, ART5, ART6, ART9)}.get(passage_id)


def _query(text: str, refs=(), named=(DOC,), roles=(), yes_no=True) -> Query:
    """A question as the query analysis reads it: its references and documents given, its reading of
    the law made by the analysis's own rules."""
    q = Query(text, focus=text, topic=text, refs=list(refs), named_docs=list(named), roles=list(roles), yes_no=yes_no)
    q.legal = read_legal(q, Rules(), REGISTRY) if yes_no else None
    return q


def _hits(*passages: Passage) -> list[Hit]:
    return [Hit(p, 1.0 / n) for n, p in enumerate(passages, 1)]


def _decide(q: Query, *passages: Passage):
    return decide(q, _hits(*passages), Library(), REGISTRY, INDEXED)


def test_an_obligation_reached_through_subject_to_is_conditional_and_its_clause_decides():
    q = _query("Does Article 5 of the Widget Convention require independent oversight?", [ArticleRef("5", None, DOC)])
    r = _decide(q, ART5, ART2)
    assert r.label == "conditional"
    assert [c.provision.locator for c in r.decisive] == ["Synthetic Widget Convention, art. 9(2)"]
    assert r.chain[0].text.startswith("Art. 5(2) is subject to art. 9") and r.chain[0].clauses[0].part.label == "2"
    assert r.chain[1].text.startswith("Art. 9(2) requires it only “as appropriate”: “Such safeguards shall")
    assert r.chain[1].clauses == r.decisive


def test_a_provision_naming_the_article_as_non_derogable_gives_no():
    q = _query("Can a State derogate from Article 3 of the Widget Convention in an emergency?", [ArticleRef("3", None, DOC)])
    r = _decide(q, ART3, ART2)
    assert r.label == "no"
    assert r.decisive[0].provision.locator.endswith("art. 2(2)")
    assert r.decisive[0].sentence.startswith("2. No derogation from article 3")


def test_derogation_from_an_article_not_listed_is_conditional_on_the_general_permission_and_its_proviso():
    q = _query("Can a State derogate from Article 5 of the Widget Convention?", [ArticleRef("5", None, DOC)])
    # the article itself, the provision on derogation and nothing naming art. 5 as non-derogable
    PROVISIONS[ART2.id][0].safeguards.append(SafeguardTag("non-derogable", "derogating"))
    try:
        r = _decide(q, ART5, ART2)
    finally:
        PROVISIONS[ART2.id][0].safeguards.pop()
    # no provision names art. 5: the general permission governs, on its proviso ("to the extent")
    assert r.label == "conditional" and r.decisive[0].provision.locator.endswith("art. 2(1)")
    assert r.chain[0].text == "No provision names art. 5 among those not to be derogated from."


def test_the_articles_own_obligation_gives_yes():
    q = _query("Does Article 6 of the Widget Convention require prior judicial authorisation?", [ArticleRef("6", None, DOC)])
    r = _decide(q, ART6)
    assert r.label == "yes" and r.decisive[0].provision.article == "6"


def test_a_judges_prior_authorisation_and_supervision_are_kin():
    q = _query("Is a judicial warrant mandatory for inspections under Article 5 of the Widget Convention?", [ArticleRef("5", None, DOC)])
    assert _decide(q, ART5).label == "conditional"


def test_nothing_speaking_to_the_question_is_not_stated_without_a_decisive_clause():
    q = _query("Does Article 3 of the Widget Convention require notification of the person?", [ArticleRef("3", None, DOC)])
    r = _decide(q, ART3)
    assert r.label == "not-stated" and r.decisive == [] and r.grounded
    assert "do not decide it" in r.chain[0].text


def test_other_questions_get_no_verdict():
    assert _decide(_query("What does Article 5 provide?", [ArticleRef("5", None, DOC)], yes_no=False), ART5) is None


def test_an_article_numbered_in_a_text_not_indexed_says_what_the_submission_argues_and_names_the_fetch():
    q = _query("Does Article 73 require judicial oversight?", [ArticleRef("73")], named=())
    r = _decide(q, SUBMISSION_73, ART5, ART9)
    assert r.label == "not-stated" and r.undecided_by == ["cnd"] and r.decisive == []
    assert r.chain[0].text.startswith("The submission argues") and r.chain[0].clauses[0].passage is SUBMISSION_73
    assert "`treaty corpus fetch cnd`" in r.chain[1].text and "CND (A/SYN/1)" in r.chain[1].text
    # no other treaty's article stands in for the one not indexed
    assert all(c.passage.doc_id == SUB for step in r.chain for c in step.clauses)


def test_what_the_submission_asks_for_is_read_from_its_own_words():
    q = _query("Does the submission ask for Article 78 to be deleted?", [ArticleRef("78")], named=(SUB,), roles=("submission",))
    r = _decide(q, SUBMISSION, ART5)
    assert r.label == "yes" and r.decisive[0].sentence == "We ask the Committee to delete Article 78 entirely."
    q12 = _query("Does the submission ask for Article 12 to be deleted?", [ArticleRef("12")], named=(SUB,), roles=("submission",))
    assert _decide(q12, SUBMISSION).label == "not-stated"


def test_the_ask_is_read_from_the_question():
    assert read_ask(_query("Can a State derogate from Article 3?")).kind == "permits"
    assert read_ask(_query("Does Article 7 prohibit torture?")).kind == "prohibits"
    ask = read_ask(_query("Does Article 21 require judicial oversight?"))
    assert ask.kind == "requires" and ask.tags == {"independent-supervision"}


def _answer() -> Answer:
    """An extractive answer quoting art. 5(1) [1] and the submission [2]."""
    h5, hs = Hit(ART5, 0.5), Hit(SUBMISSION, 0.3)
    cites = [Citation(1, h5, ART5.text[:60], ART5.parts[0]), Citation(2, hs, SUBMISSION.text[:40])]
    sections = [AnswerSection("comparator", "", [AnswerSentence("Each Party shall empower ...", [1])]),
                AnswerSection("submission", "", [AnswerSentence("Article 78 ...", [2])])]
    return Answer("q", answer_text(sections, {}), False, "extractive", cites, [h5, hs], sections)


def test_cite_puts_the_decisive_clause_first_and_renumbers_the_answer():
    q = _query("Does Article 5 of the Widget Convention require independent oversight?", [ArticleRef("5", None, DOC)])
    a = cite(_answer(), _decide(q, ART5))
    assert a.verdict.label == "conditional" and a.verdict.decisive == [1]
    assert a.citations[0].locator.endswith("art. 9(2)") and a.citations[0].hit.reasons[0].rule == "crossref-followed"
    assert [c.n for c in a.citations] == [1, 2, 3, 4]
    assert a.sections[0].role == "verdict" and a.sections[0].sentences[0].marked == "Conditional. [1]"
    assert a.verdict.chain[0].citations == [2] and a.citations[1].locator.endswith("art. 5(2)")
    assert a.sections[1].sentences[0].citations == [3] and a.sections[2].sentences[0].citations == [4]
    assert a.text.splitlines()[0] == "Conditional. [1]"
    assert a.verdict.to_json()["label"] == "conditional"


def test_an_abstaining_answer_gets_no_stronger_verdict_than_not_stated():
    q = _query("Does Article 5 of the Widget Convention require independent oversight?", [ArticleRef("5", None, DOC)])
    a = _answer()
    a.abstained, a.citations, a.sections = True, [], [AnswerSection("abstention", "", [AnswerSentence("weak")])]
    a = cite(a, _decide(q, ART5))
    assert a.verdict.label == "not-stated" and a.verdict.decisive == [] and a.citations == []


ART8 = _article("8", ["The Committee shall deal with a matter only after domestic remedies have been exhausted."])
ART4 = _article("4", ["Each Party undertakes to ensure that any person whose rights are violated shall have an effective remedy."])
PROVISIONS[ART8.id] = [_prov(ART8, "1", "obligation", "shall", ["effective-remedy"])]
PROVISIONS[ART8.id][0].binds = "the Committee"
PROVISIONS[ART4.id] = [_prov(ART4, "1", "obligation", "undertakes to", ["effective-remedy"])]


def test_without_an_article_the_best_ranked_article_speaking_to_it_decides_not_one_binding_a_treaty_body():
    q = _query("Does the Widget Convention guarantee an effective remedy?")
    r = decide(q, _hits(ART8, ART5, ART4), _Library8(), REGISTRY, INDEXED)
    assert r.label == "yes" and r.decisive[0].passage is ART4


class _Library8(Library):
    def passage(self, passage_id: str) -> Passage | None:
        return {ART8.id: ART8, ART4.id: ART4}.get(passage_id) or super().passage(passage_id)


def test_the_memo_opens_each_answer_with_its_verdict_in_bold(tmp_path):
    from assistant.answer.json_output import to_json
    from assistant.tui.session import Exchange, Session, memo

    q = _query("Does Article 5 of the Widget Convention require independent oversight?", [ArticleRef("5", None, DOC)])
    a = cite(_answer(), _decide(q, ART5))
    session = Session("s", tmp_path / "s.json", "now", [Exchange(q.text, answer=to_json(a))])
    body = memo(session).split(f"## 1. {q.text}", 1)[1]
    lines = [line for line in body.splitlines() if line.strip() and not line.startswith("*Searched")]
    assert lines[0] == "**Verdict: Conditional. [1]**"
    assert lines[1].startswith("Art. 5(2) is subject to art. 9") and lines[1].endswith("[2]")


SUBMISSION_90 = Passage(f"{SUB}:p6", SUB, "submission", "Synthetic NGO submission", "paragraph",
                        "Article 90 is deeply worrying for privacy. Therefore, we recommend that the article be deleted completely.",
                        "Synthetic NGO submission, 'Powers', p. 6", [(0, 100)], mentions=["cnd:90"])


def test_a_request_in_the_paragraph_on_the_article_counts_without_its_number():
    q = _query("Does the submission ask for Article 90 to be deleted?", [ArticleRef("90")], named=(SUB,), roles=("submission",))
    r = _decide(q, SUBMISSION_90)
    assert r.label == "yes" and r.decisive[0].sentence.startswith("Therefore, we recommend")
    assert r.chain[0].text.startswith("The submission, in its paragraph on Article 90, says:")


def test_without_an_article_named_the_best_ranked_article_that_decides_leads_the_chain():
    # art. 5 ranks first and decides through art. 9, which it is subject to; art. 9 itself ranks second
    q = _query("Does the Widget Convention require independent oversight of inspections?")
    r = _decide(q, ART5, ART9)
    assert r.label == "conditional" and r.chain[0].text.startswith("Art. 5(2) is subject to art. 9")
