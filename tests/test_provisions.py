"""Provisions read at index time (assistant/provisions): force, whom a provision binds, cross-references
resolved to passages and safeguard tags, on a small synthetic treaty; then on the real corpus through the
session index: `corpus show --provisions`, sub-paragraph citations, the crossref-follow stage and
`treaty safeguards`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import ingest
from assistant.pipeline import registry
from assistant.provisions import read_document
from assistant.provisions.matrix import build_matrix, parse_articles
from assistant.provisions.vocabulary import asks_conditions, vocabulary
from assistant.records import Passage
from assistant.refs import AliasMatcher
from assistant.settings import Settings
from assistant.sources import by_id

from .conftest import DATA


@pytest.fixture(scope="module")
def sources(shared_corpus):
    return registry(Settings(corpus_dir=shared_corpus, data_dir=Path("/nonexistent")))


@pytest.fixture(scope="module")
def synthetic(sources):
    """The synthetic treaty parsed as if it were a registered treaty: (source, passages, provisions)."""
    src = replace(by_id(sources)["budapest"], path=str(DATA / "synthetic-provisions-treaty.md"))
    passages = ingest.parse(ingest.load(src), AliasMatcher.build(sources))
    return src, passages, read_document(passages)


def _at(provisions, locator_end):
    return next(p for p in provisions if p.locator.endswith(locator_end))


def test_every_paragraph_and_lettered_subparagraph_is_one_provision(synthetic):
    _, _, provisions = synthetic
    assert [p.locator.split(", ")[1] for p in provisions] == [
        "art. 1", "art. 1(a)", "art. 1(b)", "art. 2(1)", "art. 2(2)", "art. 2(3)", "art. 3(1)", "art. 3(2)", "art. 4",
        "art. 5(1)", "art. 5(2)", "art. 5(3)", "art. 5(3)(a)", "art. 5(3)(b)", "art. 6"]
    assert (_at(provisions, "art. 5(3)(b)").paragraph, _at(provisions, "art. 5(3)(b)").subparagraph) == ("3", "b")


def test_force_is_read_with_the_words_that_decided_it(synthetic):
    _, _, provisions = synthetic
    read = {p.locator.split(", ")[1]: (p.force, p.force_words) for p in provisions}
    assert read["art. 1(a)"] == ("definition", '"lantern" means')
    assert read["art. 2(1)"] == ("obligation", "shall")
    assert read["art. 2(3)"] == ("permission", "may")
    assert read["art. 3(2)"] == ("discretionary", "as appropriate")
    assert read["art. 4"] == ("prohibition", "No one shall")
    assert read["art. 5(3)"] == ("obligation", "undertakes:")
    # a lettered item whose own words decide nothing reads with its lead-in
    assert read["art. 5(3)(a)"] == ("obligation", "undertakes:") and _at(provisions, "art. 5(3)(a)").binds == "each Party"


def test_who_a_provision_binds(synthetic):
    _, _, provisions = synthetic
    assert _at(provisions, "art. 2(1)").binds == "each Party"
    assert _at(provisions, "art. 4").binds == "no one"
    assert _at(provisions, "art. 5(2)").binds == "the requested Party"


def test_cross_references_are_resolved_to_passages_of_the_same_document(synthetic):
    _, passages, provisions = synthetic
    ids = {p.id for p in passages}
    subject = _at(provisions, "art. 2(2)").crossrefs
    assert [(r.kind, r.targets) for r in subject] == [("referred-to", ["art. 2(1)"]), ("subject-to", ["art. 3", "art. 4"])]
    assert subject[1].words == "subject to Articles 3 and 4"
    assert subject[1].passage_ids == ["budapest:art3", "budapest:art4"] and set(subject[1].passage_ids) <= ids
    preceding = _at(provisions, "art. 2(3)").crossrefs
    assert [(r.kind, r.targets) for r in preceding] == [("preceding", ["art. 2(2)"])]
    assert [(r.kind, r.targets) for r in _at(provisions, "art. 5(2)").crossrefs] == [("in-accordance-with", ["art. 2(1)"])]
    # a range is expanded; another instrument's articles are not followed
    ranged = _at(provisions, "art. 6").crossrefs
    assert [r.targets for r in ranged] == [["art. 2", "art. 3", "art. 4"]]


def test_safeguard_tags_come_from_the_one_vocabulary_with_their_words(synthetic):
    _, _, provisions = synthetic
    tags = {p.locator.split(", ")[1]: {t.tag: t.words for t in p.safeguards} for p in provisions}
    assert tags["art. 3(1)"] == {"prescribed-by-law": "prescribed by law", "proportionality": "proportionality"}
    assert tags["art. 3(2)"] == {"independent-supervision": "judicial or other independent supervision"}
    assert tags["art. 5(2)"] == {"notification": "notify the person", "dual-criminality": "punishable under the laws of both",
                                 "grounds-for-refusal": "refuse"}
    assert tags["art. 5(3)(a)"] == {"gender": "women"} and tags["art. 5(3)(b)"] == {"civil-society": "civil society"}
    declared = {s.tag for s in vocabulary()}
    assert {"prior-judicial-authorisation", "non-derogable", "data-protection", "effective-remedy", "necessity",
            "limits-scope-duration"} <= declared and all(s.covers and s.patterns for s in vocabulary())
    assert asks_conditions("Is oversight required?") == "oversight" and asks_conditions("How many members?") is None


def test_the_matrix_reads_mandatory_discretionary_by_reference_and_absent(synthetic):
    src, passages, provisions = synthetic
    m = build_matrix(src, passages, provisions, parse_articles("2-3"))
    cells = {(r.article, c.tag): c for r in m.rows for c in r.cells}
    assert (cells["3", "proportionality"].status, cells["3", "proportionality"].locator) == ("mandatory", "art. 3(1)")
    assert cells["3", "independent-supervision"].status == "discretionary"
    by_ref = cells["2", "independent-supervision"]
    assert (by_ref.status, by_ref.locator, by_ref.via, by_ref.stated_as) == ("by-reference", "art. 3(2)", "art. 3", "discretionary")
    assert by_ref.via_words == "subject to Articles 3 and 4"
    assert cells["2", "gender"].status == "absent" and not cells["2", "gender"].locator


def test_a_negotiating_text_gets_the_submissions_asks_per_article(synthetic):
    src, passages, provisions = synthetic
    draft = replace(src, id="synthetic-draft", role="negotiating-text")
    mine = [replace(p, doc_id=draft.id) for p in provisions]
    ask = Passage(id="sub:1", doc_id="dd-apc-ahc5", role="submission", title="A synthetic submission", kind="paragraph",
                  text="Inspections matter. Article 3 should require prior judicial authorisation.", locator="Submission, p. 1",
                  spans=[(0, 1)], mentions=["synthetic-draft:3"])
    m = build_matrix(draft, passages, mine, ["2", "3"], [ask])
    assert m.asks_column and [row.asks for row in m.rows][0] == []
    assert [(a.text, a.locator) for a in m.rows[1].asks] == [("Article 3 should require prior judicial authorisation.",
                                                               "Submission, p. 1")]


# --- the real corpus, through the session index ---

def test_corpus_show_provisions(cli):
    r = cli("corpus", "show", "budapest", "--provisions", "--json")
    assert r.returncode == 0, r.stderr
    rows = {p["locator"].split(", ")[1]: p for p in json.loads(r.stdout)}
    assert rows["art. 15(2)"]["force"] == "discretionary" and rows["art. 15(2)"]["force_words"] == "as appropriate"
    assert {"tag": "independent-supervision", "words": "judicial or other independent supervision"} in rows["art. 15(2)"]["safeguards"]
    subject = next(c for c in rows["art. 20(4)"]["crossrefs"] if c["kind"] == "subject-to")
    assert subject["targets"] == ["art. 14", "art. 15"] and "budapest:art15" in subject["passage_ids"]
    text = cli("corpus", "show", "budapest", "--provisions")
    assert text.returncode == 0 and 'subject to Articles 14 and 15' in text.stdout
    bad = cli("corpus", "show", "dd-apc-ahc5", "--provisions")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "treaty layout" in bad.stderr


def test_a_lettered_subparagraph_is_a_citable_locator(assistant):
    cedaw = next(p for p in assistant.retriever.passages if p.id == "cedaw:art2")
    g = next(x for x in cedaw.subparts if x.label == "g")
    assert g.locator.startswith("CEDAW, art. 2(g)")
    assert cedaw.subpart_of(cedaw.text[g.start:g.end]).locator == g.locator
    untoc = next(p for p in assistant.retriever.passages if p.id == "untoc:art29.1")
    assert [x.locator.split(", ")[1] for x in untoc.subparts if x.label == "1(g)"] == ["art. 29(1)(g)"]
    # numbered paragraphs keep their parts and locators
    assert [x.label for x in next(p for p in assistant.retriever.passages if p.id == "iccpr:art17").parts] == ["1", "2"]


def test_an_answer_cites_the_subparagraph_it_quotes(assistant):
    a = assistant.ask("Under UNTOC, should law enforcement training programmes deal with modern equipment such as "
                      "electronic surveillance and undercover operations?")
    g = next(c for c in a.citations if c.locator.startswith("UNTOC, art. 29(1)(g)"))
    assert "electronic surveillance" in g.sentence and g.sub.label == "1(g)"
    # the text cited stays the paragraph's, whose lead-in the item reads with
    assert g.paragraph == "1" and g.text.startswith("1. Each State Party shall")


@pytest.mark.parametrize("question, wanted", [
    ("Is prior judicial authorisation mandatory for real-time collection of traffic data under the Budapest Convention?",
     "budapest:art15"),
    ("Can a State derogate from Article 18 of the ICCPR in an emergency?", "iccpr:art4"),
    ("Can a State derogate from Article 7 of the ECHR in time of war?", "echr:art15"),
])
def test_retrieval_follows_the_laws_own_references(assistant, question, wanted):
    hits = assistant.retriever.search(question).hits
    assert wanted in [h.passage.id for h in hits[:5]]
    hit = next(h for h in hits if h.passage.id == wanted)
    follow = [r for r in hit.reasons if r.rule == "crossref-follow"]
    assert follow and follow[0].stage == "crossref-follow" and ("→" in follow[0].matched or "←" in follow[0].matched)


def test_treaty_safeguards_budapest_14_to_21(cli):
    r = cli("safeguards", "budapest", "--articles", "14-21", "--format", "json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert [row["article"] for row in m["rows"]] == [str(n) for n in range(14, 22)]
    cells = {(row["article"], c["tag"]): c for row in m["rows"] for c in row["cells"]}
    assert (cells["15", "proportionality"]["status"], cells["15", "proportionality"]["locator"]) == ("mandatory", "art. 15(1)")
    assert cells["15", "independent-supervision"]["status"] == "discretionary"
    art21 = cells["21", "independent-supervision"]
    assert (art21["status"], art21["locator"], art21["via"]) == ("by-reference", "art. 15(2)", "art. 15")
    for fmt, sign in (("table", "Interception"), ("md", "| 21 |"), ("csv", "21,Interception of content data")):
        out = cli("safeguards", "budapest", "--articles", "14-21", "--format", fmt)
        assert out.returncode == 0 and sign in out.stdout, (fmt, out.stderr)


@pytest.mark.parametrize("args, says", [
    (("safeguards", "nosuch"), "unknown document id"),
    (("safeguards", "budapest", "--articles", "90-95"), "no article"),
    (("safeguards", "budapest", "--articles", "fourteen"), "--articles"),
])
def test_safeguards_errors_are_one_line(cli, args, says):
    r = cli(*args)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1 and says in r.stderr and "Traceback" not in r.stderr
