"""The README's layout section names every module of every l2kit package, and no module that
is gone: a reader taking the project over finds the code where the README says it is."""

from __future__ import annotations

import re

from support.paths import ROOT

PACKAGE = ROOT / "l2kit"


def _layout_entries() -> dict[str, str]:
    """``{"l2kit/": text, "cli/": text, ...}`` from the fenced block of "Layout and tests"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Layout and tests", 1)[1]
    block = section.split("```", 2)[1]
    entries: dict[str, str] = {}
    current = None
    for line in block.splitlines():
        head = re.match(r"^( {0,2})(\S+/)\s", line)
        if head:
            current = head.group(2) if head.group(1) or head.group(2) == "l2kit/" else None
            if current is not None:
                entries[current] = line[head.end() :]
        elif current is not None and line.startswith(" " * 14):
            entries[current] += " " + line.strip()
    return entries


def _modules(directory: str) -> set[str]:
    return {p.stem for p in (PACKAGE / directory).glob("*.py")} - {"__init__", "__main__"}


def _named(text: str) -> set[str]:
    return set(re.findall(r"[a-z_][a-z0-9_]*", text))


def test_every_package_has_an_entry() -> None:
    packages = {p.name + "/" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(_layout_entries()), packages - set(_layout_entries())


def test_every_module_is_named_under_its_package() -> None:
    entries = _layout_entries()
    missing = {
        f"{entry}{module}"
        for entry, text in entries.items()
        for module in _modules("." if entry == "l2kit/" else entry.rstrip("/"))
        if module not in _named(text)
    }
    assert not missing, f"README layout does not name: {sorted(missing)}"


def test_named_files_exist() -> None:
    """A ``name.py`` the layout mentions is a file of that package (catches renamed modules)."""
    entries = _layout_entries()
    stale = {
        f"{entry}{name}"
        for entry, text in entries.items()
        for name in re.findall(r"([a-z_][a-z0-9_]*)\.py\b", text)
        if not (PACKAGE / ("." if entry == "l2kit/" else entry) / f"{name}.py").is_file()
        and not any((PACKAGE / entry / sub / f"{name}.py").is_file() for sub in ("components",))
    }
    assert not stale, f"README layout names missing files: {sorted(stale)}"
