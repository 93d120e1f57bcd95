"""Command palette entries (ctrl+p): backend, document and role filters, export, corpus, indexing."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from ..records import ROLES
from ..safe_text import printable


class TreatyCommands(Provider):
    def _commands(self):
        app = self.app
        chat = app.chat
        out = [
            ("Export the session as a review memo", "Markdown memo with a numbered list of sources", chat.action_export),
            ("Corpus status", "registered documents: indexed, available, not downloaded, removed", chat.action_corpus),
            ("Index the corpus", "index every registered document with a local copy", chat.action_index),
            ("Filters sidebar", "documents, roles, backend, strict", chat.action_filters),
            ("New session", "start an empty session; the current one stays saved", chat.action_new_session),
            ("All documents and roles", "clear the document and role filters", partial(chat.apply_filters, [], [])),
        ]
        for name in app.backends:
            out.append((f"Backend: {name}", f"answer the next questions with {name}", partial(chat.apply_filters, backend=name)))
        for doc_id, short, role in app.engine.indexed():
            out.append((printable(f"Only document: {short} ({doc_id})"), printable(f"search only {doc_id} ({role})"),
                        partial(chat.apply_filters, [doc_id], None)))
        for role in ROLES:
            out.append((f"Only role: {role}", f"search only {role} documents", partial(chat.apply_filters, None, [role])))
        return out

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(Content(name), callback, text=name, help=help_text)  # a title is text, not markup

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(name)), callback, text=name, help=help_text)
