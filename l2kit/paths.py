"""Where l2kit keeps its files: per-user data and cache dirs (overridable by env), and every
default file location under them (one place, so the CLI and the library agree).

    <data dir>/regtest          the managed regtest node's datadir
    <data dir>/covenant         the local covenant committee (+ ``params.json``, regtest params)
    <data dir>/stakes.db        the stake tracker ($L2KIT_STAKE_DB)
    <data dir>/index.db         the staking indexer ($L2KIT_INDEX_DB)
    <data dir>/staker.key       the staker's secret key (hex, mode 0600)
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "L2KIT_DATA_DIR"
CACHE_DIR_ENV = "L2KIT_CACHE_DIR"
STAKE_DB_ENV = "L2KIT_STAKE_DB"
INDEX_DB_ENV = "L2KIT_INDEX_DB"
PARAMS_FILE = "params.json"
"""The regtest staking params a covenant committee directory holds (``covenant init``)."""


def data_dir() -> Path:
    """``$L2KIT_DATA_DIR`` or the platform's user data dir (e.g. ~/.local/share/l2kit)."""
    return Path(os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("l2kit"))


def cache_dir() -> Path:
    """``$L2KIT_CACHE_DIR`` or the platform's user cache dir (e.g. ~/.cache/l2kit)."""
    return Path(os.environ.get(CACHE_DIR_ENV) or platformdirs.user_cache_dir("l2kit"))


def regtest_datadir() -> Path:
    return data_dir() / "regtest"


def covenant_dir() -> Path:
    return data_dir() / "covenant"


def stake_db() -> Path:
    return Path(os.environ.get(STAKE_DB_ENV) or data_dir() / "stakes.db")


def index_db() -> Path:
    return Path(os.environ.get(INDEX_DB_ENV) or data_dir() / "index.db")


def staker_key() -> Path:
    return data_dir() / "staker.key"
