"""Babylon's Schnorr adaptor-signature vectors (every row of the three CSV files).

Source: babylonlabs-io/babylon crypto/schnorr-adaptor-signature/vectors/*.csv at a3b6540f3d79,
copied to /work/shared/vectors (provenance in its README) and here under tests/vectors/data/.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from l2kit.btc import adaptor
from l2kit.btc.sign import schnorr_verify
from l2kit.errors import InputError

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / f"adaptor-sig-{name}_vectors.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    # Row 2 of each file is a comment row with empty leading columns.
    assert rows[0]["index"] == ""
    return [r for r in rows if r["index"] != ""]


PRESIG = _rows("presig")
ADAPT = _rows("adapt")
SECADAPTOR = _rows("secadaptor")


def test_every_row_is_used() -> None:
    assert (len(PRESIG), len(ADAPT), len(SECADAPTOR)) == (15, 5, 4)


@pytest.mark.parametrize("row", PRESIG, ids=lambda r: f"presig-{r['index']}")
def test_presig(row: dict[str, str]) -> None:
    expected = row["result"] == "TRUE"
    presig = bytes.fromhex(row["pre-signature"])
    pubkey = bytes.fromhex(row["public key"])
    msg = bytes.fromhex(row["message"])
    adaptor_point = bytes.fromhex(row["adaptor"])
    if row["secret key"]:
        made = adaptor.encrypted_sign(
            bytes.fromhex(row["secret key"]), adaptor_point, msg, bytes.fromhex(row["aux_rand"])
        )
        assert made.serialize() == presig
    assert adaptor.encrypted_verify(pubkey, adaptor_point, msg, presig) is expected


@pytest.mark.parametrize("row", ADAPT, ids=lambda r: f"adapt-{r['index']}")
def test_adapt(row: dict[str, str]) -> None:
    expected = row["result"] == "TRUE"
    sig = adaptor.decrypt(bytes.fromhex(row["pre-signature"]), bytes.fromhex(row["secadaptor"]))
    assert sig == bytes.fromhex(row["BIP340 signature"])
    assert (
        schnorr_verify(bytes.fromhex(row["pubkey"]), bytes.fromhex(row["message"]), sig) is expected
    )


@pytest.mark.parametrize("row", SECADAPTOR, ids=lambda r: f"secadaptor-{r['index']}")
def test_extract(row: dict[str, str]) -> None:
    expected = row["result"] == "TRUE"
    try:
        secret = adaptor.extract(
            bytes.fromhex(row["pre-signature"]), bytes.fromhex(row["BIP340 signature"])
        )
    except InputError:
        secret = None
    assert (secret == bytes.fromhex(row["secadaptor"])) is expected
