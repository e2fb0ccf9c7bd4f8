"""Golden manifests for every profile x network (`UPDATE_GOLDEN=1` rewrites them).

The goldens are rendered without ``--generate-secrets`` and are therefore deterministic.
Unsupported combinations (Babylon on testnet4, devnet off regtest) must be refused.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from l2kit.errors import InputError
from l2kit.render import manifests, profiles
from l2kit.render.build import build

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
COMBOS = [(p, n) for p in profiles.PROFILES for n in profiles.INIT_NETWORKS]


def _supported(profile: str, network: str) -> bool:
    try:
        profiles.check(profile, network)
    except InputError:
        return False
    return True


SUPPORTED = [c for c in COMBOS if _supported(*c)]
UNSUPPORTED = [c for c in COMBOS if not _supported(*c)]


@pytest.mark.parametrize(("profile", "network"), SUPPORTED, ids=[f"{p}-{n}" for p, n in SUPPORTED])
def test_golden(profile: str, network: str) -> None:
    text = manifests.to_stream(build(profiles.init_spec(profile, network)).objects)
    path = GOLDEN / f"{profile}-{network}.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert path.is_file(), f"{path.name} missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"{path.name} changed: review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize(("profile", "network"), UNSUPPORTED,
                         ids=[f"{p}-{n}" for p, n in UNSUPPORTED])
def test_unsupported_combination_is_refused(profile: str, network: str) -> None:
    with pytest.raises(InputError, match="--network"):
        profiles.init_spec(profile, network)


def test_every_profile_has_goldens_and_no_stale_files() -> None:
    assert {p for p, _ in SUPPORTED} == set(profiles.PROFILES)
    expected = {f"{p}-{n}.yaml" for p, n in SUPPORTED}
    assert {p.name for p in GOLDEN.glob("*.yaml")} <= expected
