"""Options declared once, read by click and by the fast lane.

The commands that scripts call in loops (``stake conformance``, ``stake address``, ``init``)
declare their options here as ``Opt`` records: their click commands are built from them
(``click_options``) and ``l2kit.cli.fastlane`` parses the same declarations without importing
click, whose own import is about a third of such a command's whole-process time.

``parse`` accepts only argument lists that click reads unambiguously and without error, and
then returns what click would pass to the command; for anything else (``--help``, an unknown or
repeated option, a value click would refuse, a missing required option, a value that looks like
an option) it returns None and click answers, so every help text and usage error stays click's.
``tests/unit/cli/test_fastlane.py`` checks ``parse`` against click's own parse on generated
argument lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from l2kit.frozen import frozen

if TYPE_CHECKING:
    from typing import Literal

    import click

    Kind = Literal["str", "int", "flag", "file"]  # "file": a path that must not be a directory


@frozen
class Opt:
    """One command-line option, as click's ``click.option`` takes it."""

    flags: tuple[str, ...]  # "--profile", "-p"
    dest: str  # the callback's keyword
    help: str
    kind: Kind = "str"
    choices: tuple[str, ...] | None = None
    multiple: bool = False
    required: bool = False
    default: Any = None
    show_default: bool = False


@frozen
class Command:
    """A command defined without click: ``run``'s docstring is its help, ``opts`` its options.
    ``l2kit.cli.lazy`` makes the click command from it; the fast lane calls ``run`` directly."""

    name: str
    run: Callable[..., None]
    opts: tuple[Opt, ...]


JSON = Opt(("--json",), "as_json", "Print JSON for scripts.", kind="flag")


def _convert(opt: Opt, text: str) -> Any:
    """The value click's type gives ``text``, or None where click would refuse it (or where
    the fast lane leaves the check to click: file paths)."""
    if opt.choices is not None:
        return text if text in opt.choices else None
    if opt.kind == "int":
        try:
            return int(text)  # what click.INT does
        except ValueError:
            return None
    if opt.kind == "file":
        return None
    return text


def parse(args: Sequence[str], opts: Sequence[Opt]) -> dict[str, Any] | None:
    """The keyword arguments click would call the command with for ``args`` (the arguments after
    the command's name), or None when click should read them (see the module docstring)."""
    by_flag = {flag: opt for opt in opts for flag in opt.flags}
    given: dict[str, Any] = {}
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        name, eq, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        opt = by_flag.get(name)
        if opt is None:  # positional, --help, unknown, "--", "-pVALUE"
            return None
        if opt.kind == "flag":
            if eq:
                return None
            value: Any = True
        else:
            if eq:
                text = inline
            elif i < len(args) and not args[i].startswith("-"):
                text = args[i]
                i += 1
            else:
                return None
            value = _convert(opt, text)
            if value is None:
                return None
        if opt.multiple:
            given.setdefault(opt.dest, []).append(value)
        elif opt.dest in given:  # click keeps the last; rare enough to leave to click
            return None
        else:
            given[opt.dest] = value
    kwargs: dict[str, Any] = {}
    for opt in opts:
        if opt.dest in given:
            kwargs[opt.dest] = tuple(given[opt.dest]) if opt.multiple else given[opt.dest]
        elif opt.required:
            return None
        elif opt.multiple:
            kwargs[opt.dest] = ()
        elif opt.kind == "flag":
            kwargs[opt.dest] = False
        else:
            kwargs[opt.dest] = opt.default
    return kwargs


def to_click(command: Command) -> click.Command:
    """The click command for ``command`` (same name, help, options and callback)."""
    import click

    made: click.Command = click.command(command.name)(click_options(*command.opts)(command.run))
    return made


def click_options(*opts: Opt) -> Callable[[Any], Any]:
    """A decorator adding ``opts`` to a click command, in the order given."""
    import click  # only the click side of the CLI calls this

    def option(opt: Opt) -> Callable[[Any], Any]:
        extra: dict[str, Any] = {}
        if opt.kind == "flag":
            extra["is_flag"] = True
        elif opt.choices is not None:
            extra["type"] = click.Choice(opt.choices)
        elif opt.kind == "int":
            extra["type"] = int
        elif opt.kind == "file":
            extra["type"] = click.Path(dir_okay=False)
        if opt.default is not None:
            extra["default"] = opt.default
        return click.option(
            *opt.flags,
            opt.dest,
            help=opt.help,
            multiple=opt.multiple,
            required=opt.required,
            show_default=opt.show_default,
            **extra,
        )

    def wrap(f: Any) -> Any:
        for opt in reversed(opts):
            f = option(opt)(f)
        return f

    return wrap
