"""Snapshots of the main screens of `treaty chat` (pytest-textual-snapshot): the empty app at 80x24,
an answered question with its sources at 100x30, the reader, the safeguards matrix at 120x35. Nothing on these screens depends on the
time, the machine or a path: the session and export paths only appear in notifications, which these
screens do not show, and the question box's cursor is kept from blinking.

Update after a deliberate change of the screens: `python -m pytest tests/test_tui_snapshots.py
--snapshot-update`, then look at the SVG files under __snapshots__/ (they open in a browser)."""

from __future__ import annotations

import pytest_textual_snapshot

from assistant.tui.app import ChatApp
from assistant.tui.widgets import QuestionInput

from .test_tui import QUESTION, chat_settings, settle  # noqa: F401  (chat_settings is a fixture)

# syrupy 5 and later name the file extension `file_extension`: keep the snapshots as .svg files.
pytest_textual_snapshot.SVGImageExtension.file_extension = "svg"


async def _steady(pilot) -> None:
    await settle(pilot)
    pilot.app.chat.query_one(QuestionInput).cursor_blink = False
    await pilot.pause()


async def _answered(pilot) -> None:
    await _steady(pilot)
    box = pilot.app.chat.query_one(QuestionInput)
    box.value = QUESTION
    await pilot.press("enter")
    await _steady(pilot)


async def _reader(pilot) -> None:
    await _answered(pilot)
    await pilot.press("ctrl+o")
    await pilot.pause()


def test_empty_app_80x24(snap_compare, chat_settings):  # noqa: F811
    assert snap_compare(ChatApp(chat_settings), terminal_size=(80, 24), run_before=_steady)


def test_answer_with_sources_100x30(snap_compare, chat_settings):  # noqa: F811
    assert snap_compare(ChatApp(chat_settings), terminal_size=(100, 30), run_before=_answered)


def test_reader_100x30(snap_compare, chat_settings):  # noqa: F811
    assert snap_compare(ChatApp(chat_settings), terminal_size=(100, 30), run_before=_reader)


async def _safeguards(pilot) -> None:
    await _steady(pilot)
    await pilot.press("f6")
    await pilot.pause()
    screen = pilot.app.screen
    screen.query_one("#safeguards-doc").value = "budapest"
    screen.query_one("#safeguards-articles").value = "14-21"
    screen.query_one("#safeguards-doc").focus()
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("right", "down", "down", "down", "down", "down", "down", "down")
    await pilot.pause()


def test_safeguards_matrix_120x35(snap_compare, chat_settings):  # noqa: F811
    assert snap_compare(ChatApp(chat_settings), terminal_size=(120, 35), run_before=_safeguards)
