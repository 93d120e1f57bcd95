"""Answer backends, registered by name in `assistant.plugins.BACKENDS`. `extractive` (default) needs
no language model: it quotes the sentences of the retrieved passages that best answer the question.
`llamacpp`, `ollama` and `openai` write the answer with a LangChain chat model and verify every
sentence against the passages it cites (generate.py, verify.py, llm.py)."""

from __future__ import annotations

from ..plugins import BACKENDS
from . import extractive, generate  # noqa: F401  (they register themselves)
from .json_output import to_json  # noqa: F401


def get_backend(name: str):
    return BACKENDS.get(name)
