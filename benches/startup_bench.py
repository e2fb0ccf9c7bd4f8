"""``python -m benches.startup_bench``: whole-process start-up of the ``l2kit`` command.

Times, as separate processes (what a script calling l2kit in a loop pays each time):
  - ``l2kit --help``,
  - ``l2kit stake conformance`` on one official Babylon vector (JSON on stdin, checked against
    the vector's expected answer first),
  - ``l2kit stake address`` on mainnet, its covenant committee from the bundled params (checked
    first against the address built from the params model's committee),
  - ``l2kit init --profile devnet``,
against the floor ``python -c pass`` (the same interpreter, the same environment). Each is run
interleaved ``--rounds`` times; the median is printed with its ratio to the floor and the
issue #14 target (0.12 s). For reference (no verdict), the same conformance case through click
(``l2kit --debug stake conformance``: a global option sends it past the fast lane), as every
command ran before ``l2kit.cli.fastlane``.

Bytecode is cached, as for any installed package: the processes write and read it under a
private ``PYTHONPYCACHEPREFIX`` (this environment sets ``PYTHONDONTWRITEBYTECODE``, which would
otherwise make every run recompile l2kit's sources), filled by a warm-up run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
VECTOR = json.loads(
    (ROOT / "tests" / "vectors" / "data" / "babylon-btcstaking-testvectors.json").read_text()
)["vectors"][1]
TARGET_S = 0.12
STAKING_TIME = 64000  # mainnet's params allow exactly this staking time
_CLICK_PATH = "(ref.) conformance through click"
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV.setdefault("PYTHONPATH", str(ROOT))  # the l2kit of this checkout


def _l2kit() -> list[str]:
    """The installed console script when it runs this checkout's code, else ``python -m``."""
    script = shutil.which("l2kit", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "l2kit"]


def _run(argv: list[str], stdin: str) -> tuple[float, str]:
    start = time.perf_counter()
    res = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=True, env=_ENV)
    return time.perf_counter() - start, res.stdout


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benches.startup_bench")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="l2kit-pycache-") as cache:
        _ENV["PYTHONPYCACHEPREFIX"] = cache
        _bench(args.rounds)


def _expected_address(staker: str, fp: str) -> str:
    """The mainnet staking address built with the params model's committee (latest version)."""
    from l2kit.btc.keys import parse_pubkey
    from l2kit.btc.network import Network
    from l2kit.staking.params import default_params
    from l2kit.staking.scripts import staking_info

    p = default_params(Network.MAINNET).latest
    return staking_info(
        parse_pubkey(staker),
        [parse_pubkey(fp)],
        p.covenant_pks,
        p.covenant_quorum,
        STAKING_TIME,
        1,
        Network.MAINNET,
    ).address


def _bench(rounds: int) -> None:
    l2kit = _l2kit()
    params = VECTOR["parameters"]
    staker, fp = params["staker_public_key"], params["finality_provider_public_keys"][0]
    address = [
        "stake",
        "address",
        "--staker",
        staker,
        "--fp",
        fp,
        "--staking-time",
        str(STAKING_TIME),
        "--network",
        "mainnet",
        "--json",
    ]
    runs: dict[str, tuple[list[str], str]] = {
        "python -c pass (floor)": ([sys.executable, "-c", "pass"], ""),
        "l2kit --help": ([*l2kit, "--help"], ""),
        "l2kit stake conformance (1 case)": ([*l2kit, "stake", "conformance"], json.dumps(params)),
        "l2kit stake address (mainnet)": ([*l2kit, *address], ""),
        "l2kit init --profile devnet": ([*l2kit, "init", "--profile", "devnet"], ""),
        _CLICK_PATH: ([*l2kit, "--debug", "stake", "conformance"], json.dumps(params)),
    }
    for cmd, stdin in runs.values():  # warm-up: fills the bytecode cache
        _run(cmd, stdin)
    for name in ("l2kit stake conformance (1 case)", _CLICK_PATH):
        if json.loads(_run(*runs[name])[1]) != VECTOR["expected"]:
            raise SystemExit(f"startup_bench: {name}: answer differs from the vector")
    _, out = _run(*runs["l2kit stake address (mainnet)"])
    if json.loads(out)["address"] != _expected_address(staker, fp):
        raise SystemExit("startup_bench: stake address differs from the params model's")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (cmd, stdin) in runs.items():
            times[name].append(_run(cmd, stdin)[0])
    median = {name: statistics.median(t) for name, t in times.items()}
    floor = median["python -c pass (floor)"]
    print(
        f"whole-process start-up, median of {rounds} interleaved runs "
        f"({' '.join(l2kit)}); target <= {TARGET_S:.2f} s"
    )
    for name, seconds in median.items():
        verdict = (
            ""
            if name.startswith("python") or name == _CLICK_PATH
            else ("  ok" if seconds <= TARGET_S else "  OVER TARGET")
        )
        print(f"  {name:<34} {seconds:6.3f} s   x{seconds / floor:5.1f} the floor{verdict}")


if __name__ == "__main__":
    main()
