"""`treaty chat`, driven by Textual's Pilot over the real index of ../shared/corpus (the session's
`built` fixture): ask, read the sources in context, filter, export, resume, and the bad states (empty
question, no index, backend unreachable, a cancelled streamed answer). Snapshots of the main screens
are in test_tui_snapshots.py, the real app in tmux in test_tui_tmux.py."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import subprocess
import sys
import threading
import time

import pytest
from textual.worker import WorkerCancelled, WorkerFailed

from assistant.plugins import BACKENDS
from assistant.tui.app import ChatApp
from assistant.tui.screens.export import ExportScreen
from assistant.tui.screens.fallback import FallbackScreen
from assistant.tui.screens.indexing import IndexScreen
from assistant.tui.screens.reader import ReaderScreen
from assistant.tui.session import Session
from assistant.tui.widgets import QuestionInput, SourcesList, SourcesPane

QUESTION = "Does Article 73 require judicial oversight?"
SIZE = (100, 30)


def asynctest(fn):
    """Run an async test on its own event loop (no pytest plugin needed)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


@pytest.fixture
def chat_settings(built, tmp_path):
    """The session index, seen through a data dir of this test's own: sessions and exports written
    by the app land here, and the shared index is only read."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "index").symlink_to(built.data_dir / "index", target_is_directory=True)
    return built.model_copy(update={"data_dir": data})


async def settle(pilot) -> None:
    """Wait until every worker (opening the index, answering, indexing) is done and its result shown."""
    app = pilot.app
    for _ in range(3):
        try:
            await app.workers.wait_for_complete()
        except (WorkerFailed, WorkerCancelled):
            pass
        await pilot.pause()


async def ask(pilot, question: str) -> None:
    box = pilot.app.screen.query_one(QuestionInput)
    box.focus()
    box.value = question
    await pilot.press("enter")
    await settle(pilot)


@contextlib.asynccontextmanager
async def running(settings, question: str | None = None, size=SIZE, **kwargs):
    """The app started on `settings` with its workers settled, and `question` asked when given."""
    app = ChatApp(settings, **kwargs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if question:
            await ask(pilot, question)
        yield app, pilot


def screen_text(app) -> str:
    """The characters on screen (as a person would read them)."""
    import re
    from html import unescape

    svg = app.export_screenshot()
    return unescape(" ".join(re.findall(r">([^<>]*)</text>", svg))).replace("\xa0", " ")


@asynctest
async def test_ask_read_sources_in_context(chat_settings):
    async with running(chat_settings, QUESTION) as (app, pilot):
        chat = app.chat
        turn = chat.turns[-1]
        assert turn.state == "done" and not turn.answer["abstained"]
        assert "[1]" in turn.answer["answer"]
        text = screen_text(app)
        assert "[1]" in text and "Multiple investigatory powers" in text
        pane = chat.query_one(SourcesPane)
        assert [c["n"] for c in pane.entries] == [c["n"] for c in turn.answer["citations"]]

        # Select the second citation with the keyboard and open it in the reader.
        await pilot.press("tab", "tab")
        assert isinstance(app.focused, SourcesList)
        await pilot.press("down", "enter")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        cite = pane.entries[1]
        assert reader.cited_text == cite["text"]
        cited = reader.query(".passage.-cited")
        assert len(cited) == 1 and cite["text"] in str(cited.first().render())
        # The whole section around it: the submission's 'Multiple investigatory powers', with the
        # other passage of the same answer marked.
        ctx = reader.context
        assert ctx.heading == "Multiple investigatory powers" and len(ctx.passages) > 5
        assert all(p.heading_path == ["Multiple investigatory powers"] for p in ctx.passages)
        assert ctx.others, "the other citation in the same section is marked"

        # n: the next source, a treaty article, opens with all its paragraphs.
        await pilot.press("n")
        await pilot.pause()
        nxt = pane.entries[2]
        assert reader.cited_text == nxt["text"]
        if nxt.get("article"):
            assert {p.article for p in reader.context.passages} == {nxt["article"]}
            assert len(reader.context.passages) > 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat


@asynctest
async def test_footnote_opens_with_its_paragraph(chat_settings):
    from assistant.tui.context import Library

    async with running(chat_settings) as (app, pilot):
        library: Library = app.engine.library
        note = next(p for p in library.by_doc["dd-apc-ahc5"] if p.footnote is not None and p.cited_by)
        cite = {"n": 1, "doc_id": note.doc_id, "text": note.text, "locator": note.locator}
        ctx = library.context(cite, {"citations": [cite], "cited": [{"n": 1, "passage_id": note.id, "part": None}]})
        ids = [p.id for p in ctx.passages]
        assert ctx.cited is note and note.cited_by in ids
        assert ids.index(note.cited_by) < ids.index(note.id)


def test_a_pinpointed_citation_opens_its_article_paragraph_by_paragraph(built):
    from assistant.index.embed import EMBEDDERS
    from assistant.index.snapshot import open_index
    from assistant.tui.context import Library

    snap = open_index(built, EMBEDDERS.get(built.index.embedder).model_id)
    art = next(p for p in snap.passages if p.id == "budapest:art15")
    first, second = art.parts[0], art.parts[1]
    cite = {"n": 4, "doc_id": "budapest", "locator": second.locator, "text": art.text[second.start:second.end]}
    other = {"n": 1, "doc_id": "budapest", "locator": first.locator, "text": art.text[first.start:first.end]}
    cited = [{"n": 4, "passage_id": art.id, "part": second.label}, {"n": 1, "passage_id": art.id, "part": first.label}]
    ctx = Library(snap.passages).context(cite, {"citations": [cite, other], "cited": cited})
    assert [p.locator for p in ctx.passages] == [x.locator for x in art.parts]
    assert ctx.cited.text == cite["text"] and ctx.cited.paragraph == "2"
    assert ctx.others == {ctx.passages[0].id: 1}


def test_a_citation_is_found_by_its_passage_id_not_its_text(built):
    from assistant.index.embed import EMBEDDERS
    from assistant.index.snapshot import open_index
    from assistant.tui.context import Library

    snap = open_index(built, EMBEDDERS.get(built.index.embedder).model_id)
    art = next(p for p in snap.passages if p.id == "budapest:art15")
    # a citation whose words and locator match nothing: its id in `cited`, and the rank's in
    # `passage_ids`, are what find the passage
    cite = {"n": 2, "doc_id": "budapest", "locator": "nowhere", "text": "words no passage has"}
    entry = {"rank": 1, "doc_id": "budapest", "locator": "nowhere", "text": "words no passage has"}
    answer = {"citations": [cite], "cited": [{"n": 2, "passage_id": art.id, "part": art.parts[2].label}],
              "passage_ids": [art.id]}
    library = Library(snap.passages)
    ctx = library.context(cite, answer)
    assert ctx.cited.id == f"{art.id}({art.parts[2].label})" and not ctx.note
    assert library.context(entry, answer).cited.id == f"{art.id}({art.parts[0].label})"
    assert library.context(cite, {"citations": [cite]}).note  # no ids, no match: shown as quoted


@asynctest
async def test_filter_documents_restricts_the_next_answer(chat_settings):
    async with running(chat_settings) as (app, pilot):
        await pilot.press("f2")
        docs = app.focused
        assert docs.id == "filter-docs"
        index = [docs.get_option_at_index(i).value for i in range(docs.option_count)].index("budapest")
        await pilot.press("home", *["down"] * index, "space")
        await pilot.pause()
        assert app.docs == ["budapest"]
        assert "budapest" in app.sub_title
        await pilot.press("escape")
        await ask(pilot, QUESTION)
        answer = app.chat.turns[-1].answer
        assert answer["citations"], answer
        assert {c["doc_id"] for c in answer["citations"]} == {"budapest"}
        assert app.session.exchanges[-1].docs == ["budapest"]


@asynctest
async def test_export_memo(chat_settings, tmp_path):
    async with running(chat_settings, QUESTION) as (app, pilot):
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        box = app.screen.query_one("#export-path")
        assert box.value.startswith(str(chat_settings.data_dir / "exports" / "memo-"))
        target = tmp_path / "memo.md"
        box.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert app.last_export == target
        assert any(str(target) in n.message for n in app._notifications)
    memo = target.read_text()
    answer = app.session.exchanges[0].answer
    assert f"## 1. {QUESTION}" in memo
    first_sentence = answer["citations"][0]["sentence"]
    assert first_sentence[:60] in memo
    sources = memo.split("## Sources", 1)[1]
    for n, c in enumerate(answer["citations"], 1):
        assert f"\n{n}. {c['locator']}" in sources
        assert c["text"][:60] in sources


@asynctest
async def test_default_export_path(chat_settings):
    async with running(chat_settings, QUESTION) as (app, pilot):
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    assert app.last_export.parent == chat_settings.data_dir / "exports"
    assert app.last_export.name.startswith("memo-") and app.last_export.suffix == ".md"
    assert QUESTION in app.last_export.read_text()


@asynctest
async def test_session_saved_and_resumed(chat_settings):
    async with running(chat_settings, QUESTION):
        pass  # the session is saved after the answer; leaving the app ends it
    saved = Session.last(chat_settings.data_dir)
    assert saved is not None and saved.path.parent == chat_settings.data_dir / "sessions"
    assert [e.question for e in saved.exchanges] == [QUESTION]
    assert saved.exchanges[0].answer["citations"][0]["locator"]

    again = ChatApp(chat_settings, resume=True)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = again.chat
        assert [t.question for t in chat.turns] == [QUESTION]
        text = screen_text(again)
        assert QUESTION in text and "[1]" in text and "Multiple investigatory powers" in text
        assert chat.query_one(SourcesPane).entries
        # The reader works on a resumed answer too (matched to the index by passage text).
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(again.screen, ReaderScreen) and again.screen.context.cited is not None
        await pilot.press("escape")
        await ask(pilot, "What does Article 17 of the ICCPR protect?")
    assert len(Session.last(chat_settings.data_dir).exchanges) == 2


@asynctest
async def test_empty_question_is_a_message(chat_settings):
    async with running(chat_settings) as (app, pilot):
        await ask(pilot, "   ")
        assert app.chat.turns == []
        assert any("question is empty" in n.message for n in app._notifications)
        assert "Empty question" in screen_text(app)
        await ask(pilot, QUESTION)  # and the app goes on
        assert app.chat.turns[-1].state == "done"


@asynctest
async def test_no_index_offers_indexing(shared_corpus, tmp_path):
    """A fresh data dir: the app says there is no index and offers to build it, with a progress bar
    in a worker (here over an empty corpus folder, so only the shipped submission is indexed)."""
    from assistant.settings import Settings

    empty = tmp_path / "corpus"
    empty.mkdir()
    async with running(Settings(data_dir=tmp_path / "data", corpus_dir=empty)) as (app, pilot):
        assert isinstance(app.screen, IndexScreen)
        text = screen_text(app)
        assert "No usable index" in text and "no index yet" in text and "Index now" in text
        await ask_nothing_crashes(pilot)
        await pilot.click("#index-go")
        await settle(pilot)
        assert app.screen is app.chat
        assert app.engine.indexed() == [("dd-apc-ahc5", "Derechos Digitales & APC submission", "submission")]
        assert "Ready" in screen_text(app)
        await ask(pilot, QUESTION)
        assert app.chat.turns[-1].answer["citations"]


async def ask_nothing_crashes(pilot) -> None:
    """Keys pressed on the offer do nothing harmful."""
    await pilot.press("tab", "tab")
    await pilot.pause()


@asynctest
async def test_backend_unreachable_offers_extractive(chat_settings):
    settings = chat_settings.model_copy(update={"ollama": chat_settings.ollama.model_copy(
        update={"base_url": "http://127.0.0.1:9", "timeout": 5.0})})
    async with running(settings, QUESTION, backend="ollama") as (app, pilot):
        turn = app.chat.turns[-1]
        assert turn.state == "error" and "not reachable" in turn.error
        assert isinstance(app.screen, FallbackScreen)
        assert "not reachable" in screen_text(app)
        await pilot.press("enter")  # "Answer extractively" has the focus
        await settle(pilot)
        assert app.screen is app.chat and app.backend == "extractive"
        assert turn.state == "done" and turn.answer["backend"] == "extractive"
        assert "answered extractively instead" in turn.answer["notes"][0]


class SlowWriter:
    """A stand-in for a language-model backend: streams tokens slowly, then returns the extractive
    answer with a verification, as a generated answer has."""

    name = "tui-slow"
    tokens = 20
    consumed = 0

    def __init__(self, settings, retriever):
        from assistant.answer.extractive import Extractive

        self.extractive = Extractive(settings, retriever)

    def answer(self, question, retrieval, registry, *, strict=False, on_token=None):
        base = self.extractive.answer(question, retrieval, registry)
        for i in range(type(self).tokens):
            on_token(f"word{i} ")
            type(self).consumed = i + 1
            time.sleep(0.01)
        base.backend = self.name
        base.verification = {"sentences": 2, "supported": 1,
                             "issues": [{"sentence": 2, "text": "An invented sentence.", "issue": "no citation"}]}
        return base


@pytest.fixture
def slow_backend():
    BACKENDS.register(SlowWriter.name)(SlowWriter)
    SlowWriter.consumed = 0
    yield SlowWriter
    BACKENDS._items.pop(SlowWriter.name, None)


@asynctest
async def test_streamed_answer_and_verification(chat_settings, slow_backend):
    slow_backend.tokens = 20
    seen: list[str] = []
    async with running(chat_settings, backend=slow_backend.name) as (app, pilot):
        chat = app.chat
        original = chat._token
        chat._token = lambda turn, text: (seen.append(threading.current_thread().name), original(turn, text))
        await ask(pilot, QUESTION)
        turn = chat.turns[-1]
        assert turn.state == "done" and turn.streamed.startswith("word0 word1")
        assert set(seen) == {threading.main_thread().name}, "tokens reach the UI on its own thread"
        text = screen_text(app)
        assert "Verification: 1 of 2 sentences supported" in text and "no citation" in text


@asynctest
async def test_cancel_stops_consuming_tokens(chat_settings, slow_backend):
    slow_backend.tokens = 100_000  # about 20 minutes if nobody stops it
    async with running(chat_settings, backend=slow_backend.name) as (app, pilot):
        box = app.chat.query_one(QuestionInput)
        box.value = QUESTION
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.05)
            if slow_backend.consumed > 3:
                break
        turn = app.chat.turns[-1]
        assert turn.state == "streaming" and "word0" in turn.streamed
        await pilot.press("escape")
        assert turn.state == "cancelled"
        await settle(pilot)
        stopped = slow_backend.consumed
        await pilot.pause(0.3)
        assert slow_backend.consumed <= stopped + 1, "the stream is no longer consumed"
        assert "Cancelled" in screen_text(app)
        assert app.session.exchanges == []  # nothing kept
        # The next question is answered normally.
        app.set_filters(backend="extractive")
        await ask(pilot, QUESTION)
        assert app.chat.turns[-1].state == "done"
        assert [e.question for e in app.session.exchanges] == [QUESTION]


@asynctest
async def test_theme_palette_and_corpus_status(chat_settings):
    async with running(chat_settings, size=(80, 24)) as (app, pilot):
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark
        # The command palette sets the same filters as the sidebar.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Only document: ICCPR")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.docs == ["iccpr"] and "iccpr" in app.sub_title
        assert list(app.chat.query_one("#filter-docs").selected) == ["iccpr"]
        await pilot.press("f3")
        await pilot.pause()
        table = app.screen.query_one("#corpus-table")
        rows = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert rows["budapest"] == "indexed" and rows["a-ac-291-19"] == "not downloaded"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.chat


def test_textual_stays_off_the_one_shot_path():
    """`treaty ask` never imports Textual; the session module does not either."""
    code = ("import sys, assistant.cli.main, assistant.tui.session, assistant.tui.engine, assistant.tui.context; "
            "sys.exit('textual' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_memo_renumbers_sources_across_questions(tmp_path):
    session = Session.new(tmp_path)

    def cite(n, doc, loc, text):
        return {"n": n, "doc_id": doc, "locator": loc, "text": text, "role": "instrument", "score": 0.1}

    from assistant.tui.session import Exchange

    def section(role, heading, *sentences):
        return {"role": role, "heading": heading, "sentences": [{"text": t, "citations": ns} for t, ns in sentences]}

    # a and b are the same document: the two sentences are one paragraph
    a1 = {"answer": "What the treaty text says:\n1. First. [1] Second. [2]", "abstained": False, "backend": "extractive",
          "citations": [cite(1, "a", "A, art. 1", "1. First."), cite(2, "a", "A, art. 2", "Second.")], "notes": [],
          "sections": [section("negotiating-text", "What the treaty text says", ("1. First.", [1]), ("Second.", [2]))]}
    a2 = {"answer": "Again. [1] New. [2]", "abstained": False, "backend": "extractive",
          "citations": [cite(1, "a", "A, art. 2", "Second."), cite(2, "c", "C, art. 3", "New.")], "notes": ["a note"],
          "sections": [section("instrument", "", ("Again.", [1])), section("comparator", "", ("New.", [2]))]}
    a3 = {"answer": "The indexed documents do not answer this question clearly.", "abstained": True,
          "backend": "extractive", "citations": [], "notes": [],
          "sections": [section("abstention", "", ("The indexed documents do not answer this question clearly.", []))]}
    for q, a in (("Q one?", a1), ("Q two?", a2), ("Q three?", a3)):
        session.add(Exchange(q, answer=a))
    memo = session.export(tmp_path / "m.md").read_text()
    assert "**What the treaty text says**" in memo and "1. First. [1] Second. [2]" in memo
    assert "Again. [2]\n\nNew. [3]" in memo  # A, art. 2 is source 2 already; C is new: 3
    assert "No clear answer" in memo and "> Note: a note" in memo
    sources = memo.split("## Sources", 1)[1]
    assert "1. A, art. 1" in sources and "2. A, art. 2" in sources and "3. C, art. 3" in sources
    assert "4." not in sources
    assert Session.load(session.save()).exchanges[1].answer == a2


def test_memo_and_conversation_render_the_answer_records(tmp_path):
    """The sections are what is shown: the flat text is not read back (here it says something else)."""
    from assistant.tui.session import Exchange, memo
    from assistant.tui.widgets.conversation import Turn, render_turn

    a = {"answer": "flat text, not shown", "abstained": False, "backend": "llamacpp", "notes": [],
         "citations": [{"n": 1, "doc_id": "a", "locator": "A, art. 1", "text": "Synthetic passage.", "role": "instrument"}],
         "sections": [{"role": "answer", "heading": "What it says",
                       "sentences": [{"text": "One statement.", "citations": [1]}, {"text": "Another.", "citations": [1]}]}]}
    session = Session.new(tmp_path)
    session.add(Exchange("Q?", answer=a))
    text = memo(session)
    assert "**What it says**\n\nOne statement. [1] Another. [1]\n" in text and "flat text" not in text
    shown = render_turn(Turn("Q?", answer=a, state="done", number=1)).plain
    assert "What it says\nOne statement. [1] Another. [1]" in shown and "flat text" not in shown


def test_an_answer_saved_before_sections_shows_its_text_as_written(tmp_path):
    from assistant.tui.session import Exchange, memo

    a = {"answer": "An answer of an earlier session. [1]", "abstained": False, "backend": "extractive", "notes": [],
         "citations": [{"n": 1, "doc_id": "a", "locator": "A, art. 1", "text": "Synthetic passage.", "role": "instrument"}]}
    session = Session.new(tmp_path)
    session.add(Exchange("Q?", answer=a))
    assert "\nAn answer of an earlier session. [1]\n" in memo(session)


# --- the reading first: snippets, keys in the footer, layout, export, safeguards matrix ---------------

def flat(app) -> str:
    """The screen's characters with runs of spaces as one (the footer spaces its keys apart)."""
    return " ".join(screen_text(app).split())


@asynctest
async def test_sources_pane_shows_a_printable_snippet_of_each_passage(chat_settings):
    from assistant.tui.widgets.sources import snippet, source_prompt

    async with running(chat_settings, QUESTION, size=(120, 35)) as (app, pilot):
        first = app.chat.query_one(SourcesPane).entries[0]
        assert " ".join(first["text"].split())[:25] in flat(app)
    line = source_prompt("[1]", {"locator": "Synthetic, art. 1", "text": "Bad \x1b[31mred\x1b[0m words " * 20}, 40).plain
    assert "\x1b" not in line and line.splitlines()[-1].endswith("…") and len(line.splitlines()[-1]) <= 40
    assert snippet("short one", 40) == "short one"


@asynctest
async def test_footer_names_tab_to_reach_earlier_answers(chat_settings):
    async with running(chat_settings, QUESTION, size=(120, 35)) as (app, pilot):
        app.chat.query_one(QuestionInput).focus()
        await pilot.pause()
        assert "tab Answers" in flat(app)
        await pilot.press("tab")
        assert app.focused.id == "conversation"
        assert "Prev answer" in flat(app)
        await pilot.press("tab")
        assert isinstance(app.focused, SourcesList)


@asynctest
async def test_f4_steps_the_sources_pane_narrower_then_hidden(chat_settings):
    async with running(chat_settings, QUESTION, size=(120, 35)) as (app, pilot):
        chat = app.chat
        assert "f4 Layout" in flat(app)
        wide = chat.query_one(SourcesPane).size.width
        await pilot.press("f4")
        await pilot.pause()
        assert 0 < chat.query_one(SourcesPane).size.width < wide
        conversation = chat.query_one("#conversation").size.width
        await pilot.press("f4")
        await pilot.pause()
        assert not chat.query_one(SourcesPane).display
        assert chat.query_one("#conversation").size.width > conversation
        await pilot.press("f4")
        await pilot.pause()
        assert chat.query_one(SourcesPane).size.width == wide


@asynctest
async def test_export_dialog_shows_its_own_keys_and_takes_a_note(chat_settings, tmp_path):
    async with running(chat_settings, QUESTION, size=(120, 35)) as (app, pilot):
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        text = flat(app)
        assert "esc Cancel" in text and "f4 Layout" not in text and "f6 Safeguards" not in text
        app.screen.query_one("#export-path").value = str(tmp_path / "memo.md")
        app.screen.query_one("#export-note").text = "Art. 73 needs a judicial warrant clause."
        await pilot.press("ctrl+s")
        await pilot.pause()
    memo = (tmp_path / "memo.md").read_text()
    assert "## Analyst's note\n\nArt. 73 needs a judicial warrant clause.\n" in memo
    assert memo.index("## Analyst's note") < memo.index(f"## 1. {QUESTION}")


def test_memo_keeps_an_empty_note_heading_and_can_carry_the_matrix(tmp_path):
    from assistant.answer.matrix import Cell, Matrix, Row
    from assistant.tui.session import Exchange

    session = Session.new(tmp_path)
    session.add(Exchange("Q?", answer={"answer": "A. [1]", "abstained": False, "backend": "extractive", "notes": [],
                                       "citations": [{"n": 1, "doc_id": "a", "locator": "A, art. 1", "text": "Synthetic."}]}))
    matrix = Matrix("synthetic", "Synthetic treaty", [("necessity", "necessity")],
                    [Row("5", "Powers", [Cell("necessity", "mandatory", "art. 5(1)", "synthetic:art5", "necessary", "obligation")])])
    memo = session.export(tmp_path / "m.md", matrix=matrix).read_text()
    assert "## Analyst's note\n\n## 1. Q?" in memo
    assert "## Safeguards in Synthetic treaty" in memo and "| 5 | Powers | mandatory art. 5(1) |" in memo
    assert "## Safeguards" not in session.export(tmp_path / "n.md").read_text()


def test_an_abstention_names_each_missing_document_once(tmp_path):
    from assistant.tui.session import Exchange, memo
    from assistant.tui.widgets.conversation import Turn, render_turn

    said = ("The indexed documents do not answer this question clearly. Registered but not downloaded, and possibly "
            "holding the answer: CND (A/AC.291/19).")
    a = {"answer": said, "abstained": True, "backend": "extractive", "notes": [], "citations": [],
         "sections": [{"role": "abstention", "heading": "", "sentences": [{"text": said, "citations": []}]}],
         "not_downloaded": [{"doc_id": "a-ac-291-19", "symbol": "A/AC.291/19", "title": "Synthetic draft title", "address": ""},
                            {"doc_id": "other", "symbol": "X/1", "title": "Synthetic other", "address": ""}]}
    shown = render_turn(Turn("Q?", answer=a, state="done", number=1)).plain
    assert shown.count("A/AC.291/19") == 1 and "treaty corpus fetch a-ac-291-19" in shown
    assert shown.count("X/1") == 1 and "treaty corpus fetch other" in shown
    session = Session.new(tmp_path)
    session.add(Exchange("Q?", answer=a))
    text = memo(session)
    assert text.count("A/AC.291/19") == 1 and "`treaty corpus fetch a-ac-291-19`" in text and text.count("X/1") == 1


async def _matrix(pilot, doc: str, articles: str = "") -> None:
    await pilot.press("f6")
    await pilot.pause()
    screen = pilot.app.screen
    screen.query_one("#safeguards-doc").value = doc
    screen.query_one("#safeguards-articles").value = articles
    screen.query_one("#safeguards-doc").focus()
    await pilot.press("enter")
    await settle(pilot)


@asynctest
async def test_safeguards_screen_shows_the_matrix_and_a_cell_opens_its_provision(chat_settings):
    from assistant.tui.screens.safeguards import SafeguardsScreen

    async with running(chat_settings, size=(120, 35)) as (app, pilot):
        assert "f6 Safeguards" in flat(app)
        await _matrix(pilot, "budapest", "14-21")
        screen = app.screen
        assert isinstance(screen, SafeguardsScreen)
        table = screen.query_one("#safeguards-table")
        assert [r.article for r in screen.matrix.rows] == [str(n) for n in range(14, 22)]
        assert table.row_count == 8
        col = [t for t, _ in screen.matrix.columns].index("independent-supervision") + 2
        assert str(table.get_cell_at((7, col))) == "by ref. art. 15(2)"
        assert str(table.get_cell_at((1, col))) == "discretionary art. 15(2)"
        table.move_cursor(row=7, column=col)
        await pilot.pause()
        assert "through art. 15" in flat(app)
        await pilot.press("enter")
        await pilot.pause()
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert "judicial or other independent supervision" in reader.cited_text
        assert reader.context.heading.startswith("Article 15")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.chat and app.matrix is screen.matrix  # the export can include it
        await pilot.press("ctrl+s")  # nothing to export yet: a warning, no dialog
        await pilot.pause()
        assert app.screen is app.chat


@asynctest
async def test_safeguards_screen_errors_are_one_line(chat_settings):
    async with running(chat_settings, size=(120, 35)) as (app, pilot):
        for doc, articles, said in (("nosuch", "", "unknown document id 'nosuch'"),
                                    ("dd-apc-ahc5", "", "no articles in treaty layout"),
                                    ("a-ac-291-19", "", "treaty corpus fetch a-ac-291-19"),
                                    ("budapest", "x-y", "give article numbers and ranges")):
            await _matrix(pilot, doc, articles)
            line = str(app.screen.query_one("#safeguards-line").render())
            assert said in line and "\n" not in line.strip() and line.lstrip().startswith("error:")
            await pilot.press("escape")
            await pilot.pause()
        assert app.screen is app.chat


@asynctest
async def test_the_submissions_asks_of_a_draft_article_open_in_the_reader(chat_settings):
    """A negotiating text's matrix has a column of what the submission asks; its cell opens the
    submission's passage. (No negotiating text is indexed here: a synthetic matrix is shown.)"""
    from assistant.answer.matrix import Ask, Cell, Matrix, Row

    async with running(chat_settings, size=(120, 35)) as (app, pilot):
        await _matrix(pilot, "budapest", "15")
        screen = app.screen
        said = next(p for p in app.engine.library.by_doc["dd-apc-ahc5"] if p.footnote is None and "judicial" in p.text)
        m = Matrix("synthetic-draft", "Synthetic draft", [("necessity", "necessity")],
                   [Row("73", "Synthetic powers", [Cell("necessity", "absent")], [Ask("Synthetic ask.", said.locator, said.id)])],
                   asks_column=True)
        screen.fill(m)
        await pilot.pause()
        table = screen.query_one("#safeguards-table")
        assert str(table.get_cell_at((0, 3))).startswith("Synthetic ask.")
        table.move_cursor(row=0, column=3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen) and app.screen.cited_text == said.text
