"""The verifier of generated answers (assistant/answer/verify.py), on small synthetic passages with the
real embedder. The passage texts below are SYNTHETIC test fixtures, not the words of any treaty."""

from __future__ import annotations

import pytest

from assistant.answer import verify as V
from assistant.answer.verify import SentenceCheck, Verification, verify
from assistant.records import Passage

# The threshold evals/calibrate_support.py recommends (see verify.LEXICAL_WEIGHT).
THRESHOLD = 0.71

SYNTHETIC = [
    ("Each Party shall ensure that the interception of content data is subject to prior authorisation by an "
     "independent judicial authority. Such authorisation shall be limited to a period of three months and may be "
     "renewed once."),
    ("A service provider shall preserve specified traffic data for up to ninety days when ordered to do so by a "
     "competent authority. The provider shall keep the order confidential."),
    "Everyone has the right to seek, receive and impart information through any medium of their choice.",
]
P1_FIRST = ("Each Party shall ensure that the interception of content data is subject to prior authorisation by an "
            "independent judicial authority.")


def _passage(n: int, text: str) -> Passage:
    return Passage(id=f"synthetic:art{n}", doc_id="synthetic", role="instrument",
                   title="Synthetic Convention (test fixture)", kind="article", text=text,
                   locator=f"Synthetic Convention, art. {n}", spans=[(0, len(text))], article=str(n))


PASSAGES = {n: _passage(n, t) for n, t in enumerate(SYNTHETIC, 1)}


class Counting:
    """The real embedder, counting its calls."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def embed(self, texts):
        self.calls += 1
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def embedder():
    from assistant.index.embed import get_embedder

    return Counting(get_embedder("minilm-onnx"))


def check(answer: str, embedder, passages=None) -> Verification:
    return verify(answer, PASSAGES if passages is None else passages, embedder, THRESHOLD)


def only(v: Verification) -> SentenceCheck:
    assert len(v.sentences) == 1, v.sentences
    return v.sentences[0]


def test_verbatim_sentence_is_supported(embedder):
    c = only(check(f"{P1_FIRST} [1]", embedder))
    assert c.supported and c.issues == []
    assert c.cites == [1] and c.text == P1_FIRST
    assert c.score == pytest.approx(1.0, abs=0.01)


def test_faithful_paraphrase_passes(embedder):
    c = only(check("An authorisation to intercept content data lasts at most three months and can be renewed once [1].",
                   embedder))
    assert c.supported, c
    assert THRESHOLD < c.score < 1.0


def test_unsupported_claim_citing_a_real_passage(embedder):
    c = only(check("The right to information may be restricted for reasons of national security [3].", embedder))
    assert not c.supported
    assert c.score < THRESHOLD - 0.2
    assert c.issues == [f"not supported by [3] (support {c.score:.2f})"]


def test_no_citation(embedder):
    c = only(check("Each Party shall ensure that the interception of content data is subject to prior authorisation.",
                   embedder))
    assert not c.supported and c.cites == [] and c.score == 0.0
    assert c.issues == ["no citation"]


def test_citation_to_a_passage_not_given(embedder):
    c = only(check("Service providers must keep preservation orders confidential [9].", embedder))
    assert not c.supported and c.cites == [9] and c.score == 0.0
    assert c.issues == ["cites [9], which was not given"]
    # beside a valid one, the sentence is scored on the valid one and still flagged
    c = only(check("Service providers must keep preservation orders confidential [2][9].", embedder))
    assert c.cites == [2, 9] and c.score > THRESHOLD
    assert c.issues == ["cites [9], which was not given"]


def test_misquote_in_quotation_marks(embedder):
    c = only(check('The text says the interception of content data is subject to "prior approval by an independent '
                   'judge" [1].', embedder))
    assert not c.supported
    assert 'quoted text not in [1]: "prior approval by an independent judge"' in c.issues
    # the exact words pass, in curly quotes too, case and whitespace aside
    for quoted in ('"prior authorisation by an independent  judicial authority"',
                   "“Prior authorisation by an independent judicial authority”"):
        c = only(check(f"Interception of content data is subject to {quoted} [1].", embedder))
        assert not any(i.startswith("quoted text") for i in c.issues), c.issues
    # two words in quotes are not a quotation to check
    c = only(check('Interception of content data needs "judicial approval" first [1].', embedder))
    assert not any(i.startswith("quoted text") for i in c.issues)


def test_citation_after_the_full_stop_belongs_to_the_sentence_before(embedder):
    v = check("A service provider shall preserve specified traffic data for up to ninety days. [2] Everyone has the "
              "right to seek, receive and impart information. [3]", embedder)
    assert [c.cites for c in v.sentences] == [[2], [3]]
    assert all(c.supported for c in v.sentences)
    assert v.sentences[1].text.startswith("Everyone has")
    # no space after the full stop, and a group of markers alone on the next line
    v = check("A service provider shall preserve specified traffic data.[2][1] Everyone has the right to seek "
              "information.\n[3]", embedder)
    assert [c.cites for c in v.sentences] == [[2, 1], [3]]


def test_markers_end_sentences_that_the_splitter_would_run_together(embedder):
    # the extractive backend's layout: "{sentence} [n]" joined by spaces, items that end in ";" or
    # start lower-case, and lines without a full stop (an address)
    v = check("A service provider shall preserve specified traffic data for up to ninety days when ordered to do so "
              "by a competent authority. [2] b) the provider shall keep the order confidential; [2] Everyone has the "
              "right to seek information [3] Available at https://example.org/synthetic [3]", embedder)
    assert [(c.text.split()[0], c.cites) for c in v.sentences] == [("A", [2]), ("b)", [2]), ("Everyone", [3]),
                                                                    ("Available", [3])]


def test_marker_forms():
    assert V.parse_markers("[1]") == [1]
    assert V.parse_markers("text [1, 3] more") == [1, 3]
    assert V.parse_markers("[1][2]") == [1, 2]
    assert V.parse_markers("[1-3]") == [1, 2, 3]
    assert V.parse_markers("[2–4, 6]") == [2, 3, 4, 6]
    assert V.parse_markers("art. 16(2) and [sic]") == []


def test_heading_lines_and_marker_only_fragments_are_skipped(embedder):
    answer = ("What the treaty text says\n"
              f"{P1_FIRST} [1]\n"
              "What the instruments require:\n"
              "Everyone has the right to seek, receive and impart information [3].\n"
              "[1]")
    v = check(answer, embedder)
    assert [c.text[:8] for c in v.sentences] == ["Each Par", "Everyone"]
    assert v.sentences[1].cites == [3, 1]
    # a short line that ends like a sentence is a statement, not a heading
    assert only(check("Yes.", embedder)).issues == ["no citation"]


def test_summary_and_supported_text(embedder):
    answer = ("What the treaty text says:\n"
              f"{P1_FIRST} [1] The right to information may be restricted for reasons of national security [3].\n"
              "What else:\n"
              "Providers are paid for storing data.\n"
              "Service providers must keep preservation orders confidential [2].")
    v = check(answer, embedder)
    s = v.summary()
    assert s["sentences"] == 4 and s["supported"] == 2
    assert [(i["sentence"], i["issue"].split(" (")[0]) for i in s["issues"]] == [
        (2, "not supported by [3]"), (3, "no citation")]
    assert s["issues"][0]["text"] == "The right to information may be restricted for reasons of national security."
    assert v.supported_text() == (
        "What the treaty text says:\n"
        f"{P1_FIRST} [1]\n"
        "What else:\n"
        "Service providers must keep preservation orders confidential [2].")
    # a heading whose statements all go goes with them
    v = check("What else:\nProviders are paid for storing data.\nWhat the treaty text says:\n" f"{P1_FIRST} [1]", embedder)
    assert v.supported_text() == f"What the treaty text says:\n{P1_FIRST} [1]"


def test_support_scores(embedder):
    p1, p2 = PASSAGES[1], PASSAGES[2]
    assert V.support(P1_FIRST, [p1], embedder) == pytest.approx(1.0, abs=0.01)
    assert V.support(f"{P1_FIRST} [1]", [p1], embedder) == pytest.approx(1.0, abs=0.01)
    assert V.support("Everyone has the right to seek information.", [p1], embedder) < 0.2
    assert V.support(P1_FIRST, [], embedder) == 0.0
    # citing one more passage never lowers the support: the union of the cited passages counts
    assert V.support(P1_FIRST, [p2, p1], embedder) == pytest.approx(1.0, abs=0.01)
    for score in (V.combine(0.0, -0.2), V.combine(1.0, 1.0), V.combine(0.5, 0.9)):
        assert 0.0 <= score <= 1.0


def test_one_embed_call_per_verify(embedder):
    before = embedder.calls
    v = check(f"{P1_FIRST} [1] Service providers must keep preservation orders confidential [2]. Everyone may seek "
              "information [3]. Unsupported and uncited.", embedder)
    assert len(v.sentences) == 4
    assert embedder.calls == before + 1
    # nothing to score: no call at all
    before = embedder.calls
    check("No citation here.", embedder)
    assert embedder.calls == before


# --- prose that contradicts the verdict (answer/contradicts.py) ---

from assistant.answer.contradicts import contradicts  # noqa: E402


def test_a_plain_requirement_contradicts_a_conditional_verdict_and_a_hedged_one_does_not():
    assert contradicts("Article 21 requires judicial oversight.", "conditional").startswith("contradicts the verdict (conditional)")
    assert contradicts("Such conditions and safeguards must include judicial supervision.", "conditional")
    assert not contradicts("Supervision is required only as appropriate to the procedure.", "conditional")
    assert not contradicts("It is left to domestic law.", "conditional")


def test_saying_it_is_allowed_contradicts_no_and_saying_it_is_not_required_contradicts_yes():
    assert contradicts("A State may derogate from article 18 in an emergency.", "no")
    assert not contradicts("No derogation from article 18 may be made.", "no")
    assert contradicts("The Covenant does not require an effective remedy.", "yes")
    assert not contradicts("The Covenant requires an effective remedy.", "yes")
    assert not contradicts("Anything at all.", None) and not contradicts("It requires it.", "not-stated")
