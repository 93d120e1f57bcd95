"""`treaty corpus show DOC --provisions` and `treaty safeguards DOC`: the provisions read at index time,
and the safeguards matrix built from them (`assistant/provisions/matrix.py`), as a table, Markdown, CSV
or JSON. Locators and quoted words are the documents' own: everything is printed through `echo`, or
made printable before Rich draws it."""

from __future__ import annotations

import csv
import io
from enum import Enum
from typing import Annotated, Optional

import typer

from ..errors import UsageError
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
    from ..corpus import registry
    from ..provisions.matrix import build_matrix, parse_articles
    from ..sources import check_ids
    from .corpus import open_snapshot, provisions_of

    s = settings(data_dir, corpus_dir)
    warn_damaged_state(s)
    sources = registry(s)
    check_ids(sources, [doc_id])
    wanted = parse_articles(articles) if articles else None
    snapshot = open_snapshot(s)
    src, passages, provisions, _ = provisions_of(s, doc_id, sources, snapshot)
    # (a negotiating text not indexed yet is still discussed by the indexed submission)
    indexed = snapshot.passages if snapshot is not None else passages
    submission = [p for p in indexed if p.role == "submission" and p.mentions]
    family = frozenset(x.id for x in sources if x.role == "negotiating-text")
    matrix = build_matrix(src, passages, provisions, wanted, submission, family)
    {Format.json: lambda m: echo_json(m.to_json(), indent=1), Format.csv: _csv, Format.md: _markdown,
     Format.table: _table}[fmt](matrix)


def cell_text(c, sep: str = " ") -> str:
    """"mandatory art. 15(1)", "by reference art. 15(2) via art. 15 (discretionary)", "absent"; `sep`
    between the status and the citation (a line break in the table)."""
    if c.status == "absent":
        return "absent"
    if c.status == "by-reference":
        return f"by reference{sep}{c.locator} via {c.via}{sep}({c.stated_as} there)"
    return f"{c.status}{sep}{c.locator}"


def _asks_text(row) -> str:
    return " | ".join(f"{a.text} ({a.locator})" for a in row.asks)


def _header(m) -> list[str]:
    return ["article", "title", *(label for _, label in m.columns)] + (["the submission asks"] if m.asks_column else [])


def _cells(m, row) -> list[str]:
    return [row.article, row.title, *(cell_text(c) for c in row.cells)] + ([_asks_text(row)] if m.asks_column else [])


def _csv(m) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_header(m))
    writer.writerows(_cells(m, row) for row in m.rows)
    echo(out.getvalue().rstrip("\n"))


def _markdown(m) -> None:
    echo(f"Safeguards in {m.title}\n")
    echo("| " + " | ".join(_header(m)) + " |")
    echo("|" + "---|" * len(_header(m)))
    for row in m.rows:
        echo("| " + " | ".join(x.replace("|", "\\|") for x in _cells(m, row)) + " |")


_STYLE = {"mandatory": "green", "discretionary": "yellow", "by-reference": "cyan", "absent": "dim"}


def _table(m) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=printable(f"Safeguards in {m.title}"), show_lines=True)
    for n, name in enumerate(_header(m)):
        table.add_column(printable(name), overflow="fold", min_width=14 if n == 1 else None)
    for row in m.rows:
        cells = [f"[{_STYLE[c.status]}]{_escape(cell_text(c, chr(10)))}[/]" for c in row.cells]
        table.add_row(row.article, _escape(row.title), *cells, *([_escape(_asks_text(row))] if m.asks_column else []))
    # sixteen columns: wider than most terminals, and folded into slivers when squeezed into one
    Console(no_color=not use_colour(), width=max(160, 13 * len(_header(m)))).print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(printable(text))


def _short(locator: str) -> str:
    return next((x.strip() for x in locator.split(",") if x.strip().startswith("art. ")), locator)
