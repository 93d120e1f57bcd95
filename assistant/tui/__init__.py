"""`treaty chat`: an interactive review session in the terminal (Textual).

`app.py` is the application, `screens/` its screens, one module each (chat, reader, corpus status,
indexing, export, backend fallback), `widgets/` the panes. The parts that do not draw anything import no Textual and
are usable on their own: `session.py` (save, resume, export to a Markdown memo), `engine.py` (the
pipeline driven from worker threads) and `context.py` (the article or section around a passage).

This package's `__init__` imports nothing, so `assistant.tui.session` stays free of Textual.
"""
