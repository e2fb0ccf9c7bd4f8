"""The fast lane: run a command defined without click (``argspec.Command``) without importing
click, when its arguments are plain.

Scripts call ``stake conformance`` once per case, ``stake address`` per staker and ``init`` in
set-up loops; importing click (with inspect, typing extras, uuid, datetime) is about a third of
such a process. The commands of the modules in ``PLAIN`` are written against ``argspec`` and
never import click; ``command`` finds one by its registry line, and ``argspec.parse`` reads its
arguments or declines, in which case click runs the same command (help, usage errors, global
options such as ``--debug``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from l2kit.cli import REGTEST, STAKE, TOP

if TYPE_CHECKING:
    from l2kit.cli.argspec import Command

# Modules under l2kit.cli whose COMMANDS are argspec.Commands and that import no click.
PLAIN = frozenset({"stake_conformance", "stake_address", "spec_init"})


def command(args: Sequence[str]) -> Callable[[], None] | None:
    """The command ``args`` names with its arguments bound, or None to leave it to click."""
    if args[:1] == ["stake"]:
        registry, name, rest = STAKE, args[1:2], args[2:]
    else:
        registry, name, rest = TOP, args[:1], args[1:]
    if not name or name[0] not in registry or registry[name[0]][0] not in PLAIN:
        return None
    from l2kit.cli.argspec import parse  # not for everything else (--help, click's commands)

    module = importlib.import_module(f"l2kit.cli.{registry[name[0]][0]}")
    found: Command = next(c for c in module.COMMANDS if c.name == name[0])
    kwargs = parse(rest, found.opts)
    if kwargs is None:
        return None
    return lambda: found.run(**kwargs)


# Groups whose commands a registry names (the help of their commands is a plain request too).
_GROUPS = {"stake": STAKE, "regtest": REGTEST}


def _help_request(args: Sequence[str]) -> bool:
    """``[GROUP [COMMAND]] --help``: only registered names before one -h/--help."""
    *path, last = args or ["-"]
    if last not in ("-h", "--help") or len(path) > 2:
        return False
    registry = TOP
    for i, name in enumerate(path):
        if name not in registry or (i == 0 and len(path) == 2 and name not in _GROUPS):
            return False
        registry = _GROUPS.get(name, {})
    return True


def ends_quickly(args: Sequence[str]) -> bool:
    """Whether ``args`` is a help request or a fast-lane command: nothing that holds a file, a
    thread or a child process, so ``l2kit.cli.entry`` may skip the interpreter's teardown."""
    return _help_request(args) or command(args) is not None
