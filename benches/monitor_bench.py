"""``python -m benches.monitor_bench``: one poll cycle over 1,000 loopback targets.

l2kit's poll engine (asyncio, bounded concurrency, per-target timeouts) against a sequential
baseline in the same run: one ``httpx.Client`` asking the same targets one after another and
judging them with the same parser and checks. The targets are fpd ``/metrics`` pages served by
a threaded HTTP server in a *separate process* (with a small per-response delay standing in
for network and exporter latency), so ``time.process_time`` counts only the client's CPU.

Prints the cycle time, targets/s and CPU per target for each, and the ratios. The engine's probe
parses only the families its checks read; the baseline is shown both as it was first measured
(whole page) and with the same selective parse, which isolates the HTTP/asyncio overhead (a new
connection per target, see ``l2kit/monitor/http.py``, vs one keep-alive connection).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from l2kit.monitor import checks_metrics, metrics
from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.poll import poll_once
from l2kit.monitor.results import Status

PAGE = Path(__file__).parent.parent / "tests" / "fixtures" / "monitor" / "metrics" / "fpd.prom"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _serve(port_out: Any, delay: float) -> None:
    body = PAGE.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 2048

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever(0.05)


def _sequential(urls: list[str], timeout: float, keep: tuple[str, ...] | None = None) -> int:
    """The baseline: ask and judge each target in turn (one keep-alive connection). ``keep``:
    parse only those families, as the engine's probe does; None: the whole page."""
    ok = 0
    th = fleet_mod.MetricsThresholds()
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        for i, url in enumerate(urls):
            try:
                response = client.get(url, headers={"Accept": metrics.ACCEPT})
                ctype = response.headers.get("content-type", "")
                scrape = metrics.parse(response.text, ctype, keep)
            except (httpx.HTTPError, ValueError):
                continue
            results, _ = checks_metrics.metrics(f"t{i}", "fpd", False, th, scrape, {})
            ok += all(r.status is Status.OK for r in results)
    return ok


def _measure(label: str, run: Any, n: int) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    ok = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{label:<44} cycle {wall:6.2f}s  {n / wall:6.0f} targets/s  "
        f"{cpu / n * 1e3:6.3f} ms CPU/target  ({ok}/{n} OK)"
    )
    return n / wall, cpu / n, ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benches.monitor_bench")
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.005, help="server delay per reply (s)")
    args = parser.parse_args(argv if argv is not None else [])

    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    server = ctx.Process(target=_serve, args=(port_q, args.delay), daemon=True)
    server.start()
    try:
        port = port_q.get(timeout=30)
        urls = [f"http://127.0.0.1:{port}/t{i}/metrics" for i in range(args.targets)]
        fleet = fleet_mod.parse({
            "settings": {"concurrency": args.concurrency, "target_timeout": 30},
            "targets": [{"name": f"t{i}", "kind": "metrics", "role": "fpd", "url": u}
                        for i, u in enumerate(urls)],
        })  # fmt: skip
        print(
            f"{args.targets} fpd /metrics targets on 127.0.0.1, {args.delay * 1e3:g} ms reply "
            f"delay, server in another process"
        )
        asyncio.run(poll_once(fleet))  # warm-up (imports, connections)

        def engine() -> int:
            report = asyncio.run(poll_once(fleet))
            return sum(
                t.up and all(c.status is Status.OK for c in t.checks) for t in report.targets
            )

        seq_rate, seq_cpu, _ = _measure(
            "baseline: sequential httpx.Client", lambda: _sequential(urls, 30), args.targets
        )
        keep = checks_metrics.READS["fpd"]
        _, sel_cpu, _ = _measure(
            "  same, parsing only the checked families",
            lambda: _sequential(urls, 30, keep),
            args.targets,
        )
        rate, cpu, _ = _measure(
            f"l2kit poll (concurrency {args.concurrency})", engine, args.targets
        )
        print(
            f"ratio: {rate / seq_rate:.1f}x targets/s, {cpu / seq_cpu:.2f}x CPU per target vs "
            f"the baseline ({cpu / sel_cpu:.2f}x vs the selective one: the HTTP/asyncio part); "
            f"goal: cycle <= 1 s, CPU/target <= baseline"
        )
    finally:
        server.terminate()
        server.join(10)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
