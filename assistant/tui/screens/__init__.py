"""The screens of `treaty chat`, one module each: `chat.py` (the conversation, the main screen),
`reader.py` (a citation in its article or section), `corpus_status.py` (the registered documents and
their status), `indexing.py` (indexing with a progress bar), `export.py` (the memo export),
`fallback.py` (the backend fallback offer); `failure.py` is the one-line failure they all show."""
