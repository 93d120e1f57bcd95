"""The data that ships with the package: the document registry and the vendored submission
(`corpus/`), the prompt templates (`prompts/`) and the evaluation set (`evals/`).

Those folders sit at the top of the repository and are mapped into this package by pyproject.toml,
so the same lookup finds them in a checkout, an editable install and an installed wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(name: str) -> Path:
    # A regular package on disk resolves to a pathlib.Path; the callers need real paths (copying and
    # hashing the vendored submission), which zip imports could not give, and wheels are unzipped.
    return Path(str(files(f"{__name__}.{name}")))


def corpus() -> Path:
    return _folder("corpus")


def prompts() -> Path:
    return _folder("prompts")


def evals() -> Path:
    return _folder("evals")
