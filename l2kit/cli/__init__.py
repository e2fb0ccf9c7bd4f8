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
from l2kit.errors import L2kitError


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


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turn an ``L2kitError`` into one line on stderr and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="l2kit", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except L2kitError as exc:
        if debug:
            traceback.print_exc()
        for line in str(exc).splitlines() or [type(exc).__name__]:
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(0)
