"""`treaty corpus ...`: what is registered, what has a local copy, what is indexed; adding the user's
own files, fetching official copies, removing documents, and showing what the parser understood.
Titles, headings and footnotes are the documents' words: everything is printed through `echo`."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..lock import data_lock
from .common import (
    CorpusDirOpt,
    DataDirOpt,
    echo,
    echo_json,
    handle_errors,
    index_summary,
    settings,
    warn_damaged_state,
)
from .progress import bars

corpus_app = typer.Typer(no_args_is_help=True, help="Registered documents: list, fetch, add, show, remove, refs, repair.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
NoIndexOpt = Annotated[bool, typer.Option("--no-index", help="only take the copy; index later with `treaty index`")]


def _indexed(s) -> dict:
    from ..index.snapshot import indexed_documents

    return indexed_documents(s)


@corpus_app.command("list")
@handle_errors
def list_documents(as_json: JsonOpt = False, data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Each registered document with its status (indexed, available, not downloaded, removed) and passage count."""
    from ..library.documents import rows as corpus_rows

    s = settings(data_dir, corpus_dir)
    warn_damaged_state(s)
    rows = [{"id": r.source.id, "role": r.source.role, "symbol": r.source.symbol, "title": r.source.short, "status": r.status,
             "passages": r.passages, "path": r.source.path, "address": r.source.address, "download": r.source.download,
             "origin": r.origin}
            for r in corpus_rows(s)]
    if as_json:
        echo(json.dumps(rows, indent=1))
        return
    width = max(len(r["id"]) for r in rows)
    echo(f"{'id'.ljust(width)}  {'role':16}  {'status':14}  {'passages':>8}  title")
    for r in rows:
        echo(f"{r['id'].ljust(width)}  {r['role']:16}  {r['status']:14}  {r['passages']:>8}  {r['title']}")
    counts = {k: sum(r["status"] == k for r in rows) for k in ("indexed", "available", "not downloaded", "removed")}
    echo(f"\n{counts['indexed']} indexed, {counts['available']} available (run `treaty index`), "
               f"{counts['not downloaded']} not downloaded (`treaty corpus fetch ID` or `treaty corpus add FILE --id ID`)"
               + (f", {counts['removed']} removed" if counts["removed"] else ""))


@corpus_app.command("add")
@handle_errors
def add(paths: Annotated[list[Path], typer.Argument(help="PDF, HTML, DOCX, Markdown or text files")],
        doc_id: Annotated[Optional[str], typer.Option("--id", help="registered id to give this file to, or the id of a new document")] = None,
        title: Annotated[Optional[str], typer.Option(help="title of a new document")] = None,
        role: Annotated[Optional[str], typer.Option(help="submission, negotiating-text, instrument or comparator")] = None,
        symbol: Annotated[Optional[str], typer.Option(help="UN document symbol, e.g. A/AC.291/19 (read from the first page when absent)")] = None,
        alias: Annotated[Optional[list[str]], typer.Option(help="a name people use for the document (repeatable)")] = None,
        subject: Annotated[Optional[list[str]], typer.Option(help="what it is about, as people name it: 'marmalade' for \"the marmalade treaty\" (repeatable)")] = None,
        layout: Annotated[Optional[str], typer.Option("--layout", help="treaty (articles) or submission (headings, paragraphs, footnotes); detected when absent")] = None,
        no_index: NoIndexOpt = False, data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Add your own files to the corpus and index them; a file the registry knows (same id or symbol) fills its entry."""
    from ..library.state import read_state
    from ..library.documents import registry, take_copy, target_for
    from ..ingest import load_path, parse
    from ..records import Document
    from ..query.refs import AliasMatcher

    s = settings(data_dir, corpus_dir)
    if len(paths) > 1 and (doc_id or title or symbol):
        raise UsageError("--id, --title and --symbol describe one document: add files one at a time when you use them")
    if layout not in (None, "treaty", "submission"):
        raise UsageError(f"unknown layout '{layout}': use treaty or submission")
    with data_lock(s.data_dir):  # from the first read of the state to the last write
        state = read_state(s)
        sources = registry(s, state)
        matcher = AliasMatcher.build(sources)
        planned = []
        # Everything is read and parsed before anything changes: a bad file leaves corpus and index as they were.
        for path in paths:
            loaded = load_path(path, s.index, s.data_dir / "cache" / "converted")
            target = target_for(path, loaded, sources, doc_id=doc_id, title=title, role=role, symbol=symbol,
                                aliases=list(alias or []), subjects=list(subject or []), fmt=layout)
            doc = Document(replace(target.source, path=str(path)), str(path), loaded.text, loaded.sha256, loaded.pages, loaded.meta,
                           loaded.paged)
            planned.append((path, loaded, target, len(parse(doc, matcher, s.index))))
        for path, loaded, target, n in planned:
            src = target.source
            yours = src.id in state.documents
            if not target.linked:
                state.documents[src.id] = {k: v for k, v in asdict(src).items() if k != "path"}
            restored = src.id in state.removed
            if restored:
                state.removed.remove(src.id)
            new = take_copy(s, state, src, path, loaded.sha256, "added")
            what = (f"your document '{src.id}'" if yours else f"linked to registered '{src.id}' ({src.symbol or src.short})"
                    if target.linked else f"new document '{src.id}' ({src.role}, {src.format} layout)")
            pages = f", {len(loaded.pages)} pages" if loaded.pages else ""
            # a link is followed, and where it leads is said: a file is never taken in unseen
            shown = f"{path} → {path.resolve()}" if path.is_symlink() else str(path)
            echo(f"{shown}: {what}, {n} passages{pages}" + ("" if new or restored else " - same file as before"))
        if no_index:
            from ..library.state import write_state

            write_state(s, state)
            echo("copies taken; run `treaty index` to index them")
            return
        report = _save_and_index(s, state)
        echo(index_summary(report, s))


@corpus_app.command("fetch")
@handle_errors
def fetch(ids: Annotated[Optional[list[str]], typer.Argument(help="registered document ids")] = None,
          all_: Annotated[bool, typer.Option("--all", help="every registered document that is not downloaded")] = False,
          accept_changed: Annotated[bool, typer.Option("--accept-changed", help="take an official copy whose checksum changed since the first download")] = False,
          no_index: NoIndexOpt = False, data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Download registered documents from their official addresses (the only command that uses the network)."""
    from ..library.state import folder, lock_path, read_state, write_state
    from ..library.documents import registry, take_copy
    from ..errors import CorpusError, FetchError
    from ..library.fetch import fetch_many
    from ..ingest import load_path
    from ..library.catalogue import check_ids

    s = settings(data_dir, corpus_dir)
    if not ids and not all_:
        raise UsageError("name the documents to fetch (ids from `treaty corpus list`), or pass --all")
    with data_lock(s.data_dir):  # from the first read of the state to the last write
        state = read_state(s)
        sources = registry(s, state)
        check_ids(sources, list(ids or []))
        wanted = [src for src in sources if (src.id in (ids or []) or (all_ and not src.path)) and src.id not in state.documents]
        if not wanted:
            echo("nothing to fetch: every registered document has a local copy")
            return
        with bars(in_bytes=True, keep=True) as show:
            results, errors = fetch_many(wanted, folder(s) / "downloads", lock_path(s), s.fetch,
                                         accept_changed=accept_changed, progress=show)
        taken = []
        for r in results:
            try:
                loaded = load_path(Path(r.path), s.index)  # a file we cannot read is not a copy
            except CorpusError as exc:
                errors.append((r.id, exc.message))
                continue
            if take_copy(s, state, next(src for src in wanted if src.id == r.id), Path(r.path), loaded.sha256, "fetched"):
                taken.append(r.id)
            echo(f"{r.id}: {r.status}, {r.bytes / 1024:.0f} KB, sha256 {r.sha256[:12]}")
        if len(wanted) == 1 and errors:  # one document: its own error is the whole story, in one line
            raise FetchError(errors[0][1])
        for doc, message in errors:
            echo(f"error: {message}", err=True)
        if taken:
            if no_index:
                write_state(s, state)
            else:
                echo(index_summary(_save_and_index(s, state), s))
        if errors:
            raise FetchError(f"{len(errors)} of {len(wanted)} documents could not be fetched (see above)")


def _save_and_index(s, state, removing: tuple[str, ...] = ()):
    """Write the state and build the index from it, the index's progress shown on a terminal; only
    the documents in `removing` (or removed before) may leave the index."""
    from ..library.documents import save_and_index
    from ..index.build import build_index

    with bars() as show:
        return save_and_index(s, state, lambda srcs: build_index(s, srcs, progress=show), removing=removing)


@corpus_app.command("remove")
@handle_errors
def remove(doc_id: Annotated[str, typer.Argument(help="document id")], data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Drop a document from the index (your own documents are unregistered and their copies deleted)."""
    from ..library.documents import forget, registry
    from ..library.state import read_state
    from ..library.catalogue import check_ids

    s = settings(data_dir, corpus_dir)
    with data_lock(s.data_dir):  # from the first read of the state to the last write
        state = read_state(s)
        check_ids(registry(s, state), [doc_id])
        if doc_id in state.removed:
            echo(f"{doc_id} is already removed")
            return
        what = forget(state, doc_id)
        report = _save_and_index(s, state, removing=(doc_id,))
        echo(f"{doc_id}: {what}")
        echo(index_summary(report, s))


@corpus_app.command("restore")
@handle_errors
def restore(doc_id: Annotated[str, typer.Argument(help="document id")], data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Index again a registered document that `treaty corpus remove` left out."""
    from ..library.state import read_state

    s = settings(data_dir, corpus_dir)
    with data_lock(s.data_dir):  # from the first read of the state to the last write
        state = read_state(s)
        if doc_id not in state.removed:
            raise UsageError(f"'{doc_id}' was not removed: `treaty corpus list` shows each document's status")
        state.removed.remove(doc_id)
        echo(index_summary(_save_and_index(s, state), s))


@corpus_app.command("repair")
@handle_errors
def repair(data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Rebuild a damaged or missing corpus state from its backup, your copies and the index (deletes nothing)."""
    from ..library.repair import repair as rebuild_state

    for line in rebuild_state(settings(data_dir, corpus_dir)):
        echo(line)


@corpus_app.command("show")
@handle_errors
def show(doc_id: Annotated[str, typer.Argument(help="document id")], as_json: JsonOpt = False,
         provisions: Annotated[bool, typer.Option("--provisions", help="each paragraph and sub-paragraph as read: its force, "
                                                  "whom it binds, its cross-references, its safeguards")] = False,
         data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Print what the parser understood: articles and paragraphs, headings, pages, footnotes."""
    from ..facade import document_passages, open_snapshot, provisions_of
    from ..library.documents import registry
    from ..library.outline import outline
    from ..library.catalogue import check_ids

    s = settings(data_dir, corpus_dir)
    warn_damaged_state(s)
    sources = registry(s)
    check_ids(sources, [doc_id])
    if provisions:
        from .provisions import show_provisions

        show_provisions(*provisions_of(s, doc_id, sources), as_json=as_json)
        return
    src, passages, where = document_passages(s, doc_id, sources, open_snapshot(s))
    o = outline(doc_id, passages)
    if as_json:
        echo_json(asdict(o), indent=1)
        return
    pages = f", pages {o.pages[0]}-{o.pages[1]}" if o.pages else ""
    echo(f"{src.title}\n{src.id} · {src.role} · {src.format} layout · {where} · {o.passages} passages{pages}")
    echo(f"file: {src.path}" + (f" · symbol {src.symbol}" if src.symbol else ""))
    division: list[str] = []
    for part in o.parts:
        pg = "" if not part.pages else f"  p. {part.pages[0]}" if part.pages[0] == part.pages[1] else f"  pp. {part.pages[0]}-{part.pages[1]}"
        if part.kind == "article":
            if part.heading[:-1] != division:
                division = part.heading[:-1]
                echo("  " + " / ".join(division))
            units = f"  ({', '.join(part.units)})" if part.units else ""
            echo(f"    {part.heading[-1]}{units}{pg}")
        elif part.kind == "preamble":
            echo(f"  Preamble{pg}")
        else:
            n = len(part.units)
            echo(f"  {' / '.join(part.heading) or '(no heading)'}: {n} paragraph{'s' if n != 1 else ''}{pg}")
    if o.footnotes:
        echo(f"  Footnotes: {len(o.footnotes)}")
        for f in o.footnotes:
            where = [f"p. {f.page}"] if f.page else []
            where.append(f"cited in {f.cited_by.split(', ', 1)[-1]}" if f.cited_by else "marker not found in the text")
            echo(f"    {f.n:>3}  {' · '.join(where)}: {f.text[:70]}{'…' if len(f.text) > 70 else ''}")


@corpus_app.command("refs")
@handle_errors
def refs(doc_id: Annotated[Optional[str], typer.Argument(help="document id (default: every indexed document)")] = None,
         as_json: JsonOpt = False, data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """The documents a document cites, and whether each is indexed, available or missing."""
    from ..library.documents import registry, status
    from ..library.state import state_for_reading
    from ..facade import document_passages, open_snapshot
    from ..library.outline import cited_documents
    from ..query.refs import AliasMatcher
    from ..library.catalogue import check_ids

    s = settings(data_dir, corpus_dir)
    warn_damaged_state(s)
    state, indexed = state_for_reading(s)[0], set(_indexed(s))
    sources = registry(s, state)
    ids = [doc_id] if doc_id else list(indexed)
    if not ids:
        raise UsageError("nothing is indexed yet: run `treaty index`")
    check_ids(sources, ids)
    snapshot, matcher, known, out = open_snapshot(s), AliasMatcher.build(sources), {x.id: x for x in sources}, []
    for i in ids:
        _, passages, _ = document_passages(s, i, sources, snapshot)
        for c in cited_documents(i, passages, matcher):
            st = status(known[c.doc_id], indexed, state)
            out.append({"document": i, "cites": c.doc_id, "title": known[c.doc_id].short, "symbol": known[c.doc_id].symbol,
                        "status": "missing" if st == "not downloaded" else st, "times": c.times, "where": c.where})
    if as_json:
        echo_json(out, indent=1)
        return
    for i in ids:
        rows = [r for r in out if r["document"] == i]
        echo(f"{i} cites {len(rows)} registered documents" + (":" if rows else ""))
        for r in rows:
            where = ", ".join(w.split(", ", 1)[-1] for w in r["where"][:3]) + (" …" if len(r["where"]) > 3 else "")
            echo(f"  {r['cites']:<15} {r['status']:<10} {r['times']:>3}x  {r['title']}  ({where})")
    missing = sorted({r["cites"] for r in out if r["status"] == "missing"})
    if missing:
        echo(f"\nmissing: {', '.join(missing)}: `treaty corpus fetch ID` or `treaty corpus add FILE --id ID`")
