"""`treaty`: index the corpus, search it, ask it, evaluate it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import render
from ..errors import UsageError
from .common import (
    CorpusDirOpt,
    DataDirOpt,
    configure,
    echo,
    echo_json,
    fail,
    handle_errors,
    index_summary,
    settings,
    usage_message,
    warn_damaged_state,
)
from .config import config_app
from .corpus_commands import corpus_app
from .provisions import safeguards
from .progress import bars

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Review a treaty text against human-rights law; every statement cites a passage.")
app.add_typer(corpus_app, name="corpus")
app.add_typer(config_app, name="config")
app.command("safeguards")(handle_errors(safeguards))

DocOpt = Annotated[Optional[list[str]], typer.Option("--doc", help="only this document id (repeatable)")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="extractive (default), llamacpp, ollama or openai [env TREATY_BACKEND]")]
RoleOpt = Annotated[Optional[list[str]], typer.Option("--role", help="only this role: submission, negotiating-text, instrument, comparator")]


@app.callback()
def main(
    data_dir: Annotated[Optional[Path], typer.Option(help="index folder [env TREATY_DATA_DIR]")] = None,
    corpus_dir: Annotated[Optional[Path], typer.Option(help="folder with local copies of registered documents [env TREATY_CORPUS_DIR]")] = None,
    config: Annotated[Optional[Path], typer.Option(help="settings file [env TREATY_CONFIG; default ~/.config/treaty-assistant/treaty.toml]")] = None,
    debug: Annotated[bool, typer.Option(help="show tracebacks")] = False,
) -> None:
    if config is not None:
        os.environ["TREATY_CONFIG"] = str(config)
    configure(data_dir, corpus_dir, debug)


@app.command()
@handle_errors
def index(rebuild: Annotated[bool, typer.Option(help="re-read and re-embed everything")] = False,
          forget_corpus_dir: Annotated[bool, typer.Option("--forget-corpus-dir", help="index without the corpus folder the index was built with (its documents leave the index)")] = False,
          data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Index every registered document that has a local copy (incremental and atomic); without
    --corpus-dir, from the corpus folder the index was built with."""
    from ..library.documents import reindex

    s = settings(data_dir, corpus_dir, remember=not forget_corpus_dir)
    if forget_corpus_dir and s.corpus_dir is not None:
        raise UsageError("--forget-corpus-dir indexes without a corpus folder: drop --corpus-dir (or TREATY_CORPUS_DIR)")
    with bars() as show:
        report = reindex(s, rebuild=rebuild, forget_corpus_dir=forget_corpus_dir, progress=show)
    echo(index_summary(report, s))


@app.command()
@handle_errors
def search(query: str, doc: DocOpt = None, role: RoleOpt = None,
           top: Annotated[int, typer.Option(min=1, help="passages to show")] = 10,
           as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
           explain: Annotated[bool, typer.Option("--explain", help="under each passage, every rule that moved its score: "
                                                 "stage, what matched, score change")] = False,
           data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Print ranked passages with locators and scores."""
    from ..answer.json_output import hit_json
    from ..facade import Assistant

    s = settings(data_dir, corpus_dir)
    assistant = Assistant.open(s)
    warn_damaged_state(s)
    result = assistant.search(query, doc, role, top)
    for note in assistant.check_filters(doc or [], role or []).notes:
        echo(f"note: {note}", err=True)
    if as_json:
        passages = [hit_json(i, h) for i, h in enumerate(result.hits, 1)]
        echo_json({"query": query, "passages": passages})
    else:
        typer.echo(render.hits(result.hits, explain=explain), nl=False)


@app.command()
@handle_errors
def ask(question: Annotated[Optional[str], typer.Argument(help="the question")] = None,
        doc: DocOpt = None, role: RoleOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
        batch: Annotated[Optional[Path], typer.Option(help="file with one question per line; prints JSON Lines")] = None,
        backend: BackendOpt = None,
        strict: Annotated[bool, typer.Option(help="drop generated sentences their citations do not support")] = False,
        fallback: Annotated[bool, typer.Option(help="answer extractively when the backend cannot be reached")] = False,
        data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Answer a question; every sentence ends with a citation [n]."""
    from ..answer.json_output import to_json
    from ..facade import Assistant

    if batch is None and question is None:
        fail("give a question, or --batch FILE", 2)
    if batch is not None and question is not None:
        fail(f"give a question or --batch FILE, not both: put the question in {batch} as a line of its own", 2)
    questions = _read_batch(batch) if batch else [question]
    s = settings(data_dir, corpus_dir, answer={"backend": backend})
    assistant = Assistant.open(s)
    warn_damaged_state(s)
    if batch:
        assistant.check_filters(doc or [], role or [])
        failed = 0
        for q in questions:
            try:
                obj = to_json(assistant.ask(q, doc, role, strict=strict, fallback=fallback))
            except UsageError as exc:  # one bad question keeps its place in the output
                obj, failed = {"question": q, "error": exc.message}, failed + 1
            echo_json(obj)
        if failed:
            raise typer.Exit(1)
        return
    if as_json or assistant.backend.name == "extractive":
        answer = assistant.ask(question, doc, role, strict=strict, fallback=fallback)
        if as_json:
            echo_json(to_json(answer), indent=1)
        else:
            typer.echo(render.answer(answer), nl=False)  # its strings made printable as it was rendered
        return
    # A written answer streams as the model writes it; verification follows when it is complete.
    stream = render.Stream()
    answer = assistant.ask(question, doc, role, strict=strict, fallback=fallback, on_token=stream.token)
    typer.echo(render.after_stream(answer, stream.started), nl=False)


def _read_batch(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # editors on Windows begin UTF-8 files with a BOM
    except FileNotFoundError:
        fail(f"{path}: file not found: give a text file with one question per line", 2)
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text: give a text file with one question per line", 2)
    if "\x00" in text:  # valid UTF-8 can still be binary: NUL is no character of a question
        fail(f"{path}: binary data, not text: give a text file with one question per line", 2)
    questions = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not questions:
        fail(f"{path}: no questions in the file: write one question per line", 2)
    return questions


@app.command("eval")
@handle_errors
def evaluate(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
             baseline: Annotated[bool, typer.Option(help="also run the textbook LangChain pipeline, side by side")] = False,
             questions: Annotated[Optional[Path], typer.Option(help="question set (JSON Lines)")] = None,
             check: Annotated[bool, typer.Option(help="exit 1 when a score falls below evals/thresholds.toml")] = False,
             backend: Annotated[Optional[str], typer.Option("--backend", help="also score answers written by this backend, beside the extractive ones")] = None,
             verdicts: Annotated[Optional[Path], typer.Option("--verdicts", help="yes/no question set with gold verdicts (JSON Lines; default: the shipped one)")] = None,
             data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Score retrieval, answers, verdicts and the safeguards matrix on the evaluation sets."""
    from ..evaluate import harness as ev

    s = settings(data_dir, corpus_dir)
    with bars() as show:
        report = ev.run(s, questions, baseline=baseline, backend=backend,
                        progress=lambda done, total: show("questions", done, total), verdicts_path=verdicts)
    echo(json.dumps(report, indent=1) if as_json else ev.format_report(report))  # the questions come from a file
    if check:
        failures = ev.check_thresholds(report)
        for f in failures:
            echo(f"below threshold: {f}", err=True)
        if failures:
            raise typer.Exit(1)


@app.command()
@handle_errors
def chat(resume: Annotated[bool, typer.Option("--resume", help="reopen the last saved session")] = False,
         doc: DocOpt = None, role: RoleOpt = None, backend: BackendOpt = None,
         strict: Annotated[bool, typer.Option(help="drop generated sentences their citations do not support")] = False,
         data_dir: DataDirOpt = None, corpus_dir: CorpusDirOpt = None) -> None:
    """Interactive review session in the terminal: ask, read the cited passages in context, export a memo."""
    from ..tui.app import run as run_chat  # Textual loads only for this command

    run_chat(settings(data_dir, corpus_dir), resume=resume, docs=doc, roles=role, backend=backend, strict=strict)


def run() -> None:
    """The entry point. Typer runs without its standalone mode so that a usage error it finds while
    parsing becomes one line here, not its boxed usage panel."""
    try:
        code = app(prog_name="treaty", standalone_mode=False)
    except typer.TyperException as exc:
        # Typer's NoArgsIsHelpError printed the help when it was raised: the help is the message.
        if type(exc).__name__ != "NoArgsIsHelpError":
            typer.echo(f"error: {usage_message(exc)}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted: nothing was changed", err=True)
        sys.exit(1)
    except SystemExit as exc:
        # Typer answers a closed pipe while it prints help (`treaty --help | head -1`) with exit 1.
        if isinstance(exc.__context__, BrokenPipeError):
            _quiet_stdout()
            sys.exit(0)
        raise
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)


def _quiet_stdout() -> None:
    """The reader went away: later writes and the flush at exit go nowhere, as other tools do."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
