"""Where things live: the shipped corpus folder, the user's data dir, the corpus folder for local copies."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
# corpus/ and evals/ are top-level folders of the repository; the package is installed editable
# (`pip install -e .`), so they sit next to the package.
SHIPPED_CORPUS = REPO_ROOT / "corpus"
SOURCES_FILE = SHIPPED_CORPUS / "sources.toml"
EVALS_DIR = REPO_ROOT / "evals"
PROMPTS_DIR = REPO_ROOT / "prompts"


def default_data_dir() -> Path:
    # platformdirs' own logic, inlined to keep the one-shot CLI path free of another import.
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "treaty-assistant"


def config_file() -> Path:
    """treaty.toml: `--config` / TREATY_CONFIG, else in the user's config dir."""
    explicit = os.environ.get("TREATY_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "treaty-assistant" / "treaty.toml"


def default_corpus_dir() -> Path | None:
    value = os.environ.get("TREATY_CORPUS_DIR")
    return Path(value) if value else None
