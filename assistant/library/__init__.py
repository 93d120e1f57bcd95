"""The documents the assistant knows and the user's copies of them (corpus management).

`catalogue.py` (reads the shipped `corpus/sources.toml`), `documents.py` (the registry of documents:
the catalogue plus the user's own, each with its local copy; adding, removing, re-indexing),
`state.py` (`state.json`, written durably, with a backup), `repair.py` (`treaty corpus repair`),
`fetch.py` and `fetch_check.py` (download a registered document; is it the document?), `outline.py`
(a document's parts, footnotes and the documents it cites)."""
