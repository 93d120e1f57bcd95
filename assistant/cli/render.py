"""Terminal rendering: colour on a terminal, plain text when piped, NO_COLOR respected."""

from __future__ import annotations

import textwrap

import typer

from ..records import Answer, Hit
from .common import use_colour


def style(text: str, **kw) -> str:
    return typer.style(text, **kw) if use_colour() else text


def wrap(text: str, indent: str = "") -> str:
    return "\n".join(textwrap.fill(line, width=100, initial_indent=indent, subsequent_indent=indent) if line.strip() else ""
                     for line in text.splitlines())


def answer(a: Answer) -> str:
    out = []
    if a.abstained:
        out.append(style("No clear answer in the indexed documents.", fg="yellow", bold=True))
        out.append(wrap(a.text))
    else:
        for heading, items in a.sections:
            if heading:
                out.append(style(heading, bold=True))
            out.append(wrap(" ".join(f"{s} " + style(f"[{n}]", fg="cyan", bold=True) for s, n in items)))
            out.append("")
    for note in a.notes:
        out.append(style("Note: ", fg="yellow") + note)
    if a.citations:
        out.append("")
        out.append(style("Sources", bold=True))
        for c in a.citations:
            out.append(style(f"[{c.n}] ", fg="cyan", bold=True) + style(c.hit.passage.locator, bold=True)
                       + style(f"  ({c.hit.passage.role}, score {c.hit.score:.3f})", dim=True))
            out.append(wrap(f"“{_excerpt(c.hit.passage.text)}”", "    "))
    return "\n".join(out).rstrip() + "\n"


def hits(rows: list[Hit]) -> str:
    out = []
    for i, h in enumerate(rows, 1):
        label = f"  [{h.label}]" if h.label else ""
        out.append(style(f"{i:>2}. ", bold=True) + style(h.passage.locator, bold=True) + label
                   + style(f"  score {h.score:.4f}  dense {h.dense:.3f}  bm25 {h.lexical:.2f}", dim=True))
        out.append(wrap(_excerpt(h.passage.text, 300), "    "))
        if h.reasons:
            out.append(style("    why: " + ", ".join(h.reasons), dim=True))
    return "\n".join(out) + "\n"


def _excerpt(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"
