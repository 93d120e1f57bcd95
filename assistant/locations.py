"""Where things live: the shipped data, the user's data dir, the corpus folder for local copies."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

from . import shipped
from .errors import DataDirError

# Package data (assistant/shipped): the same paths in a checkout and in an installed wheel.
SHIPPED_CORPUS = shipped.corpus()
SOURCES_FILE = SHIPPED_CORPUS / "sources.toml"
EVALS_DIR = shipped.evals()
PROMPTS_DIR = shipped.prompts()
APP_NAME = "treaty-assistant"  # the folder under the user's data, config and cache dirs


def default_data_dir() -> Path:
    """The user's data dir (XDG_DATA_HOME on Linux, ~/.local/share by default)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """treaty.toml: `--config` / TREATY_CONFIG, else in the user's config dir."""
    explicit = os.environ.get("TREATY_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "treaty.toml"


def default_corpus_dir() -> Path | None:
    value = os.environ.get("TREATY_CORPUS_DIR")
    return Path(value) if value else None


def check_folder(data_dir: Path) -> None:
    """A data dir that is a file (or lies under one) is a mistake to report, not an empty index."""
    for p in (data_dir, *data_dir.parents):
        if p.exists():
            if not p.is_dir():
                raise DataDirError(f"{p} is a file, not a folder: choose another data dir with --data-dir or TREATY_DATA_DIR")
            return


def ensure_writable(folder: Path, what: str = "the data dir") -> None:
    """Create `folder` and prove it can be written, before work (embedding takes minutes) whose end
    would be the first write and fail there."""
    check_folder(folder)
    existed = folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        verb = "write" if existed else "create"
        raise DataDirError(f"cannot {verb} {what} {folder} ({reason}): choose another with --data-dir or TREATY_DATA_DIR") from None
