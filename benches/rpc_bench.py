"""``python -m benches.rpc_bench``: bitcoind JSON-RPC calls per second on a real regtest node.

Starts a throwaway ``RegtestNode`` (temp datadir), then asks for the hashes of all its blocks
(N = 1,000 ``getblockhash`` calls) three ways in the same run:
  - l2kit ``RpcClient.call`` one by one (http.client keep-alive, one send per request,
    Decimal parsing, error mapping, retry policy),
  - l2kit ``RpcClient.batch`` in one request,
  - baseline: python-bitcoinlib's ``bitcoin.rpc.RawProxy`` one by one (http.client keep-alive),
checks all three give identical answers, and prints calls/s and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bitcoin.rpc

from l2kit import log
from l2kit.regtest.node import RegtestNode

BLOCKS = 1_000


def _timed(fn: Callable[[], list[str]]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="benches.rpc_bench")
    parser.add_argument("--blocks", type=int, default=BLOCKS)
    parser.add_argument("--rounds", type=int, default=7)  # interleaved; best of: load spikes
    args = parser.parse_args(argv)
    log.configure(level="warning")  # as the CLI runs it: per-call debug lines filtered
    with tempfile.TemporaryDirectory(prefix="l2kit-rpc-bench-") as tmp:
        node = RegtestNode(Path(tmp) / "node")
        node.up()
        try:
            rpc = node.rpc()
            height = rpc.getblockcount()
            if height < args.blocks:
                node.mine(args.blocks - height)
            heights = range(args.blocks)
            user, password = node.credentials()
            state = node.state()
            assert state is not None  # up() wrote it
            url = state.rpc_url.replace("http://", f"http://{user}:{password}@")
            proxy = bitcoin.rpc.RawProxy(service_url=url)

            runs: dict[str, Callable[[], list[str]]] = {
                "l2kit call": lambda: [rpc.call("getblockhash", h) for h in heights],
                "l2kit batch": lambda: rpc.batch([("getblockhash", [h]) for h in heights]),
                "python-bitcoinlib RawProxy": lambda: [proxy.getblockhash(h) for h in heights],
            }
            best: dict[str, float] = {}
            answers: dict[str, list[str]] = {}
            for _ in range(args.rounds):
                for name, fn in runs.items():
                    seconds, out = _timed(fn)
                    best[name] = min(best.get(name, seconds), seconds)
                    answers[name] = out
            if len({tuple(a) for a in answers.values()}) != 1:
                raise SystemExit("rpc_bench: the three ways disagree")
            proxy.close()
        finally:
            node.down(purge=True)
    base = best["python-bitcoinlib RawProxy"]
    print(f"{args.blocks} getblockhash calls, best of {args.rounds} rounds")
    for name, seconds in best.items():
        rate = args.blocks / seconds
        print(f"  {name:<28} {rate:>10,.0f} calls/s   x{base / seconds:5.2f} vs baseline")


if __name__ == "__main__":
    main()
