"""Babylon leaf scripts, multisig builder, minimal number pushes and key parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l2kit.btc.keys import XOnlyPubKey, check_unique, parse_pubkey, xonly_of
from l2kit.btc.network import Network
from l2kit.btc.script import (
    OP_CHECKSEQUENCEVERIFY,
    OP_CHECKSIG,
    OP_CHECKSIGADD,
    OP_CHECKSIGVERIFY,
    OP_NUMEQUAL,
    OP_NUMEQUALVERIFY,
    decode,
    decode_num,
    encode_num,
    push_bytes,
    push_int,
    small_int,
    to_asm,
)
from l2kit.btc.taproot import verify_control_block
from l2kit.errors import BadKey, ScriptError
from l2kit.staking.scripts import (
    LeafKind,
    multisig_script,
    parse_leaf,
    slashing_change_info,
    slashing_script,
    staking_info,
    timelock_script,
    unbonding_info,
)

ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def key(i: int) -> XOnlyPubKey:
    return xonly_of(i.to_bytes(32, "big"))


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "hex_"),
    [
        (0, "00"),
        (1, "51"),
        (6, "56"),
        (16, "60"),
        (17, "0111"),
        (50, "0132"),
        (100, "0164"),
        (127, "017f"),
        (128, "028000"),
        (201, "02c900"),
        (1000, "02e803"),
        (1008, "02f003"),
        (10000, "021027"),
        (32767, "02ff7f"),
        (32768, "03008000"),
        (64000, "0300fa00"),
        (65535, "03ffff00"),
        (-1, "4f"),
    ],
)
def test_push_int_is_minimal_cscriptnum(n: int, hex_: str) -> None:
    assert push_int(n).hex() == hex_


@given(st.integers(min_value=-(2**39), max_value=2**39))
def test_scriptnum_roundtrip(n: int) -> None:
    assert decode_num(encode_num(n)) == n
    [op] = decode(push_int(n))
    assert (small_int(op) if n not in (0, -1) else None) in (n, None)


# --- keys --------------------------------------------------------------------------------------

G_X = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"


def test_parse_pubkey_forms() -> None:
    assert parse_pubkey("02" + G_X) == bytes.fromhex(G_X)
    assert parse_pubkey("03" + G_X) == bytes.fromhex(G_X)
    assert parse_pubkey(G_X) == bytes.fromhex(G_X)
    assert parse_pubkey(bytes.fromhex(G_X)) == bytes.fromhex(G_X)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("04" + G_X, "prefix"),
        ("zz", "hex"),
        ("02" + G_X[:-4], "33 bytes"),
        ("00" * 32, "curve"),
        ("ff" * 32, "curve"),
        ("02" + "00" * 32, "curve"),
    ],
)
def test_parse_pubkey_rejects_with_field(value: str, rule: str) -> None:
    with pytest.raises(BadKey, match=rule) as err:
        parse_pubkey(value, field="staker_public_key")
    assert err.value.field == "staker_public_key"
    assert str(err.value).startswith("staker_public_key: ")


def test_duplicates_across_roles_rejected() -> None:
    a, b, c = key(1), key(2), key(3)
    check_unique(a, [b], [c])
    with pytest.raises(BadKey) as err:
        check_unique(a, [b], [c, a])
    assert err.value.field == "covenants[1]"
    with pytest.raises(BadKey, match="duplicate"):
        staking_info(a, [b], [b, c], 1, 10, 1000, Network.REGTEST)


# --- scripts -----------------------------------------------------------------------------------


def test_timelock_script_bytes() -> None:
    s = timelock_script(key(1), 1000)
    assert s == b"\x20" + key(1) + bytes([OP_CHECKSIGVERIFY]) + b"\x02\xe8\x03" + bytes(
        [OP_CHECKSEQUENCEVERIFY]
    )
    assert [len(timelock_script(key(1), t)) for t in (1, 16, 17, 128, 32768, 65535)] == [
        36,
        36,
        37,
        38,
        39,
        39,
    ]


@pytest.mark.parametrize("blocks", [0, -1, 65536, True])
def test_timelock_out_of_range(blocks: int) -> None:
    with pytest.raises(ScriptError) as err:
        timelock_script(key(1), blocks, "staking_time")
    assert err.value.field == "staking_time"


def test_multisig_single_key_does_not_encode_k() -> None:
    assert multisig_script([key(1)], 1, verify=False) == b"\x20" + key(1) + bytes([OP_CHECKSIG])
    assert multisig_script([key(1)], 1, verify=True) == b"\x20" + key(1) + bytes(
        [OP_CHECKSIGVERIFY]
    )


def test_multisig_sorted_checksigadd_numequal() -> None:
    keys = [key(i) for i in (5, 1, 9)]
    s = multisig_script(keys, 2, verify=False)
    ordered = sorted(keys)
    assert s == (
        b"\x20"
        + ordered[0]
        + bytes([OP_CHECKSIG])
        + b"\x20"
        + ordered[1]
        + bytes([OP_CHECKSIGADD])
        + b"\x20"
        + ordered[2]
        + bytes([OP_CHECKSIGADD])
        + b"\x52"
        + bytes([OP_NUMEQUAL])
    )
    assert multisig_script(keys, 3, verify=True)[-2:] == b"\x53" + bytes([OP_NUMEQUALVERIFY])
    assert len(s) == 34 * 3 + 1 + 1


@pytest.mark.parametrize("k", [0, 4, -1])
def test_multisig_quorum_out_of_range(k: int) -> None:
    with pytest.raises(ScriptError, match=r"1\.\.3"):
        multisig_script([key(1), key(2), key(3)], k, verify=False)


def test_multisig_no_keys_and_duplicates() -> None:
    with pytest.raises(ScriptError):
        multisig_script([], 1, verify=False)
    with pytest.raises(BadKey):
        multisig_script([key(1), key(1)], 1, verify=False)


def test_slashing_with_several_fps_is_sorted_1_of_n_verify() -> None:
    s = slashing_script(key(1), [key(3), key(2)], [key(4)], 1)
    # ... <FPn> OP_CHECKSIGADD OP_1 OP_NUMEQUALVERIFY <cov> OP_CHECKSIG
    assert s[-34 - 3 : -34] == bytes([OP_CHECKSIGADD, 0x51, OP_NUMEQUALVERIFY])
    with pytest.raises(ScriptError):
        slashing_script(key(1), [], [key(4)], 1)


def test_asm() -> None:
    assert to_asm(timelock_script(key(1), 5)) == (
        f"{key(1).hex()} OP_CHECKSIGVERIFY OP_5 OP_CHECKSEQUENCEVERIFY"
    )


# --- properties ---------------------------------------------------------------------------------

secrets = st.integers(min_value=1, max_value=ORDER - 1)


@st.composite
def committees(draw: st.DrawFn) -> tuple[XOnlyPubKey, list[XOnlyPubKey], list[XOnlyPubKey], int]:
    ks = draw(st.lists(secrets, min_size=3, max_size=12, unique=True))
    keys = list(dict.fromkeys(key(k) for k in ks))  # k and n-k share an x coordinate
    if len(keys) < 3:
        keys = [key(1), key(2), key(3)]
    n_fp = draw(st.integers(min_value=1, max_value=len(keys) - 2))
    staker, fps, covs = keys[0], keys[1 : 1 + n_fp], keys[1 + n_fp :]
    quorum = draw(st.integers(min_value=1, max_value=len(covs)))
    return staker, fps, covs, quorum


times = st.integers(min_value=1, max_value=65535)


def _reencode(ops: list[int | bytes]) -> bytes:
    return b"".join(
        (push_bytes(op) if op else b"\x00") if isinstance(op, bytes) else bytes([op]) for op in ops
    )


@settings(max_examples=40, deadline=None)
@given(c=committees(), t=times, ut=times, value=st.integers(min_value=1, max_value=21 * 10**14))
def test_scripts_decode_back_and_control_blocks_verify(
    c: tuple[XOnlyPubKey, list[XOnlyPubKey], list[XOnlyPubKey], int], t: int, ut: int, value: int
) -> None:
    staker, fps, covs, quorum = c
    si = staking_info(staker, fps, covs, quorum, t, value, Network.REGTEST)
    tl = parse_leaf(si.timelock_script)
    assert tl is not None and tl.kind is LeafKind.TIMELOCK
    assert (tl.staker, tl.timelock) == (staker, t)
    ub = parse_leaf(si.unbonding_script)
    assert ub is not None and ub.kind is LeafKind.UNBONDING
    assert (set(ub.covenants), ub.quorum) == (set(covs), quorum)
    sl = parse_leaf(si.slashing_script)
    assert sl is not None and sl.kind is LeafKind.SLASHING
    assert (set(sl.fps), set(sl.covenants), sl.quorum) == (set(fps), set(covs), quorum)
    # every element decodes back into the bytes
    for leaf in si.output.leaves:
        assert _reencode(decode(leaf)) == leaf
        assert verify_control_block(si.output.output_key, leaf, si.control_block(leaf))
    ui = unbonding_info(staker, fps, covs, quorum, ut, value, Network.REGTEST)
    for leaf in ui.output.leaves:
        assert verify_control_block(ui.output.output_key, leaf, ui.control_block(leaf))
        assert len(ui.control_block(leaf)) == 65
    ch = slashing_change_info(staker, ut, net=Network.REGTEST)
    assert len(ch.control_block()) == 33
    assert verify_control_block(ch.output.output_key, ch.timelock_script, ch.control_block())
    assert ch.timelock_script == ui.timelock_script


@settings(max_examples=40, deadline=None)
@given(c=committees(), bad_q=st.integers(min_value=-5, max_value=40), t=st.integers())
def test_invalid_inputs_raise_typed_errors(
    c: tuple[XOnlyPubKey, list[XOnlyPubKey], list[XOnlyPubKey], int], bad_q: int, t: int
) -> None:
    staker, fps, covs, _ = c
    if not 1 <= bad_q <= len(covs):
        with pytest.raises(ScriptError) as err:
            staking_info(staker, fps, covs, bad_q, 10, 1000, Network.REGTEST)
        assert err.value.field == "covenant_quorum"
    if not 1 <= t <= 65535:
        with pytest.raises(ScriptError) as err:
            staking_info(staker, fps, covs, 1, t, 1000, Network.REGTEST)
        assert err.value.field == "staking_time"
    with pytest.raises(BadKey):
        staking_info(staker, fps, [*covs, staker], 1, 10, 1000, Network.REGTEST)


@given(st.binary(max_size=120))
def test_parse_leaf_never_crashes_on_garbage(data: bytes) -> None:
    leaf = parse_leaf(data)
    if leaf is not None:  # only exact re-encodings are recognised
        assert leaf.staker == data[1:33]
