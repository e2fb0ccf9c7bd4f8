"""Rendering 100 stacks: l2kit (Python plan + Jinja) vs ``helm template`` of the chart.

The 100 stacks cycle through every profile x network ``l2kit init`` supports, each renamed so
that every stack is distinct. Measured in this process, best of a few rounds:

- **l2kit render**: spec -> resolved values (``plan.resolve``) -> objects (``render_objects``);
- **l2kit templates only**: values -> objects (Jinja), the part Helm replaces;
- **helm template** (baseline): the same values -> objects through the chart and Helm's Go engine
  (helm-python-sdk, in-process: no ``helm`` binary start-up is counted), parsed like ours.

Each stack is rendered on its own (one ``helm template`` per stack, as ``helm install`` per
stack would). ``python -m benches.render_bench``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import yaml

from l2kit.render import helm, plan, profiles
from l2kit.render.manifests import render_objects
from l2kit.spec import FleetSpec, parse_spec

STACKS = 100
ROUNDS = 2


def _fleets() -> list[FleetSpec]:
    combos = [yaml.safe_load(profiles.init_spec(p, n)) for p, n in profiles.supported()]
    fleets = []
    for i in range(STACKS):
        doc = combos[i % len(combos)]
        old = doc["stacks"][0]["name"]
        text = yaml.safe_dump(doc).replace(old, f"s{i:03d}-{old}"[:40])
        fleets.append(parse_spec(text))
    return fleets


def _best(func: Callable[[], int]) -> tuple[float, int]:
    """Best wall time of ``ROUNDS`` runs, with the cyclic GC off while timing (as timeit does)."""
    best, count = float("inf"), 0
    for _ in range(ROUNDS):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            count = func()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, count


def main() -> None:
    fleets = _fleets()
    values: list[dict[str, Any]] = [plan.resolve(f).dump() for f in fleets]

    def l2kit_full() -> int:
        return sum(len(render_objects(plan.resolve(f).dump())) for f in fleets)

    def l2kit_templates() -> int:
        return sum(len(render_objects(v)) for v in values)

    def helm_template() -> int:
        return sum(len(helm.template(v)) for v in values)

    full, n_full = _best(l2kit_full)
    jinja, n_jinja = _best(l2kit_templates)
    go, n_go = _best(helm_template)
    if not n_full == n_jinja == n_go:
        raise RuntimeError(f"object counts differ: {n_full} / {n_jinja} / {n_go}")
    print(f"{STACKS} stacks, {n_go} objects, best of {ROUNDS} rounds")
    print(f"  l2kit render (spec -> objects):     {full * 1000:8.1f} ms")
    print(f"  l2kit templates (values -> objects): {jinja * 1000:8.1f} ms")
    print(f"  helm template (values -> objects):   {go * 1000:8.1f} ms  (baseline)")
    print(f"  ratio helm template / l2kit render:    {go / full:6.2f}x")
    print(f"  ratio helm template / l2kit templates: {go / jinja:6.2f}x")


if __name__ == "__main__":
    main()
