"""Where QwenRAG keeps the user's things: never inside the installed program or bundle."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP_NAME = "QwenRAG"
LIBRARY_ENV = "QWENRAG_LIBRARY"
DATA_ENV = "QWENRAG_DATA_DIR"
CONFIG_ENV = "QWENRAG_CONFIG_DIR"


def data_dir() -> Path:
    """User data: the library and the models folder. QWENRAG_DATA_DIR overrides (tests, portable use)."""
    override = os.environ.get(DATA_ENV)
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else Path(user_config_dir(APP_NAME, appauthor=False))


def library_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--library DIR first, then QWENRAG_LIBRARY, then <data dir>/library."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env).expanduser()
    return data_dir() / "library"


def models_dir() -> Path:
    return data_dir() / "models"
