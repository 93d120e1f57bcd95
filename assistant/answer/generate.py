"""Generated answers: a LangChain chat model writes from the top passages, then every sentence is
checked against the passages it cites (verify.py). The model is asked only when retrieval found
evidence the extractive backend would answer from; otherwise the abstention is the same as without
a model, and no tokens are spent."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..records import Answer, Citation, Source
from ..plugins import BACKENDS
from .extractive import Extractive, abstention
from .cite import for_prompt, lead_with, place, read
from .prompt import PROMPT, VERDICT_PROMPT, messages, unescape

NO_ANSWER = "passages do not answer"


class Generative:
    """One class for every chat-model backend: the name picks the model (llm.CHAT_MODELS)."""

    name = "generative"

    def __init__(self, settings, retriever):
        self.settings = settings
        self.retriever = retriever
        self.extractive = Extractive(settings, retriever)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from .llm import chat_model

            self._model = chat_model(self.name, self.settings)
        return self._model

    def answer(self, question: str, retrieval, registry: dict[str, Source], *, strict: bool = False,
               on_token: Callable[[str], None] | None = None) -> Answer:
        from .llm import stream_text
        from .verify import (
            verify,  # numpy and the loaders' helpers: not on the extractive path
        )

        base = self.extractive.answer(question, retrieval, registry)
        if base.abstained:
            base.backend = self.name
            base.notes.append("the language model was not asked: the retrieved evidence is too weak to answer from")
            return base
        # a yes/no question: the model is given the verdict read from the provisions, its passages first
        reading = read(retrieval, registry, self.extractive.library, set(self.retriever.snapshot.doc_ids()))
        hits = lead_with(reading, retrieval.hits[: self.settings.answer.passages])
        prompt = VERDICT_PROMPT if reading else PROMPT
        t0 = time.perf_counter()
        if reading and on_token:  # the verdict leads the streamed prose, numbered as the model's passages
            on_token(for_prompt(reading, hits) + "\n\n")
        chunks = []
        shown = _Unescaping(on_token) if on_token else None
        for chunk in stream_text(self.model, messages(retrieval.query, hits, prompt, for_prompt(reading, hits)), self.name, self.settings):
            chunks.append(chunk)
            if shown:
                shown(chunk)
        if shown:
            shown.flush()
        text = unescape("".join(chunks).strip())  # the passages were escaped; the answer is checked against their words
        timings = dict(retrieval.timings_ms, generate=(time.perf_counter() - t0) * 1e3)
        given = {n: h.passage for n, h in enumerate(hits, 1)}
        t1 = time.perf_counter()
        checked = verify(text, given, self.retriever.embedder, self.settings.answer.support_threshold,
                         reading.label if reading else None)
        timings["verify"] = (time.perf_counter() - t1) * 1e3
        summary = checked.summary()
        if NO_ANSWER in text.lower() and len(checked.sentences) <= 1:
            return place(Answer(question, text, True, self.name, [], retrieval.hits, abstention(text), base.notes, base.missing,
                                timings, base.evidence, prompt, summary), reading, hits)
        kept = [s for s in checked.sentences if s.supported or not strict]
        if not any(s.supported for s in checked.sentences):
            base.backend = self.name
            base.prompt, base.verification = prompt, summary
            base.notes.insert(0, f"none of the {len(checked.sentences)} generated sentences was supported by the passages "
                                 "it cites: the extractive answer follows")
            base.timings_ms.update(timings)
            return base
        citations, first_use = [], {}
        for s in kept:
            for n in s.cites:
                if n in given and n not in first_use:
                    first_use[n] = s.text
        for n in sorted(first_use):
            citations.append(Citation(n, hits[n - 1], first_use[n]))
        shown = checked.supported_text() if strict else text
        notes = list(base.notes)
        unsupported = len(checked.sentences) - summary["supported"]
        if strict and unsupported:
            notes.insert(0, f"--strict removed {unsupported} unsupported sentence{'s' if unsupported > 1 else ''}")
        # The text is the model's own, as it was streamed; the sections are the verifier's reading of it.
        sections = checked.sections({c.n for c in citations}, strict)
        return place(Answer(question, shown, False, self.name, citations, retrieval.hits, sections, notes, base.missing,
                            timings, base.evidence, prompt, summary), reading, hits)


def register(name: str) -> None:
    """A chat-model backend is one registration: a Generative whose name picks its model."""
    BACKENDS.register(name)(type(f"Generative_{name}", (Generative,), {"name": name}))


for _name in ("llamacpp", "ollama", "openai"):
    register(_name)


class _Unescaping:
    """Streams a model's text on as the reader will see it: the passages were given to the model
    escaped, so it writes "&amp;"; an entity cut between two chunks is held back until it is whole."""

    LONGEST = 10  # "&#x1F600;": a longer run after "&" is not an entity

    def __init__(self, out):
        self.out, self.held = out, ""

    def __call__(self, chunk: str) -> None:
        text, self.held = self.held + chunk, ""
        cut = text.rfind("&")
        if cut >= 0 and ";" not in text[cut:] and len(text) - cut < self.LONGEST:
            text, self.held = text[:cut], text[cut:]
        if text:
            self.out(unescape(text))

    def flush(self) -> None:
        if self.held:
            self.out(unescape(self.held))
            self.held = ""
