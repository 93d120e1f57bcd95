"""Terminal rendering: colour on a terminal, plain text when piped, NO_COLOR respected. Every string
from a document, a question or a model passes `printable` (through `style` or `_p`) before our own
colour codes are added: nothing a document says reaches the terminal as a control sequence."""

from __future__ import annotations

import textwrap

import typer

from ..injection import instructions_in
from ..records import ROLES, Answer, Hit
from ..safe_text import printable as _p
from .common import use_colour


def style(text: str, **kw) -> str:
    text = _p(text)
    return typer.style(text, **kw) if use_colour() else text


def wrap(text: str, indent: str = "") -> str:
    return "\n".join(textwrap.fill(line, width=100, initial_indent=indent, subsequent_indent=indent) if line.strip() else ""
                     for line in text.splitlines())


def answer(a: Answer) -> str:
    out = []
    if a.written:
        out += _verdict(a)
        out.append(wrap(_p(a.text)))  # a generated answer, not streamed (e.g. --json off, piped): its text as written
        out.append("")
        out.append(verification(a))
    elif a.abstained:
        out.append(style("No clear answer in the indexed documents.", fg="yellow", bold=True))
        out.append(wrap(_p(a.text)))
    else:
        for section in a.sections:
            if section.heading:
                out.append(style(section.heading, bold=True))
            for n, run in enumerate(section.paragraphs(a.doc_of)):
                # the verdict's label is the answer's first word, and reads as such
                lead = {"bold": True} if section.role == "verdict" and n == 0 else {}
                out.append(wrap(" ".join(style(s.text, **lead) + (" " + style(s.marker, fg="cyan", bold=True) if s.citations else "")
                                         for s in run)))
            out.append("")
    return "\n".join(out + _tail(a)).rstrip() + "\n"


def _verdict(a: Answer) -> list[str]:
    """A written answer's verdict lines (its first section), before the model's prose."""
    lead = next((x for x in a.sections if x.role == "verdict"), None)
    if lead is None:
        return []
    return [wrap(style(s.text, bold=n == 0) + (" " + style(s.marker, fg="cyan", bold=True) if s.citations else ""))
            for n, s in enumerate(lead.sentences)] + [""]


def _tail(a: Answer) -> list[str]:
    """Notes and sources, as under any answer."""
    out = [style("Note: ", fg="yellow") + _p(note) for note in a.notes]
    if a.missing and not a.abstained:  # an abstention names them in its text
        # the documents the question names or points at that the index lacks: what is cited is
        # what the indexed documents say about them, not their own words
        out.append(wrap(style("Not indexed, might hold the answer: ", fg="yellow")
                        + _p("; ".join(f"{m.label} (`treaty corpus fetch {m.id}`)" for m in a.missing)) + "."))
    if a.citations:
        out += ["", style("Sources", bold=True)]
        quoted: dict[int, list[str]] = {}
        for section in a.sections:
            if section.role in ROLES:  # sentences quoted from the passages, not a model's prose
                for s in section.sentences:
                    for n in s.citations:
                        quoted.setdefault(n, []).append(s.text)
        for c in a.citations:
            out.append(style(f"[{c.n}] ", fg="cyan", bold=True) + style(c.locator, bold=True)
                       + style(f"  ({c.hit.passage.role}, score {c.hit.score:.3f})", dim=True))
            if c.suspicious:
                out.append(style(f"    ⚠ suspicious: {c.suspicious}", fg="red", bold=True))
            out.append(wrap(_p(f"“{excerpt_around(c.text, quoted.get(c.n, [c.sentence]))}”"), "    "))
    return out


def hits(rows: list[Hit], explain: bool = False) -> str:
    out = []
    for i, h in enumerate(rows, 1):
        label = _p(f"  [{h.label}]") if h.label else ""
        out.append(style(f"{i:>2}. ", bold=True) + style(h.passage.locator, bold=True) + label
                   + style(f"  score {h.score:.4f}  dense {h.dense:.3f}  bm25 {h.lexical:.2f}", dim=True))
        if suspicious := instructions_in(h.passage.text):
            out.append(style(f"    ⚠ suspicious: {suspicious}", fg="red", bold=True))
        out.append(wrap(_p(_excerpt(h.passage.text, 300)), "    "))
        if explain:
            # (an ordering stage moves places, not scores)
            out += [style(f"    {f'{r.delta:+.4f}' if r.delta else 'place':>7}  {r.stage:<20} {r}", dim=True) for r in h.reasons]
        elif h.reasons:
            out.append(style("    why: " + ", ".join(map(str, h.reasons)), dim=True))
    return "\n".join(out) + "\n"


def _excerpt(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def excerpt_around(text: str, quotes: list[str], limit: int = 600) -> str:
    """At most `limit` characters of a cited passage that hold the sentences the answer quotes from
    it: a long paragraph cut at its start could hide the very sentence its [n] stands for."""
    if len(text) <= limit:
        return text
    found = [(i, i + len(q)) for q in quotes if q and (i := text.find(q)) >= 0]
    if not found:
        return _excerpt(text, limit)
    a, b = min(x for x, _ in found), max(y for _, y in found)
    limit = max(limit, b - a)  # quotes far apart in one paragraph are all shown: each stands for its [n]
    # a third of the room left goes before the quote, to show what leads to it
    start = max(0, min(a - (limit - (b - a)) // 3, len(text) - limit)) if b - a < limit else a
    end = min(len(text), start + limit)
    if start > 0:
        cut = text.find(" ", start, a + 1)
        start = cut + 1 if 0 <= cut < a + 1 else start
    if end < len(text):
        cut = text.rfind(" ", max(b, start + 1), end)
        end = cut if cut > start else end
    return ("… " if start > 0 else "") + text[start:end].strip() + (" …" if end < len(text) else "")


class Stream:
    """Tokens of a generated answer, printed as they arrive."""

    def __init__(self) -> None:
        self.started = False

    def token(self, text: str) -> None:
        import sys

        if not self.started:
            self.started = True
            text = text.lstrip()
        sys.stdout.write(_p(text))
        sys.stdout.flush()


def after_stream(a: Answer, streamed: bool) -> str:
    """What follows a streamed answer: its verification, the strict version, notes and sources. When
    nothing the model wrote held, the verification says so and the quoted answer follows whole."""
    if not streamed:
        return answer(a)
    out = ["", ""]
    if a.verification is not None:
        out.append(verification(a))
    if not a.written:
        return "\n".join(out) + "\n\n" + answer(a)
    if any(n.startswith("--strict removed") for n in a.notes):
        out += ["", style("Verified answer (--strict)", bold=True), wrap(_p(a.text))]
    return "\n".join(out + [""] + _tail(a)).rstrip() + "\n"


def verification(a: Answer) -> str:
    v = a.verification or {}
    n, k = v.get("sentences", 0), v.get("supported", 0)
    colour = "green" if n and k == n else "yellow" if k else "red"
    out = [style(f"Verification: {k} of {n} sentences supported by the passages they cite", fg=colour, bold=True)]
    for issue in v.get("issues", []):
        out.append(style(f"  ✗ sentence {issue['sentence']}: ", fg="red") + _p(issue["issue"]))
        out.append(style(wrap(f"“{issue['text']}”", "      "), dim=True))
    return "\n".join(out)
