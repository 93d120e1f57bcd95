"""The layout keeps its promises, checked by import-linter against the contracts in pyproject.toml: the
core is headless (no module outside `assistant.cli` and `assistant.tui` imports them), and the stage
packages import only the stages below them (ingest < index < library < retrieve < answer < facade)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def _lint() -> str:
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache", "--no-logo"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout, r.stdout
    return r.stdout


def test_the_core_never_imports_the_cli_or_the_tui():
    out = _lint()
    assert "The core never imports the CLI or the TUI KEPT" in out, out


def test_the_stages_import_only_the_stages_below_them():
    out = _lint()
    assert "The stages import only the stages below them KEPT" in out, out
