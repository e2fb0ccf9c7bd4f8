"""Fleet scale (#12): ``validate`` of 1,000 stacks, ``render`` of 10,000 stacks in bounded memory.

Fleets are copies of ``l2kit init --profile bitcoin`` (10 objects per stack), each with its
own name and namespace. Each measurement runs in a fresh process (``python -m
benches.scale_bench --child MODE SPEC OUT``) that reports its CPU time and its peak RSS
(``ru_maxrss``) twice: after reading and checking the spec, and at the end. The specs are
written by other children: Linux keeps a process' peak RSS across ``exec``, so the parent
stays small.

- **validate N** (``l2kit validate``: spec, plan, objects, invariants, contracts, Kubernetes
  schemas; streamed like render): 1,000 stacks against 100 stacks scaled x10 (baseline: linear);
- **render N streamed** (``l2kit render -o DIR``: ``l2kit.render.stream`` + ``write_tree``):
  1,000 and 10,000 stacks;
- **render N all at once** (baseline): ``build()`` (every object in one list) + ``write_tree``,
  what ``l2kit render`` did before.

``python -m benches.scale_bench [--quick]`` (quick: 100 / 1,000 stacks instead of 1,000 /
10,000 for the render).
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from l2kit.render import profiles


def fleet_text(count: int) -> str:
    doc = yaml.safe_load(profiles.init_spec("bitcoin", None))
    stack = doc["stacks"][0]
    text = yaml.safe_dump(stack)
    stacks = [
        yaml.safe_load(text.replace(stack["name"], f"s{i:05d}-{stack['name']}"))
        for i in range(count)
    ]
    return yaml.safe_dump({**doc, "stacks": stacks})


def _mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, spec: str, out: str) -> dict[str, float]:
    """One measurement, in this (fresh) process."""
    from l2kit.contracts.check import Report
    from l2kit.render import build, manifests, stream
    from l2kit.spec import parse_spec, read_spec

    start = time.process_time()
    text = read_spec(spec)
    if mode == "validate":  # as `l2kit validate`: streamed, every object checked and dropped
        fleet = parse_spec(text)
        spec_mib = _mib()
        count = 0

        def counted() -> Iterator[dict[str, Any]]:
            nonlocal count
            for o in stream.checked_objects(fleet, Report()):
                count += 1
                yield o

        problems = build.schema_problems(counted())
        if problems:
            raise RuntimeError(problems[0])
    elif mode == "stream":
        fleet = parse_spec(text)
        spec_mib = _mib()
        count = manifests.write_tree(stream.checked_objects(fleet, Report()), Path(out))
    else:  # the spec is parsed a second time inside build(): its CPU is not comparable
        parse_spec(text)
        spec_mib = _mib()
        result = build.build(text)
        count = manifests.write_tree(result.objects, Path(out))
    return {
        "cpu": time.process_time() - start,
        "spec_mib": spec_mib,
        "peak_mib": _mib(),
        "objects": count,
    }


def _run(mode: str, stacks: int, folder: Path) -> dict[str, float]:
    spec = folder / f"fleet-{stacks}.yaml"
    if not spec.exists():  # in a child too: Linux carries a process' peak RSS over exec
        subprocess.run(
            [sys.executable, "-m", "benches.scale_bench", "--write", str(stacks), str(spec)],
            check=True,
        )
    out = folder / f"out-{mode}-{stacks}"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benches.scale_bench", "--child", mode, str(spec), str(out)],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    row: dict[str, float] = json.loads(proc.stdout)
    return row


def main() -> None:
    quick = "--quick" in sys.argv
    small, large = (100, 1000) if quick else (1000, 10000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        v100, v1000 = _run("validate", 100, folder), _run("validate", 1000, folder)
        print("validate (CPU s, peak RSS MiB; 10 objects per stack, Kubernetes schemas included)")
        print(f"  100 stacks:   {v100['cpu']:7.2f} s  {v100['peak_mib']:7.0f} MiB")
        print(
            f"  1,000 stacks: {v1000['cpu']:7.2f} s  {v1000['peak_mib']:7.0f} MiB   "
            f"(100 stacks x10: {10 * v100['cpu']:.2f} s)"
        )
        print("render -o DIR (CPU s; peak RSS after reading the spec -> at the end, MiB)")
        rows = [("streamed", small), ("streamed", large), ("all at once", small)]
        for label, stacks in rows:
            r = _run("stream" if label == "streamed" else "whole", stacks, folder)
            print(
                f"  {label:<11} {stacks:>6,} stacks: {r['cpu']:8.2f} s  "
                f"{r['spec_mib']:6.0f} -> {r['peak_mib']:6.0f} MiB  ({r['objects']:,} files)"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(*sys.argv[2:5])))
    elif sys.argv[1:2] == ["--write"]:
        Path(sys.argv[3]).write_text(fleet_text(int(sys.argv[2])))
    else:
        main()
