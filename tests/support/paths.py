"""Where the repository, the shared test data and the official vectors are, for every test
(one place instead of ``Path(__file__).parents[n]`` in each file)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
DATA = ROOT / "tests" / "data"  # golden renders, recorded monitor fixtures
VECTORS = ROOT / "tests" / "vectors" / "data"  # official vectors (BIP341, Babylon, adaptor)
SHARED = ROOT.parent / "shared"  # the team's shared fixtures and vectors, when present
