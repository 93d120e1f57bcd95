"""Offline by construction: index, search and ask run with every socket connection refused."""

from __future__ import annotations

import os
import subprocess
import sys

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
