"""Where l2kit keeps its files: per-user data and cache dirs (overridable by env)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """``$L2KIT_DATA_DIR`` or the platform's user data dir (e.g. ~/.local/share/l2kit)."""
    return Path(os.environ.get("L2KIT_DATA_DIR") or platformdirs.user_data_dir("l2kit"))


def cache_dir() -> Path:
    """``$L2KIT_CACHE_DIR`` or the platform's user cache dir (e.g. ~/.cache/l2kit)."""
    return Path(os.environ.get("L2KIT_CACHE_DIR") or platformdirs.user_cache_dir("l2kit"))
