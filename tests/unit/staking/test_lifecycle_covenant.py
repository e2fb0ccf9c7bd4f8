"""Local covenant committee: key file handling and the signatures it gives."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from bitcoin.core import CMutableTransaction, COutPoint, CTxIn, CTxOut

from l2kit.btc.adaptor import (
    decrypt,
    decryption_key_for,
    encrypted_verify,
    encryption_key_from_xonly,
)
from l2kit.btc.keys import xonly_of
from l2kit.btc.sign import schnorr_verify
from l2kit.errors import InputError
from l2kit.staking.covenant import LocalCommittee, SpendContext, load_public


def _ctx() -> SpendContext:
    tx = CMutableTransaction(
        [CTxIn(COutPoint(b"\x01" * 32, 0), nSequence=0xFFFFFFFF)],
        [CTxOut(90_000, bytes.fromhex("5120" + "22" * 32))],
        nVersion=2,
    )
    return SpendContext(tx, 100_000, bytes.fromhex("5120" + "11" * 32), b"\x51")


def test_init_writes_0600_secret_and_public_file(tmp_path: Path) -> None:
    committee = LocalCommittee.create(tmp_path, members=3, quorum=2)
    mode = stat.S_IMODE(os.stat(tmp_path / "committee.json").st_mode)
    assert mode == 0o600
    assert "secret" not in repr(committee) and "quorum=2" in repr(committee)
    keys, quorum = load_public(tmp_path)
    assert keys == committee.public_keys() and quorum == 2
    assert LocalCommittee.load(tmp_path).public_keys() == keys
    with pytest.raises(InputError, match="exists"):
        LocalCommittee.create(tmp_path, members=3, quorum=2)
    with pytest.raises(InputError, match="quorum"):
        LocalCommittee.create(tmp_path / "x", members=2, quorum=3)


def test_signatures_verify(tmp_path: Path) -> None:
    committee = LocalCommittee.create(tmp_path, members=3, quorum=2)
    ctx = _ctx()
    msg = ctx.sighash()
    sigs = committee.sign_unbonding(ctx)
    assert set(sigs) == set(committee.public_keys())
    assert all(schnorr_verify(pk, msg, sig) for pk, sig in sigs.items())

    fp_secret = bytes.fromhex("07" * 32)
    fp = xonly_of(fp_secret)
    adaptor = committee.adaptor_sign_slashing(ctx, [fp])
    for (cov, fp_pk), pre in adaptor.items():
        assert fp_pk == fp and len(pre) == 65
        assert encrypted_verify(cov, encryption_key_from_xonly(fp), msg, pre)
        assert not schnorr_verify(cov, msg, pre[1:])  # useless before the FP key is known
        assert schnorr_verify(cov, msg, decrypt(pre, decryption_key_for(fp_secret)))
