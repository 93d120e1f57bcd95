"""The layout keeps its promises: the core is headless (no module outside `assistant.cli` and
`assistant.tui` imports them, checked by import-linter against the contract in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def test_the_core_never_imports_the_cli_or_the_tui():
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache", "--no-logo"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "The core never imports the CLI or the TUI KEPT" in r.stdout and "0 broken" in r.stdout, r.stdout
