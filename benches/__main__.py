"""``python -m benches``: run every ``benches/*_bench.py`` module's ``main()`` in turn."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.endswith("_bench")
    )
    failed = []
    for name in names:
        print(f"== benches.{name}", flush=True)
        module = importlib.import_module(f"benches.{name}")
        try:
            module.main()
        except Exception as exc:  # keep going: one broken bench must not hide the others
            print(f"benches.{name} failed: {exc!r}", file=sys.stderr)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
