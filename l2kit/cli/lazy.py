"""A click group that knows its commands by name and imports a command's module on first use.

click's documented LazyGroup pattern: ``list_commands`` answers from the registry (see
``l2kit/cli/__init__.py``) and ``--help`` prints the short help stored there, so listing the
commands imports nothing; ``get_command`` imports ``l2kit.cli.<module>`` and takes the command
of that name from the module's ``COMMANDS`` list.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import click

from l2kit.cli import Registry

if TYPE_CHECKING:
    from l2kit.cli.argspec import Command


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy: Registry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return self.commands.get(cmd_name)
        command = load(self.lazy[cmd_name][0], cmd_name)
        self.add_command(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a command not loaded yet is shown by its registry help (no import);
        a stand-in Command keeps click's own shortening, so the text is the same as loaded."""
        shown = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        rows = [(name, cmd) for name, cmd in shown if not cmd.hidden]
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])

    def _listed(self, name: str) -> click.Command:
        if name in self.commands:
            return self.commands[name]
        return click.Command(name, help=self.lazy[name][1])


def load(module: str, name: str) -> click.Command:
    """The command ``name`` from ``l2kit.cli.<module>.COMMANDS`` (a registry line names it); one
    defined without click (``argspec.Command``) is made a click command here."""
    commands: list[click.Command | Command] = importlib.import_module(
        f"l2kit.cli.{module}"
    ).COMMANDS
    for command in commands:
        if command.name == name:
            if isinstance(command, click.Command):
                return command
            from l2kit.cli.argspec import to_click

            return to_click(command)
    raise LookupError(f"l2kit.cli.{module}.COMMANDS has no command {name!r}")
