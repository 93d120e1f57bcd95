"""State shared by the commands: settings built from flags over environment over defaults, and the one
place where errors become a single line on stderr with a non-zero exit."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import AssistantError
from ..settings import Settings, load_settings

_state: dict = {"debug": False, "overrides": {}}


def configure(data_dir: Path | None, corpus_dir: Path | None, debug: bool) -> None:
    _state["debug"] = debug
    _state["overrides"] = {k: v for k, v in {"data_dir": data_dir, "corpus_dir": corpus_dir}.items() if v is not None}


DataDirOpt = Annotated[Optional[Path], typer.Option("--data-dir", help="index folder [env TREATY_DATA_DIR]")]
CorpusDirOpt = Annotated[Optional[Path], typer.Option("--corpus-dir", help="folder with local copies of registered documents [env TREATY_CORPUS_DIR]")]


def settings(data_dir: Path | None = None, corpus_dir: Path | None = None, **sections) -> Settings:
    """Flags (global or on the command) over environment over defaults."""
    overrides = dict(_state["overrides"])
    overrides.update({k: v for k, v in {"data_dir": data_dir, "corpus_dir": corpus_dir}.items() if v is not None})
    if overrides.get("corpus_dir") is not None and not Path(overrides["corpus_dir"]).is_dir():
        fail(f"corpus folder {overrides['corpus_dir']} does not exist: pass an existing folder to --corpus-dir", 2)
    base = load_settings(**overrides)
    for name, values in sections.items():
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            setattr(base, name, getattr(base, name).model_copy(update=values))
    return base


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AssistantError as exc:
            if _state["debug"]:
                raise
            fail(exc.message, exc.exit_code)
        except BrokenPipeError:
            # the reader went away (`treaty search ... | head`): stop quietly, as other tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            typer.echo("interrupted: nothing was changed", err=True)
            raise typer.Exit(130)
        except OSError as exc:
            if _state["debug"]:
                raise
            fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''} (run with --debug for details)".rstrip(": "), 1)
    return wrapper


def use_colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def progress():
    """Indexing progress on stderr when it is a terminal; silent in pipes and scripts."""
    if not sys.stderr.isatty():
        return lambda stage, done, total: None
    state = {"last": ""}

    def show(stage: str, done: int, total: int) -> None:
        line = f"\r{stage}: {done}/{total}".ljust(60)
        if line != state["last"]:
            sys.stderr.write(line)
            sys.stderr.flush()
            state["last"] = line
        if stage == "store" and done == total:
            sys.stderr.write("\r" + " " * 60 + "\r")

    return show


def index_summary(report, s: Settings) -> str:
    if not report.changed:
        return f"index is up to date: {len(report.documents)} documents, {report.passages} passages ({s.data_dir})"
    return (f"indexed {len(report.documents)} documents, {report.passages} passages in {report.seconds:.1f} s "
            f"(embedded: {', '.join(report.embedded) or 'none'}; unchanged: {', '.join(report.reused) or 'none'}"
            + (f"; removed: {', '.join(report.removed)}" if report.removed else "") + f") -> {s.data_dir}")
