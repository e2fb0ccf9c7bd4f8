"""Bitcoin networks and addresses. Network selection lives here and only here.

``NETWORKS`` holds one record per network (chain names, bitcoin.conf selector and section,
default ports, address prefixes, the electrs name, the Babylon chain on it); every other table,
choice list and type (the spec's ``network``, bitcoin.conf, electrs flags, monitor chain names,
CLI choices) is derived from it.

No global state: every function takes the ``Network`` explicitly (python-bitcoinlib's
``SelectParams`` is never called).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from bitcoinutils import bech32

from l2kit.btc.script import Script
from l2kit.errors import InputError
from l2kit.frozen import frozen

if TYPE_CHECKING:  # btc.keys loads coincurve: not for commands that only read this table
    from l2kit.btc.keys import XOnlyPubKey

__all__ = [
    "BABYLON_NETWORKS",
    "NETWORKS",
    "ChainName",
    "Network",
    "NetworkName",
    "NetworkRecord",
    "address_to_script",
    "by_kind",
    "p2tr_address",
    "record",
    "script_to_address",
]

# The spec's and the monitor's names as Literal types (JSON schema enums); a test keeps their
# members equal to the table below.
NetworkName = Literal["mainnet", "testnet", "testnet4", "signet", "regtest"]
ChainName = Literal["main", "test", "testnet4", "signet", "regtest"]  # getblockchaininfo.chain
# What coins on the network are worth: real (main), nothing but public (test), private (local).
NetworkKind = Literal["main", "test", "local"]
_KIND_ORDER: tuple[NetworkKind, ...] = ("main", "test", "local")


class Network(StrEnum):
    """A Bitcoin network; the value is the canonical name."""

    MAINNET = "mainnet"
    SIGNET = "signet"
    TESTNET = "testnet"
    TESTNET4 = "testnet4"
    REGTEST = "regtest"

    @classmethod
    def parse(cls, name: str | Network, field: str = "network") -> Network:
        """Parse a network name; accepts ``testnet3`` (btcd's name) and ``main``/``bitcoin``."""
        if isinstance(name, Network):
            return name
        if not isinstance(name, str):
            raise InputError("must be a string", field=field)
        key = _ALIASES.get(name.strip().lower(), name.strip().lower())
        try:
            return cls(key)
        except ValueError:
            names = ", ".join(n.value for n in cls)
            raise InputError(
                f"unknown network {name!r} (one of {names}, testnet3)", field=field
            ) from None

    @property
    def record(self) -> NetworkRecord:
        return NETWORKS[self.value]

    @property
    def hrp(self) -> str:
        """Bech32 human-readable part: ``bc``, ``tb`` or ``bcrt``."""
        return self.record.hrp

    @property
    def base58_prefixes(self) -> tuple[int, int]:
        """(P2PKH, P2SH) version bytes."""
        return self.record.base58_prefixes


@frozen
class NetworkRecord:
    """Everything l2kit knows about one Bitcoin network.

    Chain names: bitcoin/bitcoin@v29.0:src/util/chaintype.cpp (``ChainTypeToString``); RPC
    ports and datadir subdirectories: src/chainparamsbase.cpp (``CreateBaseChainParams``); P2P
    ports, hrp and base58 prefixes: src/kernel/chainparams.cpp; electrs ``--network`` names:
    mempool/electrs@80758ea:src/chain.rs#L186-L197; Babylon chains: l2kit.babylon_networks;
    networks Babylon's ``[btc-config] network`` accepts (testnet means testnet3, no testnet4):
    babylonlabs-io/babylon:types/btc_config.go (shared/reference/components.md §2.3); testnet3
    deprecated: bitcoin/bitcoin@5bf9524 ``-testnet`` help (shared/reference/components.md).
    """

    name: NetworkName  # l2kit's (the spec's) name
    chain: ChainName  # Core's name, as getblockchaininfo reports it
    selector: str  # bitcoin.conf line that picks the chain
    section: str  # bitcoin.conf section header of network-only options
    rpc_port: int
    p2p_port: int
    subdir: str  # datadir subdirectory ('' on mainnet)
    cli_flag: str  # bitcoin-cli flag selecting the chain
    hrp: str  # bech32 human-readable part
    base58_prefixes: tuple[int, int]  # (P2PKH, P2SH) version bytes
    electrs: str  # electrs --network
    babylon_chain_id: str | None  # the public Babylon chain running on it
    babylon: bool  # a Babylon chain can run on it (a public one, or private devnets)
    babylon_btc_config: bool  # Babylon's [btc-config] network (and its Go vectors) name it
    kind: NetworkKind
    aliases: tuple[str, ...] = ()  # other names tools give it (btcd, btc-staking-ts)
    deprecated: bool = False  # Core will drop it: kept for old specs, not offered to new ones

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name, then the aliases."""
        return (self.name, *self.aliases)


_TEST_B58 = (0x6F, 0xC4)
# Ordered as the spec's Literal (the order of the JSON schema enum).
NETWORKS: dict[str, NetworkRecord] = {
    r.name: r
    for r in (
        NetworkRecord(
            "mainnet",
            "main",
            "chain=main",
            "main",
            8332,
            8333,
            "",
            "-chain=main",
            "bc",
            (0x00, 0x05),
            "mainnet",
            "bbn-1",
            True,
            True,
            "main",
        ),
        NetworkRecord(
            "testnet",
            "test",
            "testnet=1",
            "test",
            18332,
            18333,
            "testnet3",
            "-testnet",
            "tb",
            _TEST_B58,
            "testnet",
            None,
            False,
            True,
            "test",
            aliases=("testnet3",),
            deprecated=True,
        ),
        NetworkRecord(
            "testnet4",
            "testnet4",
            "testnet4=1",
            "testnet4",
            48332,
            48333,
            "testnet4",
            "-testnet4",
            "tb",
            _TEST_B58,
            "testnet4",
            None,
            False,
            False,
            "test",
        ),
        NetworkRecord(
            "signet",
            "signet",
            "signet=1",
            "signet",
            38332,
            38333,
            "signet",
            "-signet",
            "tb",
            _TEST_B58,
            "signet",
            "bbn-test-6",
            True,
            True,
            "test",
        ),
        NetworkRecord(
            "regtest",
            "regtest",
            "regtest=1",
            "regtest",
            18443,
            18444,
            "regtest",
            "-regtest",
            "bcrt",
            _TEST_B58,
            "regtest",
            None,
            True,
            True,
            "local",
        ),
    )
}
# BTC networks a Babylon chain runs on: bbn-1 (mainnet), bbn-test-6 (signet), private regtest
# devnets; none on testnet3 or testnet4.
BABYLON_NETWORKS: frozenset[str] = frozenset(n for n, r in NETWORKS.items() if r.babylon)
# Names Network.parse accepts besides the canonical ones: Core's chain names, the aliases.
_ALIASES = {"bitcoin": "mainnet"} | {
    alt: r.name for r in NETWORKS.values() for alt in (r.chain, *r.aliases) if alt != r.name
}


def by_kind(*, safest_first: bool = False) -> list[NetworkRecord]:
    """The records in choice-list order: mainnet, the public test networks, regtest (or the
    reverse with ``safest_first``), by name within a kind."""

    def rank(r: NetworkRecord) -> tuple[int, str]:
        order = _KIND_ORDER.index(r.kind)
        return (-order if safest_first else order), r.name

    return sorted(NETWORKS.values(), key=rank)


def record(name: str) -> NetworkRecord:
    """The record of a network by its l2kit name (a spec's ``network``)."""
    return NETWORKS[name]


def p2tr_address(output_key: XOnlyPubKey, net: Network) -> str:
    """Bech32m address of ``OP_1 <output_key>`` (``bc1p…``, ``tb1p…``, ``bcrt1p…``)."""
    if len(output_key) != 32:
        raise InputError("taproot output key must be 32 bytes", field="output_key")
    addr = bech32.encode(net.hrp, 1, list(output_key))
    if addr is None:  # pragma: no cover - encode only fails on impossible input
        raise InputError("cannot encode taproot address", field="output_key")
    return str(addr)


def _witness_program(script: bytes) -> tuple[int, bytes] | None:
    if not 4 <= len(script) <= 42 or script[1] != len(script) - 2:
        return None
    if script[0] == 0:
        return 0, script[2:]
    if 0x51 <= script[0] <= 0x60:
        return script[0] - 0x50, script[2:]
    return None


def script_to_address(script: bytes, net: Network) -> str | None:
    """The address of a standard scriptPubKey (segwit, P2PKH, P2SH) or None."""
    wp = _witness_program(script)
    if wp is not None:
        addr = bech32.encode(net.hrp, wp[0], list(wp[1]))
        return str(addr) if addr else None
    p2pkh, p2sh = net.base58_prefixes
    if len(script) == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac":
        return _b58check(bytes([p2pkh]) + script[3:23])
    if len(script) == 23 and script[:2] == b"\xa9\x14" and script[22] == 0x87:
        return _b58check(bytes([p2sh]) + script[2:22])
    return None


def _b58check(payload: bytes) -> str:
    import hashlib  # with base58: OpenSSL and bitcoin.core load only for base58 addresses

    from bitcoin import base58  # python-bitcoinlib's package loads bitcoin.core

    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return str(base58.encode(payload + check))


def address_to_script(addr: str, net: Network, field: str = "address") -> Script:
    """The scriptPubKey an address pays to; ``InputError`` if it is invalid for ``net``."""
    if not isinstance(addr, str) or not addr:
        raise InputError("empty address", field=field)
    lower = addr.lower()
    if lower.startswith(net.hrp + "1"):
        version, program = bech32.decode(net.hrp, addr)
        if version is None or program is None:
            raise InputError(f"invalid bech32/bech32m address for {net.value}", field=field)
        op = 0 if version == 0 else 0x50 + version
        return Script(bytes([op, len(program)]) + bytes(program))
    import hashlib  # see _b58check

    from bitcoin import base58

    try:
        raw = base58.decode(addr)
    except base58.InvalidBase58Error as exc:
        raise InputError(f"not a valid {net.value} address", field=field) from exc
    if len(raw) != 25 or hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] != raw[21:]:
        raise InputError(f"not a valid {net.value} address", field=field)
    p2pkh, p2sh = net.base58_prefixes
    if raw[0] == p2pkh:
        return Script(b"\x76\xa9\x14" + raw[1:21] + b"\x88\xac")
    if raw[0] == p2sh:
        return Script(b"\xa9\x14" + raw[1:21] + b"\x87")
    raise InputError(f"address is not for {net.value}", field=field)
