"""`treaty chat`: the Textual application. It holds what the screens share: the engine (the pipeline
run from worker threads), the session (saved after every answer), and the filters for the next
questions (documents, roles, backend, strict)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from ..plugins import BACKENDS
from ..settings import Settings
from .commands import TreatyCommands
from .engine import Engine
from .screens.chat import ChatScreen
from .session import Session

STYLES = Path(__file__).parent / "styles"
THEMES = ("textual-dark", "textual-light")


class ChatApp(App):
    TITLE = "treaty chat"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "screens.tcss"]
    COMMANDS = App.COMMANDS | {TreatyCommands}
    BINDINGS = [
        Binding("ctrl+t", "toggle_theme", "Theme", show=True),
        Binding("ctrl+q", "quit", "Quit", show=True, priority=True),
    ]

    def __init__(self, settings: Settings, *, resume: bool = False, docs: list[str] | None = None,
                 roles: list[str] | None = None, backend: str | None = None, strict: bool = False,
                 theme: str | None = None):
        super().__init__()
        from ..answer import get_backend

        self.settings = settings
        self.engine = Engine(settings)
        self.backends = BACKENDS.names() if BACKENDS.names() else ["extractive"]
        self.backend = backend or settings.answer.backend
        get_backend(self.backend)  # an unknown name fails here, before the screen opens
        self.docs, self.roles, self.strict = list(docs or []), list(roles or []), strict
        self.resumed = None
        self.session = Session.new(settings.data_dir)
        if resume:
            last = Session.last(settings.data_dir)
            if last is not None:
                self.session = self.resumed = last
        self.wanted_resume = resume
        self.last_export: Path | None = None
        self.matrix = None  # the safeguards matrix shown last: the memo export can include it
        self.safeguards_asked = ("", "")  # (document id, articles) it was asked for: the screen reopens on it
        if theme:
            self.theme = theme

    def on_mount(self) -> None:
        self.push_screen(ChatScreen())
        if self.wanted_resume and self.resumed is None:
            self.notify("No saved session to resume: this is a new one.", title="Resume")

    def update_subtitle(self) -> None:
        docs = ", ".join(self.docs) if self.docs else "all documents"
        roles = ", ".join(self.roles) if self.roles else "all roles"
        self.sub_title = f"{self.backend}{' (strict)' if self.strict else ''} · {docs} · {roles}"

    def set_filters(self, *, docs: list[str] | None = None, roles: list[str] | None = None,
                    backend: str | None = None, strict: bool | None = None) -> None:
        """Documents, roles, backend and strictness for the next questions."""
        if docs is not None:
            self.docs = list(docs)
        if roles is not None:
            self.roles = list(roles)
        if backend is not None:
            self.backend = backend
        if strict is not None:
            self.strict = strict
        self.update_subtitle()

    def new_session(self) -> None:
        self.session = Session.new(self.settings.data_dir)

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.current_theme.dark else THEMES[0]

    @property
    def chat(self) -> ChatScreen:
        return next(s for s in self.screen_stack if isinstance(s, ChatScreen))


def run(settings: Settings, **options) -> None:
    ChatApp(settings, **options).run()
