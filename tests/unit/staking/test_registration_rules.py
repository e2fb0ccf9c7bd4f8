"""Every Babylon chain rule on ``MsgCreateBTCDelegation`` (babylon@v4.2.7): one valid
registration, then one test per rule that breaks exactly that rule and sees the refusal."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2kit.babylon.address import BabylonAddress
from l2kit.babylon.proto import (
    BtcSigType,
    CreateDelegation,
    InclusionProof,
    Pop,
    decode_create_delegation,
)
from l2kit.btc import tx as btx
from l2kit.btc.keys import XOnlyPubKey, xonly_of
from l2kit.btc.network import Network
from l2kit.errors import ChainRuleError
from l2kit.staking.inclusion import build_inclusion_proof, merkle_root, verify_inclusion
from l2kit.staking.params import regtest_params
from l2kit.staking.params_model import ParamsSet, StakingParams
from l2kit.staking.pop import PopType, sign_pop
from l2kit.staking.registration import (
    ChainFacts,
    Flow,
    Registration,
    build_add_inclusion_proof,
    build_registration,
    check_registration,
)
from l2kit.staking.registration_rules import RULES, check_create_delegation
from l2kit.staking.scripts import slashing_change_info, staking_info, unbonding_info
from l2kit.staking.signing import sign_staker
from l2kit.staking.transactions import build_slashing_tx

NET = Network.REGTEST
SK = bytes.fromhex("0b" * 32)
FP = xonly_of(bytes.fromhex("07" * 32))
FP2 = xonly_of(bytes.fromhex("08" * 32))
COVS = [xonly_of(bytes([i]) * 32) for i in (1, 2, 3)]
PARAMS = regtest_params(COVS, 2)
PSET = ParamsSet([PARAMS])
STAKER = BabylonAddress.from_account(b"\x42" * 20)
VALUE, TIME = 200_000, 100
TIP = 150


def _staking_tx() -> btx.CTransaction:
    info = staking_info(xonly_of(SK), [FP], COVS, 2, TIME, VALUE, NET)
    return btx.new_tx(
        2,
        [(btx.OutPoint("ab" * 32, 1), 0xFFFFFFFD)],
        [(b"\x00\x14" + b"\x01" * 20, 70_000), (bytes(info.script_pubkey), VALUE)],
    )


def _register(facts: ChainFacts | None = None, **kw: Any) -> Registration:
    return build_registration(
        staker_seckey=SK,
        staker=STAKER,
        fp_pks=[FP],
        staking_tx=kw.pop("tx", _staking_tx()),
        staking_time=TIME,
        staking_value=VALUE,
        params=PSET,
        net=NET,
        facts=facts or ChainFacts(btc_tip_height=TIP),
        **kw,
    )


BASE = _register()


def _refused(
    rule: str, msg: CreateDelegation, p: StakingParams = PARAMS, facts: ChainFacts | None = None
) -> None:
    with pytest.raises(ChainRuleError) as err:
        check_create_delegation(msg, p, NET, facts or ChainFacts(btc_tip_height=TIP))
    assert err.value.rule == rule, str(err.value)
    assert rule in RULES


def _m(**over: Any) -> CreateDelegation:
    return dataclasses.replace(BASE.msg, **over)


def _tx(raw: bytes) -> btx.CMutableTransaction:
    return btx.parse(raw)


def _retx(raw: bytes, edit: Callable[[Any], None]) -> bytes:
    tx = _tx(raw)
    edit(tx)
    return btx.serialize(tx, witness=False)


def test_the_valid_registration_decodes_and_passes() -> None:
    assert BASE.flow is Flow.PRE_STAKING
    again = check_registration(BASE.msg_bytes, PSET, NET, ChainFacts(btc_tip_height=TIP))
    assert again.msg == BASE.msg == decode_create_delegation(BASE.msg_bytes)
    assert BASE.checked.staking_vout == 1
    assert BASE.to_json()["type_url"] == "/babylon.btcstaking.v1.MsgCreateBTCDelegation"
    for kind in PopType:
        assert _register(pop_type=kind).msg.pop.btc_sig_type == kind.sig_type


# --- 1 parseCreateDelegationMessage --------------------------------------------------------------


def test_parse_tx() -> None:
    _refused("parse.tx", _m(staking_tx=b"\x02\x00"))
    _refused("parse.tx", _m(unbonding_slashing_tx=b""))


def test_parse_time() -> None:
    _refused("parse.time", _m(staking_time=65536))
    _refused("parse.time", _m(unbonding_time=70000))


def test_parse_staker_addr() -> None:
    _refused("parse.staker_addr", _m(staker_addr=STAKER.text[:-1] + "x"))
    _refused(
        "parse.staker_addr",
        _m(staker_addr=BabylonAddress.from_account(b"\x01" * 20, "cosmos").text),
    )


def test_parse_pop() -> None:
    _refused("parse.pop", _m(pop=Pop(BtcSigType.BIP340, b"")))
    _refused("parse.pop", _m(pop=Pop(BtcSigType.BIP340, b"\x01" * 63)))
    _refused("parse.pop", _m(pop=Pop(BtcSigType.ECDSA, b"\x1f" * 64)))
    _refused("parse.pop", _m(pop=Pop(BtcSigType.BIP322, b"\xff\xff")))


def test_parse_sig() -> None:
    _refused("parse.sig", _m(delegator_slashing_sig=b"\x01" * 63))
    _refused("parse.sig", _m(delegator_unbonding_slashing_sig=b"\xff" * 64))  # r >= p


def test_parse_fp_keys_duplicate_and_count() -> None:
    _refused("parse.fp_keys", _m(fp_btc_pk_list=()))
    _refused("parse.fp_keys", _m(fp_btc_pk_list=(b"\xff" * 32,)))
    _refused("parse.fp_duplicate", _m(fp_btc_pk_list=(FP, FP)))
    _refused("parse.fp_count", _m(fp_btc_pk_list=(FP, FP2)))  # exactly one FP on v4


def test_parse_staker_pk_and_values() -> None:
    _refused("parse.staker_pk", _m(btc_pk=b"\xff" * 32))
    _refused("parse.value", _m(staking_value=-1))
    _refused("parse.value", _m(unbonding_value=-5))


def test_parse_inclusion_proof() -> None:
    _refused(
        "parse.inclusion_proof",
        _m(staking_tx_inclusion_proof=InclusionProof(1, b"\x01" * 31, b"\x02" * 32)),
    )
    _refused(
        "parse.inclusion_proof", _m(staking_tx_inclusion_proof=InclusionProof(1, b"\x01" * 32, b""))
    )


# --- 2 PoP -------------------------------------------------------------------------------------


def test_pop_verify() -> None:
    other = BabylonAddress.from_account(b"\x43" * 20)
    _refused("pop.verify", _m(pop=sign_pop(SK, other, NET)))
    _refused("pop.verify", _m(pop=sign_pop(bytes.fromhex("0c" * 32), STAKER, NET)))


# --- 3 flow: pre-staking trap and post-staking inclusion --------------------------------------


def test_prestaking_tx_already_in_a_block_is_refused() -> None:
    _refused(
        "prestaking.included",
        BASE.msg,
        facts=ChainFacts(btc_tip_height=TIP, staking_tx_confirmations=1),
    )
    with pytest.raises(ChainRuleError, match=r"prestaking\.included"):
        _register(ChainFacts(btc_tip_height=TIP, staking_tx_confirmations=3))


def _block(staking: btx.CTransaction, first: bool = False) -> tuple[InclusionProof, bytes]:
    coinbase = btx.new_tx(1, [(btx.OutPoint("00" * 32, 0), 0)], [(b"\x51", 1)])
    txids = [btx.txid_hex(t) for t in ((staking, coinbase) if first else (coinbase, staking))]
    txids += [f"{i:064x}" for i in range(3)]
    proof = build_inclusion_proof("cd" * 32, txids, btx.txid_hex(staking))
    return proof, merkle_root([bytes.fromhex(t)[::-1] for t in txids])


def _post(
    height: int = 100, tip: int = 110, k: int = 5, first: bool = False
) -> tuple[Registration | None, ChainFacts, InclusionProof]:
    proof, root = _block(_staking_tx(), first)
    facts = ChainFacts(
        btc_tip_height=tip,
        confirmation_depth=k,
        inclusion_height=height,
        inclusion_merkle_root=root,
    )
    try:
        return _register(facts, inclusion=proof), facts, proof
    except ChainRuleError:
        return None, facts, proof


def test_post_staking_registration_passes() -> None:
    reg, _, _ = _post()
    assert reg is not None and reg.flow is Flow.POST_STAKING
    assert reg.msg.staking_tx_inclusion_proof is not None


def test_inclusion_merkle() -> None:
    reg, facts, proof = _post()
    assert reg is not None
    _refused(
        "inclusion.merkle",
        reg.msg,
        facts=dataclasses.replace(facts, inclusion_merkle_root=b"\x00" * 32),
    )
    bad = dataclasses.replace(proof, index=proof.index + 1)
    _refused("inclusion.merkle", _m(staking_tx_inclusion_proof=bad), facts=facts)


def test_inclusion_coinbase_depth_and_timelock() -> None:
    _, facts, proof = _post(first=True)  # the staking tx sits at index 0
    _refused("inclusion.coinbase", _m(staking_tx_inclusion_proof=proof), facts=facts)
    _, facts, proof = _post(height=100, tip=104, k=5)
    _refused("inclusion.depth", _m(staking_tx_inclusion_proof=proof), facts=facts)
    # tip + unbonding_time (5) >= height + staking_time (100)
    _, facts, proof = _post(height=100, tip=195, k=5)
    _refused("inclusion.timelock", _m(staking_tx_inclusion_proof=proof), facts=facts)


def test_params_version_by_tip_or_inclusion_height() -> None:
    later = PARAMS.model_copy(
        update={"version": 1, "activation_height": 1000, "unbonding_fee": 2000}
    )
    two = ParamsSet([PARAMS, later])
    assert (
        check_registration(BASE.msg_bytes, two, NET, ChainFacts(btc_tip_height=999)).params.version
        == 0
    )
    # at tip 1000 the chain picks v1, whose unbonding fee the message does not pay
    with pytest.raises(ChainRuleError, match="unbonding_fee"):
        check_registration(BASE.msg_bytes, two, NET, ChainFacts(btc_tip_height=1000))
    late = ParamsSet([PARAMS.model_copy(update={"activation_height": 500})])
    with pytest.raises(ChainRuleError) as err:
        check_registration(BASE.msg_bytes, late, NET, ChainFacts(btc_tip_height=TIP))
    assert err.value.rule == "params.version"


# --- 4 ValidateParsedMessageAgainstTheParams ----------------------------------------------------


def test_unbonding_time_must_equal_the_param() -> None:
    _refused("unbonding_time", _m(unbonding_time=PARAMS.unbonding_time + 1))


def test_staking_output_must_be_found_exactly_once() -> None:
    _refused("staking_output", _m(staking_value=VALUE + 1))
    _refused("staking_output", _m(staking_time=TIME + 1))
    twice = _retx(BASE.msg.staking_tx, lambda t: t.vout.append(t.vout[1]))
    _refused("staking_output", _m(staking_tx=twice))
    _refused("staking_output", _m(fp_btc_pk_list=(COVS[0],)))  # FP = a covenant key: no info


def test_staking_time_and_value_bounds() -> None:
    _refused("staking_time", BASE.msg, PARAMS.model_copy(update={"min_staking_time": TIME + 1}))
    _refused("staking_time", BASE.msg, PARAMS.model_copy(update={"max_staking_time": TIME - 1}))
    _refused("staking_value", BASE.msg, PARAMS.model_copy(update={"min_staking_amount": VALUE + 1}))
    _refused("staking_value", BASE.msg, PARAMS.model_copy(update={"max_staking_amount": VALUE - 1}))


def _cut_slash(t: Any) -> None:
    t.vout[0].nValue = 1


def test_slashing_tx_rules() -> None:
    _refused("slashing_tx", _m(slashing_tx=_retx(BASE.msg.slashing_tx, _cut_slash)))
    _refused("slashing_tx", BASE.msg, PARAMS.model_copy(update={"min_slashing_tx_fee_sat": 10**6}))
    _refused("slashing_tx", BASE.msg, PARAMS.model_copy(update={"slashing_pk_script": b"\x6a"}))

    def other_input(t: Any) -> None:
        t.vin[0].prevout.n = 0

    _refused("slashing_tx", _m(slashing_tx=_retx(BASE.msg.slashing_tx, other_input)))


def _flip(sig: bytes) -> bytes:
    return sig[:40] + bytes([sig[40] ^ 1]) + sig[41:]


def test_slashing_sigs_must_verify() -> None:
    _refused("slashing_sig", _m(delegator_slashing_sig=_flip(BASE.msg.delegator_slashing_sig)))
    _refused(
        "unbonding_slashing_sig",
        _m(delegator_unbonding_slashing_sig=_flip(BASE.msg.delegator_unbonding_slashing_sig)),
    )


def _with_unbonding(unbonding: btx.CTransaction, unbonding_value: int) -> CreateDelegation:
    """The message with another unbonding tx, its slashing tx rebuilt and re-signed, so that
    only the unbonding rules can refuse it."""
    staker = XOnlyPubKey(xonly_of(SK))
    unb = unbonding_info(staker, [FP], COVS, 2, PARAMS.unbonding_time, unbonding_value, NET)
    change = slashing_change_info(staker, PARAMS.unbonding_time, 0, NET)
    assert PARAMS.slashing_pk_script and PARAMS.slashing_rate and PARAMS.min_slashing_tx_fee_sat
    slash = build_slashing_tx(
        btx.OutPoint(btx.txid_hex(unbonding), 0),
        unbonding_value,
        PARAMS.slashing_pk_script,
        PARAMS.slashing_rate,
        PARAMS.min_slashing_tx_fee_sat,
        change,
    )
    return _m(
        unbonding_tx=btx.serialize(unbonding, witness=False),
        unbonding_value=unbonding_value,
        unbonding_slashing_tx=btx.serialize(slash, witness=False),
        delegator_unbonding_slashing_sig=sign_staker(SK, slash, unb, unb.slashing_script),
    )


def _unbonding(outpoint: btx.OutPoint, value: int, seq: int = 0xFFFFFFFF) -> btx.CTransaction:
    unb = unbonding_info(xonly_of(SK), [FP], COVS, 2, PARAMS.unbonding_time, value, NET)
    tx = btx.new_tx(2, [(outpoint, seq)], [(bytes(unb.script_pubkey), value)])
    return tx


def test_the_rebuild_helper_alone_passes() -> None:
    staking_op = btx.OutPoint(BASE.staking_txid, 1)
    value = VALUE - PARAMS.unbonding_fee
    check_create_delegation(
        _with_unbonding(_unbonding(staking_op, value), value),
        PARAMS,
        NET,
        ChainFacts(btc_tip_height=TIP),
    )


def test_unbonding_tx_must_be_presigned_shape() -> None:
    staking_op = btx.OutPoint(BASE.staking_txid, 1)
    value = VALUE - PARAMS.unbonding_fee
    _refused("unbonding_tx", _with_unbonding(_unbonding(staking_op, value, seq=0xFFFFFFFE), value))
    v1 = _unbonding(staking_op, value)
    v1.nVersion = 1
    _refused("unbonding_tx", _with_unbonding(v1, value))


def test_unbonding_output_script_and_value() -> None:
    value = VALUE - PARAMS.unbonding_fee
    _refused("unbonding_output", _m(unbonding_value=value - 1))
    wrong = _retx(BASE.msg.unbonding_tx, lambda t: setattr(t.vout[0], "nValue", value - 1))
    _refused("unbonding_output", _m(unbonding_tx=wrong))


def test_unbonding_slashing_tx_rules() -> None:
    _refused(
        "unbonding_slashing_tx",
        _m(unbonding_slashing_tx=_retx(BASE.msg.unbonding_slashing_tx, _cut_slash)),
    )


def test_unbonding_must_spend_the_staking_output() -> None:
    value = VALUE - PARAMS.unbonding_fee
    _refused(
        "unbonding_input", _with_unbonding(_unbonding(btx.OutPoint("ef" * 32, 1), value), value)
    )
    _refused(
        "unbonding_input",
        _with_unbonding(_unbonding(btx.OutPoint(BASE.staking_txid, 0), value), value),
    )


def test_unbonding_fee_positive_and_equal_to_the_param() -> None:
    staking_op = btx.OutPoint(BASE.staking_txid, 1)
    _refused("unbonding_fee", _with_unbonding(_unbonding(staking_op, VALUE), VALUE))
    _refused("unbonding_fee", BASE.msg, PARAMS.model_copy(update={"unbonding_fee": 999}))


def test_every_rule_has_a_test() -> None:
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    for rule in RULES:
        assert f'"{rule}"' in source, rule


# --- MsgAddBTCDelegationInclusionProof ----------------------------------------------------------


def test_add_inclusion_proof_for_a_pre_registered_stake() -> None:
    proof, root = _block(BASE.checked.staking_tx)
    facts = ChainFacts(
        btc_tip_height=110, confirmation_depth=5, inclusion_height=100, inclusion_merkle_root=root
    )
    msg, raw = build_add_inclusion_proof(
        STAKER,
        BASE.checked.staking_tx,
        proof,
        staking_time=TIME,
        unbonding_time=5,
        facts=facts,
        registered_tip_height=TIP - 60,
    )
    assert msg.staking_tx_hash == BASE.staking_txid and raw
    with pytest.raises(ChainRuleError) as err:  # included below the tip recorded at registration
        build_add_inclusion_proof(
            STAKER,
            BASE.checked.staking_tx,
            proof,
            staking_time=TIME,
            unbonding_time=5,
            facts=facts,
            registered_tip_height=TIP,
        )
    assert err.value.rule == "inclusion.too_early"


@given(
    st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True), st.data()
)
def test_merkle_proofs_verify_for_every_position(txids: list[bytes], data: st.DataObject) -> None:
    from l2kit.staking.inclusion import merkle_branch

    index = data.draw(st.integers(0, len(txids) - 1))
    root, branch = merkle_root(txids), b"".join(merkle_branch(txids, index))
    assert verify_inclusion(txids[index], root, branch, index)
    if branch[:32] != txids[index]:  # an odd last tx pairs with itself (CVE-2012-2459 shape)
        assert not verify_inclusion(txids[index], root, branch, index ^ 1)
    if branch:
        assert not verify_inclusion(
            txids[index], root, branch[:-1] + bytes([branch[-1] ^ 1]), index
        )


@settings(max_examples=25, deadline=None)
@given(
    st.integers(PARAMS.min_staking_amount + 50_000, 10**8),
    st.integers(PARAMS.min_staking_time, 0xFFFF),
    st.sampled_from(list(PopType)),
    st.binary(min_size=20, max_size=20),
)
def test_builder_output_always_passes_the_chain_rules(
    value: int, time: int, kind: PopType, account: bytes
) -> None:
    staker = BabylonAddress.from_account(account)
    info = staking_info(xonly_of(SK), [FP], COVS, 2, time, value, NET)
    tx = btx.new_tx(
        2, [(btx.OutPoint("ab" * 32, 0), 0xFFFFFFFD)], [(bytes(info.script_pubkey), value)]
    )
    reg = build_registration(
        staker_seckey=SK,
        staker=staker,
        fp_pks=[FP],
        staking_tx=tx,
        staking_time=time,
        staking_value=value,
        params=PSET,
        net=NET,
        facts=ChainFacts(btc_tip_height=TIP),
        pop_type=kind,
    )
    msg = decode_create_delegation(reg.msg_bytes)
    assert msg == reg.msg and msg.staker_addr == staker.text
    assert msg.unbonding_value == value - PARAMS.unbonding_fee
    assert reg.checked.unbonding_tx.vin[0].prevout.hash == tx.GetTxid()
