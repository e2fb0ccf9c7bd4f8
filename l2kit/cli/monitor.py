"""`l2kit monitor` commands: check, watch, serve, fleet-from.

Exit codes of ``check`` (and ``watch --once``): 0 all OK, 1 any WARN, 2 any CRIT or UNKNOWN.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from l2kit.cli.options import json_option
from l2kit.cli.paramtypes import positive_float
from l2kit.errors import InputError
from l2kit.fsutil import write_atomic
from l2kit.monitor import adhoc
from l2kit.monitor import fleet as fleet_mod
from l2kit.monitor.results import CycleReport, exit_code

THRESHOLDS_EPILOG = (
    "\b\nThresholds (set them in the fleet file under `thresholds:` per kind, or per target):\n"
    + fleet_mod.thresholds_help()
)


def _adhoc_options(f: Any) -> Any:
    options = [
        click.option("--bitcoind", multiple=True, metavar="URL", help="bitcoind RPC URL."),
        click.option("--rpc-user", metavar="USER", help="RPC user for --bitcoind."),
        click.option(
            "--rpc-password-file", type=click.Path(dir_okay=False), help="File with the password."
        ),
        click.option("--rpc-password-env", metavar="VAR", help="Env var with the RPC password."),
        click.option("--rpc-cookie", type=click.Path(dir_okay=False), help="bitcoind .cookie."),
        click.option(
            "--chain", type=click.Choice(fleet_mod.CHAINS), help="Expected chain of --bitcoind."
        ),
        click.option("--babylon-rest", multiple=True, metavar="URL", help="Babylon REST (LCD)."),
        click.option(
            "--cometbft", multiple=True, metavar="URL", help="CometBFT RPC (one per REST)."
        ),
        click.option("--gadget", multiple=True, metavar="URL", help="finality-gadget URL."),
        click.option(
            "--metrics",
            multiple=True,
            metavar="[ROLE=]URL",
            help=f"Prometheus endpoint; ROLE one of {', '.join(fleet_mod.ROLES)} (else inferred).",
        ),
        click.option(
            "--regtest-datadir",
            multiple=True,
            type=click.Path(file_okay=False, path_type=Path),
            help="Datadir of a node that `l2kit regtest up` manages.",
        ),
        click.option(
            "--timeout",
            type=positive_float(),
            help="Per-target timeout (s).",
        ),
        click.option(
            "--concurrency", type=click.IntRange(min=1), help="Targets polled at the same time."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _load_fleet(path: Path | None, flags: dict[str, Any]) -> fleet_mod.Fleet:
    timeout, concurrency = flags.pop("timeout", None), flags.pop("concurrency", None)
    doc: dict[str, Any] = {}
    if path is not None:
        base = fleet_mod.load(path)
        doc = base.model_dump(mode="json", exclude_unset=True)
    taken = {t["name"] for t in doc.get("targets", [])}
    extra = adhoc.targets(
        bitcoind=flags["bitcoind"],
        rpc_user=flags["rpc_user"],
        rpc_password_file=flags["rpc_password_file"],
        rpc_password_env=flags["rpc_password_env"],
        rpc_cookie=flags["rpc_cookie"],
        chain=flags["chain"],
        babylon_rest=flags["babylon_rest"],
        cometbft=flags["cometbft"],
        gadget=flags["gadget"],
        metrics=flags["metrics"],
        regtest_datadirs=flags["regtest_datadir"],
        taken=taken,
    )
    doc["targets"] = list(doc.get("targets", [])) + extra
    settings = dict(doc.get("settings", {}))
    if timeout is not None:
        settings["target_timeout"] = timeout
        settings["request_timeout"] = min(timeout, settings.get("request_timeout", 5.0))
    if concurrency is not None:
        settings["concurrency"] = concurrency
    doc["settings"] = settings
    fleet = fleet_mod.parse(doc, str(path) if path else "flags")
    if not fleet.targets and fleet.kubernetes is None:
        raise InputError("nothing to check: give a FLEET file or target flags", field="targets")
    return fleet


def _emit(report: CycleReport, as_json: bool, only_problems: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
        return
    from rich.console import Console

    from l2kit.monitor.render import table

    # Not a terminal (pipes, CI logs): wide enough that no column is cut.
    width = None if sys.stdout.isatty() else 240
    Console(soft_wrap=False, width=width).print(table(report, only_problems=only_problems))


@click.group()
def monitor() -> None:
    """Fleet health: bitcoind, Babylon, the finality gadget, component metrics, Kubernetes."""


@monitor.command(epilog=THRESHOLDS_EPILOG)
@click.argument("fleet", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_adhoc_options
@click.option("--problems", is_flag=True, help="Table: show only checks that are not OK.")
@json_option
def check(fleet: Path | None, problems: bool, as_json: bool, **flags: Any) -> None:
    """Poll every target once and print a verdict per check.

    FLEET is a fleet YAML file; targets can also (or instead) be given as flags.
    Exit code: 0 all OK, 1 any WARN, 2 any CRIT or UNKNOWN (a target that could not be asked).

    JSON: {"checks": [{"target", "kind", "check", "subject", "status", "value", "reason"}],
    "summary": {...}}.
    """
    from l2kit.monitor.poll import poll_once

    report = asyncio.run(poll_once(_load_fleet(fleet, flags)))
    _emit(report, as_json, problems)
    sys.exit(exit_code(report.checks))


@monitor.command(epilog=THRESHOLDS_EPILOG)
@click.argument("fleet", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_adhoc_options
@click.option(
    "--interval",
    type=positive_float(),
    default=15.0,
    show_default=True,
    help="Seconds per poll.",
)
@click.option("--once", is_flag=True, help="One poll, print, exit with check's exit code.")
@click.option("--problems", is_flag=True, help="Show only checks that are not OK.")
def watch(fleet: Path | None, interval: float, once: bool, problems: bool, **flags: Any) -> None:
    """A live-updating table of the fleet (Ctrl-C to stop)."""
    from l2kit.monitor.poll import Poller

    loaded = _load_fleet(fleet, flags)
    if interval <= 0:
        raise InputError("must be > 0", field="--interval")
    if once:
        from l2kit.monitor.poll import poll_once

        report = asyncio.run(poll_once(loaded))
        _emit(report, False, problems)
        sys.exit(exit_code(report.checks))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a watch ends: exit 0
        asyncio.run(_watch(Poller(loaded), interval, problems))


async def _watch(poller: Any, interval: float, problems: bool) -> None:
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from l2kit.monitor.render import table

    console = Console()
    try:
        with Live(Text("polling…"), console=console, auto_refresh=False) as live:
            while True:
                started = time.monotonic()
                report = await poller.cycle()
                live.update(table(report, only_problems=problems), refresh=True)
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        await poller.aclose()


@monitor.command(epilog=THRESHOLDS_EPILOG)
@click.argument("fleet", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_adhoc_options
@click.option(
    "--listen", default="127.0.0.1:9464", show_default=True, help="HOST:PORT of /metrics."
)
@click.option(
    "--interval",
    type=positive_float(),
    default=15.0,
    show_default=True,
    help="Seconds per poll.",
)
def serve(fleet: Path | None, listen: str, interval: float, **flags: Any) -> None:
    """Prometheus exporter: polls in the background; scrapes read the last completed poll.

    Exports l2kit_check_status / l2kit_check_value {target,kind,check,subject},
    l2kit_target_up, l2kit_target_poll_duration_seconds,
    l2kit_target_last_success_timestamp_seconds {target,kind}, l2kit_poll_cycles_total,
    l2kit_poll_cycle_duration_seconds, l2kit_poll_errors_total {target,kind}.
    """
    from l2kit.monitor.exporter import Exporter

    loaded = _load_fleet(fleet, flags)
    if interval <= 0:
        raise InputError("must be > 0", field="--interval")
    exporter = Exporter(loaded, interval=interval, listen=listen)
    try:
        exporter.start()
    except OSError as exc:
        raise InputError(
            f"cannot listen on {listen}: {exc.strerror or exc}", field="--listen"
        ) from exc
    click.echo(f"serving http://{exporter.host}:{exporter.port}/metrics (Ctrl-C to stop)", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping", err=True)  # Ctrl-C is how a foreground exporter ends: exit 0
    finally:
        exporter.stop()


# --- appended by the monitor-rules part (l2kit/monitor/rules.py) --------------------------------


@monitor.command("rules")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to FILE (atomically) instead of stdout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["rules", "prometheusrule", "dashboard"]),
    default="rules",
    show_default=True,
    help="rules: the Prometheus rules file; prometheusrule: it wrapped in a PrometheusRule; "
    "dashboard: the Grafana dashboard ConfigMap.",
)
@click.option("--name", default="l2kit", show_default=True, help="Object name (k8s formats).")
@click.option("--namespace", default="monitoring", show_default=True, help="Object namespace.")
def rules_command(output: Path | None, fmt: str, name: str, namespace: str) -> None:
    """Print the shipped alert rules (checked first), or the objects that carry them."""
    from l2kit.monitor import rules

    text = rules.export(fmt, name=name, namespace=namespace)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)


@monitor.command("fleet-from")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--secrets-dir",
    default="/var/run/secrets/l2kit",
    show_default=True,
    help="Where the stack's existing Secrets are mounted (<dir>/<secret>/<key>).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (else stdout).",
)
def fleet_from(spec: Path, secrets_dir: str, output: Path | None) -> None:
    """Derive a fleet file from a stack SPEC (in-cluster service names).

    bitcoind pods (RPC + exporter), babylond (REST + CometBFT), fpd/eotsd, vigilante roles,
    covd and the finality gadget of every stack, plus the stack's namespace for the
    Kubernetes checks. The RPC password is referenced as a mounted Secret file, never copied.
    """
    import yaml

    from l2kit.monitor.fromspec import fleet_document, notes
    from l2kit.spec import load_spec

    parsed = load_spec(spec)
    doc = fleet_document(parsed, secrets_dir)
    fleet_mod.parse(doc, "derived fleet")  # what we print must load
    body = f"# l2kit monitor fleet, derived from {spec.name} by `l2kit monitor fleet-from`\n"
    body += "".join(f"# NOTE: {note}\n" for note in notes(parsed))
    body += yaml.safe_dump(doc, sort_keys=False)
    if output is None:
        click.echo(body, nl=False)
        return
    if not output.parent.is_dir():
        raise InputError(f"directory {output.parent} does not exist", field="--output")
    try:
        write_atomic(output, body)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}", field="--output") from exc
    click.echo(f"wrote {output} ({len(doc['targets'])} targets)", err=True)


COMMANDS: list[click.Command] = [monitor]
