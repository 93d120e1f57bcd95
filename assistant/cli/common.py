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
from ..safe_text import dumps, printable
from ..settings import Settings, load_settings

_state: dict = {"debug": False, "overrides": {}}


def configure(data_dir: Path | None, corpus_dir: Path | None, debug: bool) -> None:
    _state["debug"] = debug
    _state["overrides"] = {k: v for k, v in {"data_dir": data_dir, "corpus_dir": corpus_dir}.items() if v is not None}


DataDirOpt = Annotated[Optional[Path], typer.Option("--data-dir", help="index folder [env TREATY_DATA_DIR]")]
CorpusDirOpt = Annotated[Optional[Path], typer.Option("--corpus-dir", help="folder with local copies of registered documents [env TREATY_CORPUS_DIR]")]


def settings(data_dir: Path | None = None, corpus_dir: Path | None = None, check_corpus: bool = True, remember: bool = True,
             **sections) -> Settings:
    """Flags (global or on the command) over environment over defaults, and when none names a corpus
    folder, the one the index was built with (`remember=False`: none); `check_corpus=False` for
    commands that must work whatever the corpus folder (`config show`, to find a bad one)."""
    from ..library.documents import remembered

    overrides = dict(_state["overrides"])
    overrides.update({k: v for k, v in {"data_dir": data_dir, "corpus_dir": corpus_dir}.items() if v is not None})
    base = load_settings(**overrides)
    if check_corpus and base.corpus_dir is not None:
        check_corpus_dir(base.corpus_dir)
    if remember:
        base = remembered(base)
    for name, values in sections.items():
        values = {k: v for k, v in values.items() if v is not None}
        if values:
            setattr(base, name, getattr(base, name).model_copy(update=values))
    return base


def check_corpus_dir(path: Path) -> None:
    """A corpus folder that is not one, or holds none of the registered files, is a wrong path: indexing
    from it would drop every document it was meant to supply."""
    from ..library.catalogue import load_catalogue

    if not path.exists():
        fail(f"corpus folder {path} does not exist: pass an existing folder to --corpus-dir (or TREATY_CORPUS_DIR)", 2)
    if not path.is_dir():
        fail(f"{path} is a file, not a folder: give --corpus-dir (or TREATY_CORPUS_DIR) the folder that holds the documents", 2)
    names = [f for src in load_catalogue() for f in src.files]
    if not any((path / f).is_file() for f in names):
        fail(f"corpus folder {path} holds none of the registered documents' files (e.g. {names[0]}): check the path "
             "given to --corpus-dir or TREATY_CORPUS_DIR; nothing was changed", 2)


def warn_damaged_state(s: Settings) -> None:
    """Commands that only read go on from the index when the corpus state is damaged, and say so."""
    from ..library.state import read_state
    from ..errors import StateDamaged

    try:
        read_state(s)
    except StateDamaged as exc:
        typer.echo(f"warning: {exc.message}", err=True)


def fail(message: str, code: int = 1) -> None:
    echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def echo(text: str = "", **kw) -> None:
    """Print a line that may hold a document's words (a title, a heading, a passage): as text, never
    as control sequences."""
    typer.echo(printable(text), **kw)


def echo_json(obj, **kw) -> None:
    """Print JSON whose strings are exact, escaped where they could reach the terminal (`safe_text.dumps`)."""
    typer.echo(dumps(obj, **kw))


# What Typer's own checks of a value say (pydantic error types), in the words of our other messages.
_VALUE_PROBLEMS = {
    "int_parsing": "{input!r} is not an integer",
    "int_from_float": "{input!r} is not an integer",
    "float_parsing": "{input!r} is not a number",
    "bool_parsing": "{input!r} is not true or false",
    "greater_than_equal": "must be at least {ge}, not {input}",
    "greater_than": "must be more than {gt}, not {input}",
    "less_than_equal": "must be at most {le}, not {input}",
}


def usage_message(exc: Exception) -> str:
    """One line for a usage error that Typer found while parsing the command line, in place of its
    boxed usage panel: the command, the problem, where to read more."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "treaty"
    problem = _value_problem(exc) or " ".join(exc.format_message().split()).rstrip(".")
    possibilities = getattr(exc, "possibilities", None)
    if possibilities:  # NoSuchOption: Typer's "(Possible options: ...)" becomes a question
        problem = f"{exc.message.rstrip('.')}; did you mean {' or '.join(sorted(possibilities))}?"
    if problem.startswith("Got unexpected extra argument") and ctx is not None and ctx.command.name in ("ask", "search"):
        problem += ": put a question of several words in quotes"
    return f"{command}: {problem[:1].lower()}{problem[1:]} (see `{command} --help`)"


def _value_problem(exc: Exception) -> str | None:
    """Typer checks option values with pydantic; its message does not name the value given."""
    from pydantic import ValidationError

    cause = exc.__cause__
    param = getattr(exc, "param", None)
    if not isinstance(cause, ValidationError) or param is None:
        return None
    err = cause.errors()[0]
    template = _VALUE_PROBLEMS.get(err["type"])
    if template is None:
        return None
    return f"invalid value for {param.get_error_hint()}: " + template.format(input=err["input"], **err.get("ctx", {}))


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


def index_summary(report, s: Settings) -> str:
    if not report.changed:
        return f"index is up to date: {len(report.documents)} documents, {report.passages} passages ({s.data_dir})"
    return (f"indexed {len(report.documents)} documents, {report.passages} passages in {report.seconds:.1f} s "
            f"(embedded: {', '.join(report.embedded) or 'none'}; unchanged: {', '.join(report.reused) or 'none'}"
            + (f"; removed: {', '.join(report.removed)}" if report.removed else "") + f") -> {s.data_dir}")
