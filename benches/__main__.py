"""``python -m benches``: run every ``benches/*_bench.py`` module, each in a process of its own.

Own processes, so that no bench measures another's leftovers: a child process reports the peak
RSS of the process it was started from (Linux keeps it across fork and exec), and imported
modules, threads and garbage would otherwise carry over.
"""

from __future__ import annotations

import pkgutil
import subprocess
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
        # keep going: one broken bench must not hide the others
        if subprocess.run([sys.executable, "-m", f"benches.{name}"], check=False).returncode:
            print(f"benches.{name} failed", file=sys.stderr, flush=True)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
