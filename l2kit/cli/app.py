"""The click side of ``l2kit``: the top-level group and how click's own errors are printed.

``l2kit.cli.main`` sends here every argument list the fast lane does not take.
"""

from __future__ import annotations

import click

from l2kit import __version__, log
from l2kit.cli import TOP
from l2kit.cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy=TOP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="l2kit")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("--log-json", is_flag=True, help="Log one JSON object per line (for machines).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, log_json: bool) -> None:
    """Provision, stake and monitor Babylon-secured Bitcoin L2 infrastructure."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    log.configure(json=log_json, level="debug" if debug else "info")


def _one_line(text: str) -> str:
    """click's message as ours: one line ("Choose from:\\n\\ta,\\n\\tb" spans lines), lower-case
    first word and no final period, like every other ``error:`` line."""
    line = " ".join(text.split()).rstrip(".")
    if len(line) > 1 and line[0].isupper() and line[1].islower():
        line = line[0].lower() + line[1:]
    return line


def run_click(args: list[str]) -> int:
    """Run the click group on ``args``; click's usage errors and aborts become one line on
    stderr and the exit code returned (errors of the commands themselves propagate)."""
    try:
        cli.main(args=args, prog_name="l2kit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
        return exc.exit_code
    return 0
