"""Query analysis: the question read once into a typed `Query` (reader.py: `QueryReader`, `analyse`),
with the article references and document names it holds (refs.py), the phrasing rules it applies
(rules.toml, read by rules.py) and what a text states of the kinds a question asks for (stated.py).

The reader is imported on first use: the loaders read references in passages (refs.py) without
the lexical model the reader needs."""

__all__ = ["QueryReader", "analyse"]


def __getattr__(name: str):
    if name in __all__:
        from . import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
