"""Chroma as a server: `chroma run` on loopback, the index written through HttpClient, one collection
per generation, and the previous generation's collection dropped once a new one is current."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.index.build import build_index
from assistant.index.snapshot import index_root, read_manifest
from assistant.facade import Assistant
from assistant.library.documents import registry
from assistant.settings import Settings
from assistant.index.store import client, collection_name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("chroma run exited at start")
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not answer within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_index_and_query_through_a_chroma_server(tmp_path, shared_corpus, chroma_server):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(shared_corpus / "udhr-1948.md", corpus / "udhr-1948.md")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    settings.index = settings.index.model_copy(update={"chroma_url": chroma_server})
    settings.retrieval = settings.retrieval.model_copy(update={"dense": "chroma"})
    build_index(settings, registry(settings))
    first = read_manifest(index_root(settings))["generation"]
    hit = Assistant.open(settings).search("Who may be held in slavery?").hits[0].passage
    assert (hit.doc_id, hit.article) == ("udhr", "4")

    build_index(settings, registry(settings), rebuild=True)
    second = read_manifest(index_root(settings))["generation"]
    names = {c.name for c in client(tmp_path, chroma_server).list_collections()}
    assert collection_name(second) in names and collection_name(first) not in names
