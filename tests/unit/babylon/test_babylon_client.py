"""The Babylon REST client against the simulated chain over real HTTP on 127.0.0.1: account,
simulate, broadcast, inclusion; the ante checks (signature, account number, sequence, fee);
malformed answers → one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from support.paths import DATA

from l2kit.babylon import cosmos_tx as ct
from l2kit.babylon.client import BabylonClient
from l2kit.babylon.devchain import DevChain
from l2kit.errors import (
    BabylonBadResponse,
    BabylonError,
    BabylonNotFound,
    BabylonTxFailed,
    BabylonUnreachable,
)

SK = bytes.fromhex("22" * 32)
ADDR = ct.account_address(ct.public_key(SK))
MSG = "/l2kit.test.Noop"  # a message type installed by this test only


@pytest.fixture
def chain() -> Iterator[DevChain]:
    with DevChain(chain_id="bbn-devnet-1", block_time=3600) as c:
        c.state.handlers[MSG] = lambda signer, value, deliver: 1000 + len(value)
        c.fund(ct.account_address(ct.public_key(bytes.fromhex("33" * 32))), 1)  # account no. 1
        c.fund(ADDR, 5_000_000)
        yield c


@pytest.fixture
def client(chain: DevChain) -> Iterator[BabylonClient]:
    with BabylonClient(chain.url, retry_for=0) as c:
        yield c


def _tx(
    client: BabylonClient,
    *,
    gas: int = 200_000,
    fee: int = 400,
    chain_id: str = "bbn-devnet-1",
    account_number: int | None = None,
    sequence: int | None = None,
) -> bytes:
    acc = client.account(ADDR)
    assert acc is not None
    return ct.sign_tx(
        [(MSG, b"hello")],
        SK,
        chain_id=chain_id,
        account_number=acc.account_number if account_number is None else account_number,
        sequence=acc.sequence if sequence is None else sequence,
        fee=[ct.Coin("ubbn", fee)],
        gas_limit=gas,
    )


def test_account_simulate_broadcast_and_inclusion(client: BabylonClient) -> None:
    acc = client.account(ADDR)
    assert acc is not None and (acc.account_number, acc.sequence, acc.pub_key) == (2, 0, None)
    assert client.account(ct.account_address(ct.public_key(bytes.fromhex("44" * 32)))) is None
    assert client.balance(ADDR, "ubbn") == 5_000_000
    used = client.simulate(_tx(client))
    assert used > 1000
    sent = client.broadcast(_tx(client, gas=used * 2, fee=used * 2 // 500 + 1))
    assert sent.code == 0 and len(sent.txhash) == 64
    done = client.wait_tx(sent.txhash, timeout=5, interval=0.05)
    assert done.height > 0 and done.gas_used == used
    acc = client.account(ADDR)
    assert acc is not None and acc.sequence == 1 and acc.pub_key is not None
    assert client.balance(ADDR, "ubbn") == 5_000_000 - (used * 2 // 500 + 1)
    assert client.get_tx("AB" * 32) is None


@pytest.mark.parametrize(
    ("kw", "code", "text"),
    [
        ({"chain_id": "bbn-1"}, 4, "signature verification failed"),
        ({"account_number": 1}, 4, r"account number \(2\)"),
        ({"sequence": 5}, 32, "expected 0, got 5"),
        ({"fee": 1}, 13, "insufficient fees"),
        ({"gas": 1000, "fee": 2}, 0, ""),  # passes CheckTx, runs out of gas in the block
    ],
)
def test_ante_checks(client: BabylonClient, kw: dict[str, object], code: int, text: str) -> None:
    raw = _tx(client, **kw)  # type: ignore[arg-type]
    if code:
        with pytest.raises(BabylonTxFailed, match=text) as info:
            client.broadcast(raw)
        assert info.value.code == code
        acc = client.account(ADDR)
        assert acc is not None and acc.sequence == 0  # nothing consumed
        return
    sent = client.broadcast(raw)
    with pytest.raises(BabylonTxFailed, match="out of gas") as info:
        client.wait_tx(sent.txhash, timeout=5, interval=0.05)
    assert info.value.code == 11


def test_broadcast_same_bytes_twice_is_not_a_second_tx(client: BabylonClient) -> None:
    raw = _tx(client, fee=400)
    first = client.broadcast(raw)
    again = client.broadcast(raw)
    assert again.txhash == first.txhash
    acc = client.account(ADDR)
    assert acc is not None and acc.sequence == 1


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (200, b"{}", BabylonBadResponse, "malformed response: header: Field required"),
        (
            200,
            b'{"header": {"header_hex": "00", "hash_hex": "00", "height": "tall", "work": "1"}}',
            BabylonBadResponse,
            "header.height",
        ),
        (200, b"<html>", BabylonBadResponse, "body is not JSON"),
        (500, b'{"code": 2, "message": "boom"}', BabylonError, "boom (HTTP 500, code 2)"),
        (404, b'{"code": 5, "message": "nope"}', BabylonNotFound, "nope"),
        (500, b"[]", BabylonBadResponse, "without an error body"),
        (503, b"", BabylonUnreachable, "HTTP 503"),
    ],
)
def test_malformed_answers_are_one_line(
    chain: DevChain, client: BabylonClient, status: int, body: bytes, error: type, text: str
) -> None:
    chain.fault("/babylon/btclightclient/v1/tip", status, body)
    with pytest.raises(error) as info:
        client.tip()
    assert text in str(info.value) and "\n" not in str(info.value)


def test_unreachable() -> None:
    with BabylonClient("http://127.0.0.1:9", retry_for=0) as c, pytest.raises(BabylonUnreachable):
        c.tip()


FIXTURES = DATA / "monitor" / "babylon-rest"  # shared copy


def test_recorded_answers_parse(chain: DevChain, client: BabylonClient) -> None:
    """The shared fixtures (shapes from babylon v4.3.1's sources) read through the client."""
    chain.fault(
        "/babylon/btclightclient/v1/tip", 200, (FIXTURES / "btclightclient_tip.json").read_bytes()
    )
    tip = client.tip()
    assert (tip.height, tip.work) == (736, "1474")
    params = json.loads((FIXTURES / "btcstaking_params.json").read_text())["params"]
    body = json.dumps({"params": params, "version": 3}).encode()
    chain.fault("/babylon/btcstaking/v1/params/btc_height/736", 200, body)
    p = client.params_by_btc_height(736)
    assert (p.version, p.covenant_quorum, p.unbonding_time, p.min_staking_amount) == (
        3,
        1,
        5,
        10_000,
    )
    assert p.slashing_pk_script == bytes.fromhex("76a914" + "01" * 20 + "88ac")
    fps = json.loads((FIXTURES / "btcstaking_finality_providers.json").read_text())
    charlie = fps["finality_providers"][0]
    path = f"/babylon/btcstaking/v1/finality_providers/{charlie['btc_pk']}/finality_provider"
    chain.fault(path, 200, json.dumps({"finality_provider": charlie}).encode())
    fp = client.finality_provider(charlie["btc_pk"])
    assert fp.slashed and not fp.jailed
    bad = {**params, "covenant_quorum": "many"}
    chain.fault(
        "/babylon/btcstaking/v1/params/btc_height/737",
        200,
        json.dumps({"params": bad, "version": 3}).encode(),
    )
    with pytest.raises(BabylonBadResponse, match="malformed params"):
        client.params_by_btc_height(737)
