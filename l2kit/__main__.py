"""`python -m l2kit` runs the CLI."""

from l2kit.cli import entry

entry()
