"""extraConfig may not set what the bitcoin.conf writer sets: the rule follows the writer."""

from __future__ import annotations

import re

import pytest

from l2kit.btc.network import NETWORKS
from l2kit.render import build, profiles
from l2kit.spec.rules import managed_conf_keys


# bitcoin: no wallet, every network; devnet (regtest only): a wallet for the miner
@pytest.mark.parametrize(
    ("profile", "network"), [("bitcoin", n) for n in NETWORKS] + [("devnet", "regtest")]
)
def test_every_key_the_writer_sets_is_managed(profile: str, network: str) -> None:
    spec = profiles.init_spec(profile, "regtest").replace("network: regtest", f"network: {network}")
    confs = [
        o["data"]["bitcoin.conf"]
        for o in build.build(spec).objects
        if o["kind"] == "ConfigMap" and "bitcoin.conf" in o.get("data", {})
    ]
    assert confs
    for conf in confs:
        keys = set(re.findall(r"^([a-z][a-z0-9]*)=", conf, re.M)) - {"addnode"}
        assert keys <= managed_conf_keys(), keys - managed_conf_keys()


def test_wallet_and_fee_keys_the_writer_sets_are_refused() -> None:
    assert {"disablewallet", "fallbackfee", "rpcauth", "regtest", "chain"} <= managed_conf_keys()
    assert "addnode" not in managed_conf_keys()  # bitcoind takes it many times
