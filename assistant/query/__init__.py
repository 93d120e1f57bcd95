"""Query analysis: the question read once into a typed `Query` (analyse.py), with the article
references and document names it holds (refs.py), the phrasing rules it applies (rules.toml, read by
rules.py) and what a text states of the kinds a question asks for (stated.py)."""

from .analyse import QueryReader, analyse

__all__ = ["QueryReader", "analyse"]
