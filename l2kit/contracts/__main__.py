"""``python -m l2kit.contracts [README]``: rewrite the README's contracts table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from l2kit.contracts import README_BEGIN, README_END, load_all, readme_block
from l2kit.fsutil import write_atomic


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    text = path.read_text()
    block = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if not block.search(text):
        sys.exit(f"error: {path}: no {README_BEGIN} ... {README_END} block")
    write_atomic(path, block.sub(lambda _: readme_block(load_all()), text))


if __name__ == "__main__":
    main()
