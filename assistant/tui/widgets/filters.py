"""The filters sidebar (f2): which documents and roles the next questions search, which backend
writes the answers, and whether unsupported generated sentences are dropped (strict)."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import (
    Button,
    Checkbox,
    RadioButton,
    RadioSet,
    SelectionList,
    Static,
)

from ...records import ROLES
from ...safe_text import printable


class FilterPanel(VerticalScroll):
    BINDINGS = [Binding("escape", "close", "Close", show=True)]

    class Changed(Message):
        def __init__(self, docs: list[str], roles: list[str], backend: str, strict: bool):
            super().__init__()
            self.docs, self.roles, self.backend, self.strict = docs, roles, backend, strict

    def __init__(self, backends: list[str], backend: str, docs: list[str], roles: list[str], strict: bool, **kw):
        super().__init__(**kw)
        self.backends = backends
        self._initial = (backend, docs, roles, strict)

    def compose(self):
        backend, docs, roles, strict = self._initial
        yield Static("Documents [dim](space ticks; none = all)[/]", classes="filter-title")
        yield SelectionList[str](id="filter-docs")
        yield Static("Roles [dim](space ticks; none = all)[/]", classes="filter-title")
        yield SelectionList[str](*[(r, r, r in roles) for r in ROLES], id="filter-roles")
        yield Static("Backend [dim](enter picks)[/]", classes="filter-title")
        with RadioSet(id="filter-backend"):
            for name in self.backends:
                yield RadioButton(name, value=name == backend, name=name)
        yield Checkbox("Strict", strict, id="filter-strict", tooltip="drop generated sentences their citations do not support")
        yield Static("[dim]drops generated sentences their citations do not support[/]", classes="filter-hint")
        yield Button("Clear document and role filters", id="filter-clear", variant="default")

    def set_documents(self, indexed: list[tuple[str, str, str]], selected: list[str]) -> None:
        """Fill the document list with the indexed documents (id, short title, role)."""
        sl = self.query_one("#filter-docs", SelectionList)
        sl.clear_options()
        # a title can be the document's own (`corpus add` reads it from the file): text, never markup
        sl.add_options([(Content.assemble(printable(short), (f" ({printable(doc_id)})", "dim")), doc_id, doc_id in selected)
                        for doc_id, short, _ in indexed])
        if indexed:
            sl.highlighted = 0

    def show_values(self, docs: list[str], roles: list[str], backend: str) -> None:
        """Tick what the filters are (set elsewhere, e.g. from the command palette)."""
        for name, wanted in (("#filter-docs", docs), ("#filter-roles", roles)):
            sl = self.query_one(name, SelectionList)
            for i in range(sl.option_count):
                value = sl.get_option_at_index(i).value
                if (value in wanted) != (value in sl.selected):
                    sl.toggle(value)
        for button in self.query(RadioButton):
            if button.name == backend and not button.value:
                button.value = True

    def values(self) -> tuple[list[str], list[str], str, bool]:
        docs = list(self.query_one("#filter-docs", SelectionList).selected)
        roles = list(self.query_one("#filter-roles", SelectionList).selected)
        pressed = self.query_one(RadioSet).pressed_button
        backend = pressed.name if pressed is not None else self._initial[0]
        return docs, roles, backend, self.query_one(Checkbox).value

    def _changed(self) -> None:
        self.post_message(self.Changed(*self.values()))

    def on_selection_list_selected_changed(self, event) -> None:
        event.stop()
        self._changed()

    def on_radio_set_changed(self, event) -> None:
        event.stop()
        self._changed()

    def on_checkbox_changed(self, event) -> None:
        event.stop()
        self._changed()

    def on_button_pressed(self, event) -> None:
        event.stop()
        self.query_one("#filter-docs", SelectionList).deselect_all()
        self.query_one("#filter-roles", SelectionList).deselect_all()
        self._changed()

    def action_close(self) -> None:
        self.screen.action_filters()
