"""The signing policy without the CLI: roles, leaf checks, PSBT sign + finalize, prevouts,
and the one key-file reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.keys import seckey

from l2kit.btc import psbt as P
from l2kit.btc import tx as btx
from l2kit.btc.keys import read_seckey_file, xonly_of
from l2kit.btc.network import Network
from l2kit.btc.script import is_p2tr, is_p2wpkh, p2tr_script
from l2kit.btc.sign import schnorr_verify
from l2kit.errors import BadKey, InputError, TxRejected
from l2kit.staking import psbt_signing as ps
from l2kit.staking import signing
from l2kit.staking.scripts import parse_leaf, staking_info

STAKER, FP = seckey("psbt-signing-staker"), seckey("psbt-signing-fp")
COVS = [seckey(f"psbt-signing-cov{i}") for i in range(3)]
INFO = staking_info(
    xonly_of(STAKER), [xonly_of(FP)], [xonly_of(k) for k in COVS], 2, 10, 50_000, Network.REGTEST
)
TX = btx.new_tx(
    2, [(btx.OutPoint("ab" * 32, 1), 0xFFFFFFFF)], [(p2tr_script(b"\x03" * 32), 49_000)]
)
PREVOUTS = [(INFO.value, bytes(INFO.script_pubkey))]


def test_roles_in_each_leaf() -> None:
    leaf = parse_leaf(INFO.slashing_script)
    assert leaf is not None
    assert ps.signer_role(leaf, xonly_of(STAKER)) == "staker"
    assert ps.signer_role(leaf, xonly_of(FP)) == "finality-provider"
    assert ps.signer_role(leaf, xonly_of(COVS[2])) == "covenant"
    timelock = parse_leaf(INFO.timelock_script)
    assert timelock is not None
    with pytest.raises(BadKey, match="does not appear in this timelock leaf"):
        ps.signer_role(timelock, xonly_of(FP))


def test_sign_spend_matches_the_library_sighash() -> None:
    leaf = INFO.unbonding_script
    sig = ps.sign_spend(TX, STAKER, PREVOUTS, leaf, INFO.control_block(leaf))
    assert sig.role == "staker" and sig.signature is not None
    assert sig.sighash == signing.leaf_sighash(TX, INFO, leaf)
    assert schnorr_verify(INFO.staker, sig.sighash, sig.signature)
    with pytest.raises(InputError, match="covenant keys on the slashing leaf"):
        ps.sign_spend(TX, STAKER, PREVOUTS, leaf, encrypt_for=[xonly_of(FP).hex()])
    with pytest.raises(TxRejected, match="control block does not commit"):
        ps.sign_spend(TX, STAKER, PREVOUTS, leaf, INFO.control_block(INFO.timelock_script))
    with pytest.raises(TxRejected, match="not P2TR"):
        ps.sign_spend(TX, STAKER, [(1, b"\x00\x14" + b"\x01" * 20)], leaf, b"\xc0" * 33)


def test_psbt_quorum_then_finalize() -> None:
    leaf = INFO.unbonding_script
    staker = ps.sign_spend(TX, STAKER, PREVOUTS, leaf, INFO.control_block(leaf))
    psbt = P.from_psbt(ps.signed_spend_psbt(TX, PREVOUTS, leaf, INFO.control_block(leaf), staker))
    with pytest.raises(TxRejected, match="cannot be finalized"):
        ps.finalize_psbt(P.from_psbt(psbt.to_base64()))  # no covenant signature yet
    for key in COVS[:2]:
        signed = ps.sign_psbt(psbt, key)
        assert [(s.input_index, s.role) for s in signed] == [(0, "covenant")]
    with pytest.raises(BadKey, match="appears in no tapscript leaf"):
        ps.sign_psbt(psbt, seckey("psbt-signing-stranger"))
    final = ps.finalize_psbt(psbt)
    assert btx.txid_hex(final) == btx.txid_hex(TX) and len(btx.witness(final, 0)) > 3
    assert not psbt.inputs[0].tap_script_sigs  # BIP174 finalizer cleared what it replaced


@given(st.integers(0, 2**64), st.binary(max_size=40))
def test_prevout_round_trip(value: int, spk: bytes) -> None:
    assert ps.parse_prevouts([f"{value}:{spk.hex()}"], 1) == [(value, spk)]


@pytest.mark.parametrize("text", ["", "12", "x:00", "-1:00", "12:zz"])
def test_bad_prevouts_name_their_index(text: str) -> None:
    with pytest.raises(InputError) as exc:
        ps.parse_prevouts(["5:00", text], 2)
    assert exc.value.field == "prevout[1]"
    with pytest.raises(InputError, match="1 --prevout for 2 input"):
        ps.parse_prevouts(["5:00"], 2)


def test_output_shapes() -> None:
    assert is_p2tr(bytes(INFO.script_pubkey))
    assert not is_p2tr(b"\x51\x20" + b"\x01" * 31)
    assert not is_p2tr(b"\x00\x20" + b"\x01" * 32)
    assert is_p2wpkh(b"\x00\x14" + b"\x01" * 20) and not is_p2wpkh(b"\x00\x14" + b"\x01" * 21)
    assert not is_p2wpkh(b"\x51\x14" + b"\x01" * 20)


def test_one_key_file_reader_names_the_callers_field(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.write_text(STAKER.hex() + "\n")
    assert read_seckey_file(good, "fp-secret-file") == STAKER
    for content, rule in (
        ("zz" * 32, "does not hold a hex secret key"),
        ("ab" * 31, "must hold a 32-byte hex secret key"),
    ):
        bad = tmp_path / "bad"
        bad.write_text(content)
        with pytest.raises(InputError, match=rule) as exc:
            read_seckey_file(bad, "fp-secret-file")
        assert exc.value.field == "fp-secret-file" and content not in str(exc.value)
    zero = tmp_path / "zero"
    zero.write_text("00" * 32)
    with pytest.raises(BadKey):
        read_seckey_file(zero, "key-file")


def test_builder_terms_follow_the_params_version() -> None:
    from l2kit.errors import ParamsError
    from l2kit.staking import build_terms as terms
    from l2kit.staking.params import default_params

    p2 = default_params(Network.MAINNET).latest  # phase 2: slashing terms
    p1 = default_params(Network.SIGNET, phase=1).latest  # phase 1: a tag
    assert p2.has_slashing and p1.tag is not None
    assert terms.committee(p2, (), None) == (p2.covenant_pks, p2.covenant_quorum)
    with pytest.raises(InputError, match="give --covenant keys or --params"):
        terms.committee(None, (), 1)
    with pytest.raises(InputError, match="give --quorum or --params"):
        terms.committee(None, (xonly_of(COVS[0]),), None)
    assert terms.unbonding_terms(p2, None, None) == (p2.unbonding_time, p2.unbonding_fee)
    with pytest.raises(ParamsError):
        terms.unbonding_terms(p2, p2.unbonding_time + 1, None)
    t = terms.slashing_terms(p2, None, None, None, None)
    assert (t.pk_script, t.rate, t.change_time) == (
        p2.slashing_pk_script,
        p2.slashing_rate,
        p2.unbonding_time,
    )
    with pytest.raises(ParamsError, match="change timelock"):
        terms.slashing_terms(p2, None, None, None, p2.unbonding_time + 1)
    with pytest.raises(InputError, match="or phase-2 --params"):
        terms.slashing_terms(None, "51", "0.1", None, 10)
    staker, fp = xonly_of(STAKER), xonly_of(FP)
    assert p1.tag is not None and p1.tag in terms.v0_op_return(p1, None, staker, (fp,), 64)
    with pytest.raises(ParamsError, match="indexer would not see"):
        terms.v0_op_return(p1, "00000000", staker, (fp,), 64)
    with pytest.raises(InputError, match="names exactly one FP"):
        terms.v0_op_return(None, "01020304", staker, (fp, xonly_of(COVS[0])), 64)
