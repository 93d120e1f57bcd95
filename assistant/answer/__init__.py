"""Answer backends, registered by name in `assistant.registry.BACKENDS`. `extractive` (default) needs
no language model: it quotes the sentences of the retrieved passages that best answer the question."""

from __future__ import annotations

from ..registry import BACKENDS
from . import extractive  # noqa: F401  (registers itself)
from .render import to_json  # noqa: F401


def get_backend(name: str):
    return BACKENDS.get(name)
