"""The real `treaty chat` in a real terminal: tmux runs `python -m assistant chat` over the session
index, the Article 73 question is typed with send-keys, and the answer is read back with
capture-pane. tmux is required (CI installs it: `apt-get install -y tmux`); without it this test
fails rather than skips, so a missing install step shows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import REPO

QUESTION = "Does Article 73 require judicial oversight?"


def _wait_for(tmux, predicate, timeout: float) -> str:
    """Poll the screen until `predicate(screen)` holds; the last screen either way."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "chat").stdout
        if predicate(screen):
            return screen
        time.sleep(0.25)
    return screen


def test_chat_in_tmux(built, tmp_path):
    binary = shutil.which("tmux")
    if binary is None:
        pytest.fail("tmux is not installed: apt-get install -y tmux (the CI image installs it)")
    data = tmp_path / "data"
    data.mkdir()
    # The session index, read through a data dir of this test's own (the session file lands here).
    (data / "index").symlink_to(built.data_dir / "index", target_is_directory=True)
    socket = f"treaty-chat-test-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TREATY_") and k != "TMUX"}
    env.update({"TREATY_DATA_DIR": str(data), "TREATY_CORPUS_DIR": str(built.corpus_dir), "TERM": "xterm-256color"})

    def tmux(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary, "-L", socket, "-f", "/dev/null", *args], capture_output=True, text=True,
                              env=env, timeout=30)

    command = f"cd {REPO} && exec {sys.executable} -m assistant chat"
    started = tmux("new-session", "-d", "-s", "chat", "-x", "120", "-y", "36",
                   "-e", f"TREATY_DATA_DIR={data}", "-e", f"TREATY_CORPUS_DIR={built.corpus_dir}", command)
    assert started.returncode == 0, started.stderr
    try:
        tmux("set-option", "-t", "chat", "remain-on-exit", "on")
        screen = _wait_for(tmux, lambda s: "Ready" in s, 60)
        assert "Ready" in screen, f"the app did not open the index:\n{screen}"
        tmux("send-keys", "-t", "chat", "-l", QUESTION)
        tmux("send-keys", "-t", "chat", "Enter")
        screen = _wait_for(tmux, lambda s: "[1]" in s and "Multiple investigatory powers" in s, 60)
        assert "[1]" in screen and "Multiple investigatory powers" in screen, screen
        assert "Traceback" not in screen
        tmux("send-keys", "-t", "chat", "C-q")
        deadline, dead = time.monotonic() + 20, []
        while time.monotonic() < deadline:
            dead = tmux("display-message", "-p", "-t", "chat", "#{pane_dead} #{pane_dead_status}").stdout.split()
            if dead[:1] == ["1"]:
                break
            time.sleep(0.2)
        assert dead[:2] == ["1", "0"], f"the app did not quit cleanly with ctrl+q: {dead}"
    finally:
        tmux("kill-server")
    saved = list((data / "sessions").glob("session-*.json"))
    assert len(saved) == 1 and QUESTION in saved[0].read_text()
