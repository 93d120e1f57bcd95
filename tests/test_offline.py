"""Offline by construction: index, search and ask run with every socket connection refused."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

REPO_QUESTIONS = REPO / "evals" / "questions.jsonl"

GUARD = '''
import socket
def _refuse(*args, **kwargs):
    raise RuntimeError("network access attempted: %r" % (args,))
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
'''


def test_index_search_ask_without_network(tmp_path, shared_corpus):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TREATY_", "HF_", "TRANSFORMERS_"))}
    env.update({"PYTHONPATH": str(site), "TREATY_DATA_DIR": str(tmp_path / "data")})
    small = tmp_path / "corpus"
    small.mkdir()
    (small / "udhr-1948.md").write_bytes((shared_corpus / "udhr-1948.md").read_bytes())
    for args in (["index", "--corpus-dir", str(small)], ["search", "privacy"], ["ask", "Who may not be held in slavery?"]):
        r = subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, (args, r.stderr)
        assert "network access attempted" not in r.stderr


# --- no packet from any code, native libraries included ---------------------------------------------

TUI_SESSION = '''
import asyncio, sys
from assistant.settings import Settings
from assistant.tui.app import ChatApp
from assistant.tui.widgets import QuestionInput

async def main():
    app = ChatApp(Settings())
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        box = app.screen.query_one(QuestionInput)
        box.focus()
        box.value = sys.argv[1]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        turn = app.chat.turns[-1]
        assert turn.state == "done" and turn.answer["citations"], turn.state
        print("answered with", len(turn.answer["citations"]), "citations")

asyncio.run(main())
'''
# onnxruntime's telemetry starts some seconds into a process's life (a 9 s index run made no lookup,
# a 40 s embedding loop made 12): a process that embeds for 45 s is where it would show.
LONG_EMBEDDING = '''
import time
import assistant
from assistant.index.embed import get_embedder

embedder, start = get_embedder("minilm-onnx"), time.monotonic()
while time.monotonic() - start < 45:
    embedder.embed(["Each Party shall adopt such legislative and other measures as may be necessary."] * 16)
'''
# A socket address of the internet families in strace's output: connect, sendto, sendmsg and
# sendmmsg all print the peer they write to.
INET = re.compile(r"sa_family=AF_INET6?\b")


def _traced(log: Path, *argv: str, env: dict) -> subprocess.CompletedProcess:
    """Run argv in a new, empty network namespace under strace, which sees every process and thread's
    system calls, native code's included (the Python-level guard above cannot see those)."""
    trace = ["strace", "--seccomp-bpf", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o", str(log)]
    return subprocess.run(["unshare", "--net", *trace, *argv], capture_output=True, text=True, env=env, timeout=900)


def test_no_internet_packet_from_index_ask_search_eval_or_chat(tmp_path, shared_corpus):
    """Two treaties are indexed, then a search, an answer, an evaluation, a chat session and a process
    that embeds for 45 s, each in an empty network namespace: no connect or send to an internet
    address from any code."""
    assert shutil.which("strace") and shutil.which("unshare"), "strace and unshare are needed (.ci/run installs them)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TREATY_", "HF_", "TRANSFORMERS_", "ORT_"))}
    # Two treaties (about 250 passages) are enough for the commands; the long-lived embedding below
    # gives native telemetry the time it needs to show.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("budapest-convention-2001.md", "iccpr-1966.md"):
        shutil.copy(shared_corpus / name, corpus / name)
    env.update({"TREATY_DATA_DIR": str(tmp_path / "data"), "TREATY_CORPUS_DIR": str(corpus)})
    questions = tmp_path / "synthetic-questions.jsonl"
    questions.write_text("\n".join(REPO_QUESTIONS.read_text().splitlines()[:4]) + "\n")
    treaty = [sys.executable, "-m", "assistant"]
    runs = {
        "index": [*treaty, "index"],
        "search": [*treaty, "search", "privacy"],
        "ask": [*treaty, "ask", "Does Article 21 of the Budapest Convention require judicial oversight?"],
        "eval": [*treaty, "eval", "--json", "--questions", str(questions)],
        "chat": [sys.executable, "-c", TUI_SESSION, "Can a State derogate from Article 18 of the ICCPR?"],
        "embedding for 45 s": [sys.executable, "-c", LONG_EMBEDDING],
    }
    for name, argv in runs.items():
        log = tmp_path / f"{name}.strace"
        r = _traced(log, *argv, env=env)
        assert r.returncode == 0, (name, r.stderr[-2000:])
        calls = log.read_text().splitlines()
        leaks = [line for line in calls if INET.search(line)]
        assert not leaks, f"{name}: {len(leaks)} internet connect/send calls, e.g. {leaks[0]}"


def test_the_trace_sees_a_lookup_made_in_native_code(tmp_path):
    """The check above is not blind: glibc's resolver (C code, not Python's socket module) trying to
    reach its name server shows up in the same trace."""
    log = tmp_path / "lookup.strace"
    _traced(log, sys.executable, "-c", "import socket\ntry: socket.getaddrinfo('example.org', 443)\nexcept OSError: pass",
            env=dict(os.environ))
    assert any(INET.search(line) for line in log.read_text().splitlines()), log.read_text()
