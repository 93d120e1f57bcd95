"""`treaty corpus show DOC --provisions` and `treaty safeguards DOC`: the provisions read at index time,
and the safeguards matrix built from them (`assistant/answer/matrix.py`), as a table, Markdown, CSV
or JSON. Locators and quoted words are the documents' own: everything is printed through `echo`, or
made printable before Rich draws it."""

from __future__ import annotations

import csv
import io
from enum import Enum
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..answer.matrix import asks_text, cell_text, header, markdown_table, row_cells
from ..safe_text import printable
from .common import CorpusDirOpt, DataDirOpt, echo, echo_json, handle_errors, settings, use_colour, warn_damaged_state


def show_provisions(src, passages, provisions, where: str, as_json: bool = False) -> None:
    if not provisions:
        raise UsageError(f"'{src.id}' has no articles in treaty layout, so no provisions to read: "
                         "`treaty corpus show` prints what the parser understood of it")
    if as_json:
        echo_json([p.to_json() for p in provisions], indent=1)
        return
    echo(f"{src.title}\n{src.id} · {where} · {len(provisions)} provisions")
    for p in provisions:
        echo(f"  {_short(p.locator):<16} {p.force}" + (f" ({p.force_words})" if p.force_words else "")
             + (f" · binds {p.binds}" if p.binds else ""))
        for ref in p.crossrefs:
            echo(f"      → {', '.join(ref.targets)}  [{ref.kind}] \"{ref.words}\"")
        for tag in p.safeguards:
            echo(f"      + {tag.tag}: \"{tag.words}\"")


class Format(str, Enum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"


def safeguards(doc_id: Annotated[str, typer.Argument(help="document id (a treaty or a negotiating text)")],
               articles: Annotated[Optional[str], typer.Option("--articles", help="articles to show: 14-21, or 14,15,20")] = None,
               fmt: Annotated[Format, typer.Option("--format", help="table, md, csv or json")] = Format.table,
               data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """A matrix of safeguards: articles as rows, safeguards as columns, each cell mandatory, discretionary,
    by reference (through another article) or absent, with the provision cited."""
    from ..answer.matrix import parse_articles
    from ..facade import safeguards_matrix

    s = settings(data_dir, corpus_dir)
    warn_damaged_state(s)
    matrix = safeguards_matrix(s, doc_id, parse_articles(articles) if articles else None)
    {Format.json: lambda m: echo_json(m.to_json(), indent=1), Format.csv: _csv, Format.md: _markdown,
     Format.table: _table}[fmt](matrix)


def _csv(m) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header(m))
    writer.writerows(row_cells(m, row) for row in m.rows)
    echo(out.getvalue().rstrip("\n"))


def _markdown(m) -> None:
    echo(f"Safeguards in {m.title}\n")
    echo("\n".join(markdown_table(m)))


_STYLE = {"mandatory": "green", "discretionary": "yellow", "by-reference": "cyan", "absent": "dim"}


def _table(m) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=printable(f"Safeguards in {m.title}"), show_lines=True)
    for n, name in enumerate(header(m)):
        table.add_column(printable(name), overflow="fold", min_width=14 if n == 1 else None)
    for row in m.rows:
        cells = [f"[{_STYLE[c.status]}]{_escape(cell_text(c, chr(10)))}[/]" for c in row.cells]
        table.add_row(row.article, _escape(row.title), *cells, *([_escape(asks_text(row))] if m.asks_column else []))
    # sixteen columns: wider than most terminals, and folded into slivers when squeezed into one
    Console(no_color=not use_colour(), width=max(160, 13 * len(header(m)))).print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(printable(text))


def _short(locator: str) -> str:
    return next((x.strip() for x in locator.split(",") if x.strip().startswith("art. ")), locator)
