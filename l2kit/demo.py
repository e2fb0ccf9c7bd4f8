"""`make demo`: the whole tool on embedded defaults, one visible step at a time.

A local regtest node, a staking output from the demo's keys, a full stake → unbond →
withdraw lifecycle, a rendered devnet stack and a health report. Every step is a real
`l2kit` command (printed before it runs), so the demo doubles as a usage guide.

State lives in ``out/demo/`` (node datadir, stake DB, covenant committee, manifests);
re-running reuses the running node.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from l2kit import paths
from l2kit.fsutil import write_atomic

OUT = Path(os.environ.get("L2KIT_DEMO_DIR", "out/demo")).resolve()
NODE = OUT / "node"
ENV = {**os.environ, paths.DATA_DIR_ENV: str(OUT / "data")}

# Fixed demo keys (secret keys 1 and 2: public, NOT for real funds) so that every printed
# script and address can be reproduced by anyone.
STAKER_SECRET = "00" * 31 + "01"
FP_PUBKEY = "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"  # secret key 2
BABYLON_SECRET = "00" * 31 + "03"  # the demo's Babylon account key (public, NOT for real funds)


def banner(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def l2kit(*args: str, capture: bool = False, check: bool = True) -> str:
    argv = [sys.executable, "-m", "l2kit", *args]
    print(f"$ l2kit {shlex.join(args)}", flush=True)
    result = subprocess.run(
        argv,
        env=ENV,
        text=True,
        check=False,
        stdout=subprocess.PIPE if capture else None,
    )
    if check and result.returncode != 0:
        raise SystemExit(f"demo step failed (exit {result.returncode}): l2kit {shlex.join(args)}")
    return result.stdout or ""


def l2kit_json(*args: str) -> Any:
    return json.loads(l2kit(*args, "--json", capture=True))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    from l2kit.staking.covenant import COMMITTEE_FILE

    os.environ[paths.DATA_DIR_ENV] = ENV[paths.DATA_DIR_ENV]  # in-process steps: same files
    paths.data_dir().mkdir(parents=True, exist_ok=True)
    node = ("--datadir", str(NODE))
    key_file = paths.staker_key()
    if not key_file.exists():
        write_atomic(key_file, STAKER_SECRET, 0o600)
    key = ("--staker-key-file", str(key_file))

    banner("1. A local Bitcoin Core regtest node (built from source, bound to 127.0.0.1)")
    l2kit("regtest", "up", *node)
    l2kit("regtest", "mine", "5", *node)
    funding = l2kit_json("stake", "funding-address", "--key-file", str(key_file))
    l2kit("regtest", "fund", funding["address"], "0.5", *node)
    l2kit("regtest", "status", *node)

    banner("2. A local covenant committee and the staking output of the demo's keys")
    if not (paths.covenant_dir() / COMMITTEE_FILE).exists():
        l2kit("regtest", "covenant", "init", "--members", "3", "--quorum", "2")
    params = ("--params", str(paths.covenant_dir() / paths.PARAMS_FILE))
    staker_pub = funding["descriptor"].removeprefix("tr(").removesuffix(")")  # BIP86 x-only key
    shape = ("--staker", staker_pub, "--fp", FP_PUBKEY, "--staking-time", "20", *params)
    l2kit("stake", "address", *shape)

    banner("3. Stake -> confirm -> unbond -> withdraw, every transaction checked by bitcoind first")
    created = l2kit_json(
        "stake",
        "create",
        *node,
        *key,
        "--fp",
        FP_PUBKEY,
        "--amount",
        "100000",
        "--time",
        "20",
        "--op-return",
        "--nonce",
        f"demo-{time.time_ns()}",
    )
    txid = created["staking_txid"]
    l2kit("regtest", "mine", "1", *node)
    l2kit("stake", "status", txid, *node)
    l2kit("stake", "unbond", txid, *node, *key)
    l2kit("regtest", "mine", "1", *node)
    print("(withdrawing now must be refused: the unbonding timelock has not passed)")
    l2kit("stake", "withdraw", txid, *node, *key, check=False)
    l2kit("regtest", "mine", "5", *node)
    l2kit("stake", "withdraw", txid, *node, *key)
    l2kit("regtest", "mine", "1", *node)
    l2kit("stake", "status", txid, *node)
    l2kit("stake", "list", *node)
    l2kit("index", "scan", *node, "--textfile", str(OUT / "index.prom"))

    babylon_registration(node, key)

    banner("4. A Babylon devnet stack rendered to Kubernetes manifests")
    spec = OUT / "devnet.yaml"
    spec.write_text(l2kit("init", "--profile", "devnet", capture=True))
    print(f"(spec written to {spec})")
    l2kit("validate", str(spec))
    l2kit("render", str(spec), "-o", str(OUT / "manifests"))

    banner("5. Health report of the demo's node")
    l2kit("monitor", "check", "--regtest-datadir", str(NODE), check=False)

    banner("done")
    print(f"Everything is under {OUT}. The node keeps running; stop it with:")
    print(f"  l2kit regtest down --datadir {NODE}")


def babylon_registration(node: tuple[str, ...], key: tuple[str, ...]) -> None:
    """Phase-2: register a stake with a simulated Babylon chain (a real HTTP server on
    127.0.0.1 that checks every Cosmos tx and follows this node) and show both states."""
    from l2kit import log
    from l2kit.babylon import cosmos_tx
    from l2kit.babylon.devchain import DevChain
    from l2kit.babylon.devchain_btcstaking import BtcStaking, FinalityProviderState
    from l2kit.btc.network import Network
    from l2kit.regtest.node import RegtestNode
    from l2kit.staking.covenant import LocalCommittee
    from l2kit.staking.params import load_global_params

    banner("3b. Register a stake on (simulated) Babylon: VERIFIED -> broadcast -> proof -> ACTIVE")
    log.configure(level="warning")  # the simulated chain runs in this process: keep it quiet
    bbn_key = paths.data_dir() / "babylon.key"
    if not bbn_key.exists():
        write_atomic(bbn_key, BABYLON_SECRET, 0o600)
    address = cosmos_tx.account_address(cosmos_tx.public_key(bytes.fromhex(BABYLON_SECRET)))
    regtest = RegtestNode(NODE)
    covenant = paths.covenant_dir()
    staking = BtcStaking(
        rpc=regtest.rpc(),
        params=load_global_params(covenant / paths.PARAMS_FILE),
        net=Network.REGTEST,
        committee=LocalCommittee.load(covenant),
        fps=[FinalityProviderState(bytes.fromhex(FP_PUBKEY), address)],
    )
    with DevChain(chain_id="bbn-devnet-1", staking=staking) as chain:
        chain.fund(address, 10_000_000)
        bbn = ("--babylon-rest", chain.url, "--babylon-key-file", str(bbn_key))
        follow = ("--timeout", "3", "--interval", "0.3")
        amount = str(120_000 + time.time_ns() % 1000)  # a new request on every demo run
        reg = l2kit_json(
            "stake",
            "register",
            *node,
            *key,
            "--fp",
            FP_PUBKEY,
            "--amount",
            amount,
            "--time",
            "40",
            "--babylon-address",
            address,
            *bbn,
            *follow,
        )
        txid = reg["staking_txid"]
        l2kit("regtest", "mine", "3", *node)
        l2kit(
            "stake",
            "register",
            "--stake",
            txid,
            "--babylon-address",
            address,
            *node,
            *key,
            *bbn,
            *follow,
        )
        l2kit("stake", "list", *node, "--babylon-rest", chain.url)
    regtest.close()


if __name__ == "__main__":
    main()
