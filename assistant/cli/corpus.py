"""`treaty corpus ...`: what is registered, what has a local copy, what is indexed."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .common import CorpusDirOpt, DataDirOpt, handle_errors, settings

corpus_app = typer.Typer(no_args_is_help=True, help="Registered documents and their status.")


@corpus_app.command("list")
@handle_errors
def list_documents(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
                   data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Each registered document with its status (indexed, available, not downloaded) and passage count."""
    from ..index import index_root, read_manifest
    from ..pipeline import registry

    s = settings(data_dir, corpus_dir)
    manifest = read_manifest(index_root(s)) or {"documents": {}}
    rows = []
    for src in registry(s):
        entry = manifest["documents"].get(src.id)
        status = "indexed" if entry else ("available" if src.path else "not downloaded")
        rows.append({"id": src.id, "role": src.role, "symbol": src.symbol, "title": src.short, "status": status,
                     "passages": entry["passages"] if entry else 0, "path": src.path, "address": src.address})
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    width = max(len(r["id"]) for r in rows)
    typer.echo(f"{'id'.ljust(width)}  {'role':16}  {'status':14}  {'passages':>8}  title")
    for r in rows:
        typer.echo(f"{r['id'].ljust(width)}  {r['role']:16}  {r['status']:14}  {r['passages']:>8}  {r['title']}")
    counts = {k: sum(r["status"] == k for r in rows) for k in ("indexed", "available", "not downloaded")}
    typer.echo(f"\n{counts['indexed']} indexed, {counts['available']} available (run `treaty index`), "
               f"{counts['not downloaded']} not downloaded")
