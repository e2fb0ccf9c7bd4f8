"""The ``l2kit`` command: one click group; ``main()`` is the only place that prints errors.

Subcommand groups live in their own modules and are attached here:
  regtest   (cli/regtest.py)     managed bitcoind regtest node, its build, the covenant committee
  stake     (cli/stake.py)       offline builders + conformance, and the staker lifecycle
  index     (cli/index.py)       staking indexer
  init/render/validate/values    (cli/provision.py)
  diff/apply/status              (cli/cluster.py)
  monitor   (cli/monitor.py)     fleet health
"""

from __future__ import annotations

import sys
import traceback

import click

from l2kit import __version__, log
from l2kit.errors import L2kitError, one_line
from l2kit.redact import scrub


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="l2kit")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("--log-json", is_flag=True, help="Log one JSON object per line (for machines).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, log_json: bool) -> None:
    """Provision, stake and monitor Babylon-secured Bitcoin L2 infrastructure."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    log.configure(json=log_json, level="debug" if debug else "info")


def _register() -> None:
    # Imported here so that `import l2kit.cli` has no side effects beyond building the group.
    from l2kit.cli import cluster, index, monitor, provision, regtest, stake

    cli.add_command(regtest.regtest)
    cli.add_command(stake.stake)
    cli.add_command(index.index)
    cli.add_command(monitor.monitor)
    for command in (*provision.COMMANDS, *cluster.COMMANDS):
        cli.add_command(command)


_register()


def _one_line(text: str) -> str:
    """click's message as ours: one line ("Choose from:\\n\\ta,\\n\\tb" spans lines), lower-case
    first word and no final period, like every other ``error:`` line."""
    line = " ".join(text.split()).rstrip(".")
    if len(line) > 1 and line[0].isupper() and line[1].islower():
        line = line[0].lower() + line[1:]
    return line


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turn an error into one ``error:`` line on stderr and an exit code.

    Usage errors and ``InputError`` exit 2, everything else 1. Tracebacks only with ``--debug``;
    an unexpected exception shows its type, never its message (it might hold a secret).
    """
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="l2kit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(exc.exit_code)
    except L2kitError as exc:
        if debug:
            traceback.print_exc()
        for line in str(exc).splitlines() or [type(exc).__name__]:
            click.echo(f"error: {scrub(one_line(line))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:  # a path l2kit could not read or write: name it, no traceback
        if debug:
            traceback.print_exc()
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or type(exc).__name__}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: say so in one line; --debug shows where
        if debug:
            traceback.print_exc()
        click.echo(
            f"error: internal error ({type(exc).__name__}); rerun with --debug for the traceback",
            err=True,
        )
        sys.exit(1)
    sys.exit(0)
