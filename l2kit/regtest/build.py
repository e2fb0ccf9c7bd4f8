"""Find a usable ``bitcoind`` (>= 28), or build one into the per-version cache.

Search order of ``find_bitcoind``: the explicit ``--bitcoind`` path, ``$L2KIT_BITCOIND``,
``bitcoind`` on ``PATH`` if its ``-version`` is >= 28, then the cached build at
``<cache_dir>/bitcoin-core/<CORE_VERSION>/bin/bitcoind``. ``install`` runs the shipped
``regtest/build-bitcoind.sh``, which never rebuilds a complete install.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from l2kit import log, paths, resources
from l2kit.errors import BuildError, InputError

__all__ = [
    "CORE_VERSION",
    "MIN_MAJOR",
    "Install",
    "bitcoin_cli",
    "bitcoind_version",
    "cached_bin_dir",
    "find_bitcoind",
    "install",
]

_log = log.get(__name__)

# Must match CORE_VERSION in regtest/build-bitcoind.sh (a unit test checks it).
CORE_VERSION = "31.99.0-pbk0.1.0a5"
MIN_MAJOR = 28
_VERSION = re.compile(r"\bv(\d+)\.(\d+)(?:\.(\d+))?")
_SCRIPT = "build-bitcoind.sh"


@dataclass(frozen=True)
class Install:
    """A ready bitcoind install: where it is and whether ``install`` had to build it."""

    bin_dir: Path
    bitcoind: Path
    bitcoin_cli: Path
    cached: bool


def cached_bin_dir() -> Path:
    return paths.cache_dir() / "bitcoin-core" / CORE_VERSION / "bin"


def _cache_complete() -> bool:
    bin_dir = cached_bin_dir()
    return (
        (bin_dir.parent / ".complete").is_file()
        and os.access(bin_dir / "bitcoind", os.X_OK)
        and os.access(bin_dir / "bitcoin-cli", os.X_OK)
    )


def bitcoind_version(bitcoind: Path) -> tuple[int, int]:
    """(major, minor) from ``bitcoind -version``; BuildError if it cannot be run or read."""
    try:
        proc = subprocess.run(
            [str(bitcoind), "-version"], capture_output=True, text=True, timeout=20, check=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise BuildError(f"{bitcoind}: cannot run '-version': {exc}") from exc
    first = proc.stdout.splitlines()[0] if proc.stdout else ""
    match = _VERSION.search(first)
    if not match:
        raise BuildError(f"{bitcoind}: unrecognised version line {first!r}")
    return int(match.group(1)), int(match.group(2))


def _usable(path: Path, source: str) -> Path:
    if not path.is_file() or not os.access(path, os.X_OK):
        raise InputError(f"{path} is not an executable file", field=source)
    return path.resolve()


def find_bitcoind(explicit: str | Path | None = None) -> Path:
    """The bitcoind to run, in the documented search order."""
    if explicit:
        return _usable(Path(explicit).expanduser(), "--bitcoind")
    if env := os.environ.get("L2KIT_BITCOIND"):
        return _usable(Path(env).expanduser(), "L2KIT_BITCOIND")
    if on_path := shutil.which("bitcoind"):
        try:
            major, _ = bitcoind_version(Path(on_path))
        except BuildError as exc:
            _log.warning("ignoring bitcoind on PATH", path=on_path, reason=str(exc))
        else:
            if major >= MIN_MAJOR:
                return Path(on_path).resolve()
            _log.info("bitcoind on PATH is too old", path=on_path, major=major)
    if _cache_complete():
        return cached_bin_dir() / "bitcoind"
    raise BuildError(
        f"no bitcoind >= {MIN_MAJOR} found (--bitcoind, $L2KIT_BITCOIND, PATH, "
        f"{cached_bin_dir()}): run 'l2kit regtest install' (or 'make bitcoind') to build it"
    )


def bitcoin_cli(bitcoind: Path) -> Path:
    """The ``bitcoin-cli`` next to ``bitcoind``."""
    cli = bitcoind.with_name("bitcoin-cli")
    if not os.access(cli, os.X_OK):
        raise BuildError(f"no bitcoin-cli next to {bitcoind}")
    return cli


def install(progress: bool = True) -> Install:
    """Run ``build-bitcoind.sh`` (a no-op for a complete install); stream its progress."""
    script = resources.regtest_dir() / _SCRIPT
    env = {**os.environ, "L2KIT_CACHE_DIR": str(paths.cache_dir())}
    tail: collections.deque[str] = collections.deque(maxlen=30)
    try:
        proc = subprocess.Popen(
            ["bash", str(script)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
    except OSError as exc:
        raise BuildError(f"cannot run {script}: {exc}") from exc
    with proc:
        assert proc.stderr is not None and proc.stdout is not None  # set by PIPE
        for line in proc.stderr:
            tail.append(line.rstrip("\n"))
            if progress:
                sys.stderr.write(line)
                sys.stderr.flush()
        out = proc.stdout.read()
        code = proc.wait()
    if code != 0:
        raise BuildError(
            f"{script.name} failed (exit {code}):\n" + "\n".join(tail or ["(no output)"])
        )
    lines = out.strip().splitlines()
    bin_dir = Path(lines[-1]) if lines else cached_bin_dir()
    if not (bin_dir / "bitcoind").is_file():
        raise BuildError(f"{script.name} finished but {bin_dir}/bitcoind is missing")
    cached = any("cached:" in line for line in tail)
    return Install(bin_dir, bin_dir / "bitcoind", bin_dir / "bitcoin-cli", cached)
