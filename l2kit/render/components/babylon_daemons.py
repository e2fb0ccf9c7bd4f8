"""Shared pieces of the Babylon client daemons (fpd, eotsd, covd, signer, vigilante, opfgd)."""

from __future__ import annotations

from l2kit.render.common import Obj, secret_volume
from l2kit.render.components import babylond
from l2kit.spec import StackSpec

UID = 1138  # user of every Babylon daemon image except babylond (components.md)


def keyring_volume(vol: str, secret: str) -> Obj:
    """A keyring-test directory stored as a Secret (each key one keyring file)."""
    return secret_volume(vol, secret)


def babylon_ini(stack: StackSpec, key: str, key_dir: str, gas_adjustment: str = "1.5") -> str:
    """The ``[babylon]`` section shared by fpd.conf and covd.conf (go-flags INI)."""
    return (
        "\n".join(
            [
                "[babylon]",
                f"Key = {key}",
                f"ChainID = {babylond.chain_id(stack)}",
                f"RPCAddr = {babylond.rpc_url(stack)}",
                f"GRPCAddr = {babylond.grpc_url(stack)}",
                "AccountPrefix = bbn",
                "KeyringBackend = test",
                f"GasAdjustment = {gas_adjustment}",
                "GasPrices = 0.002ubbn",
                f"KeyDirectory = {key_dir}",
                "Debug = false",
                "Timeout = 20s",
                "BlockTimeout = 1m",
                "OutputFormat = json",
                "SignModeStr = direct",
            ]
        )
        + "\n"
    )
